namespace VectorShard.Core.Search;

/// <summary>
/// One global top-k over several shards: each shard is searched in parallel (its own connection and
/// image), and the per-shard answers merge by distance. The shards must share a metric, or their
/// distances would not compare.
/// </summary>
public static class MultiShardSearch
{
    /// <summary>For each query, the k nearest across all <paramref name="shards"/>, nearest first and ranked anew.</summary>
    public static IReadOnlyList<IReadOnlyList<SearchResult>> SearchMany(IReadOnlyList<Shard> shards, IReadOnlyList<float[]> queries,
        SearchOptions options, int firstQueryIndex = 0)
    {
        if (shards.Count == 1)
        {
            return shards[0].SearchMany(queries, options, firstQueryIndex);
        }

        var first = shards[0].Header;
        foreach (var shard in shards)
        {
            if (shard.Header.Metric != first.Metric || shard.Header.Dimension != first.Dimension)
            {
                throw ShardErrors.IncompatibleShards(shards[0].Path, shard.Path);
            }
        }

        var perShard = new IReadOnlyList<IReadOnlyList<SearchResult>>[shards.Count];
        try
        {
            Parallel.For(0, shards.Count, i => perShard[i] = shards[i].SearchMany(queries, options, firstQueryIndex));
        }
        catch (AggregateException e) when (e.InnerExceptions.Count > 0)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.InnerExceptions[0]).Throw();
            throw;
        }

        return Enumerable.Range(0, queries.Count).Select(q => (IReadOnlyList<SearchResult>)perShard
            .SelectMany(answers => answers[q])
            .OrderBy(r => r.Distance).ThenBy(r => r.ShardPath, StringComparer.Ordinal).ThenBy(r => r.Id)
            .Take(options.K)
            .Select((r, rank) => new SearchResult(r.QueryIndex, rank + 1, r.Id, r.Key, r.Distance, r.Metadata, r.ShardPath))
            .ToArray()).ToArray();
    }
}
