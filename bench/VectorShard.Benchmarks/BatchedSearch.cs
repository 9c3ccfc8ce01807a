using VectorShard.Core;
using VectorShard.Core.Search;

namespace VectorShard.Benchmarks;

/// <summary>
/// The one place that knows Core's multi-query search (<see cref="Shard.SearchMany"/>). If a Core without it
/// must be measured, make <see cref="TryBind"/> return null with the reason: the batched rows then print n/a.
/// </summary>
public static class BatchedSearch
{
    /// <summary>A function from a batch of queries to the k nearest ids of each (on one thread, or one per core), or null with the reason.</summary>
    public static Func<float[][], long[][]>? TryBind(Shard shard, int k, bool allCores, out string reason)
    {
        var options = new SearchOptions(K: k, MaxThreads: allCores ? 0 : 1);
        reason = allCores
            ? "Shard.SearchMany(queries, new SearchOptions(K: k)), one thread per core"
            : "Shard.SearchMany(queries, new SearchOptions(K: k, MaxThreads: 1)), one thread";
        return queries => shard.SearchMany(queries, options).Select(answer => answer.Select(r => r.Id).ToArray()).ToArray();
    }
}
