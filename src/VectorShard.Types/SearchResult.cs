namespace VectorShard;

/// <summary>One neighbour of one query: what Search-Vector emits, best first.</summary>
public sealed class SearchResult
{
    /// <summary>Creates a result.</summary>
    public SearchResult(int queryIndex, int rank, long id, string? key, float distance,
        IReadOnlyDictionary<string, object?>? metadata, string shardPath)
    {
        QueryIndex = queryIndex;
        Rank = rank;
        Id = id;
        Key = key;
        Distance = distance;
        Metadata = metadata;
        ShardPath = shardPath;
    }

    /// <summary>Which query this answers: 0 for the first query given, 1 for the next, …</summary>
    public int QueryIndex { get; }

    /// <summary>1 for the nearest neighbour, 2 for the next, …</summary>
    public int Rank { get; }

    /// <summary>The row id of the vector found.</summary>
    public long Id { get; }

    /// <summary>The user's key of the vector found, if it has one.</summary>
    public string? Key { get; }

    /// <summary>The distance under the shard's metric (lower is nearer).</summary>
    public float Distance { get; }

    /// <summary>The metadata of the vector found.</summary>
    public IReadOnlyDictionary<string, object?>? Metadata { get; }

    /// <summary>The shard the vector was found in.</summary>
    public string ShardPath { get; }
}
