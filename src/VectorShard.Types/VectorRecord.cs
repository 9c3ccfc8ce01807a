namespace VectorShard;

/// <summary>A stored vector: what Get-Vector and Add-Vector -PassThru emit.</summary>
public sealed class VectorRecord
{
    /// <summary>Creates a record.</summary>
    public VectorRecord(long id, string? key, float[] vector, float norm,
        IReadOnlyDictionary<string, object?>? metadata, DateTimeOffset createdAt, long version, string shardPath)
    {
        Id = id;
        Key = key;
        Vector = vector;
        Norm = norm;
        Metadata = metadata;
        CreatedAt = createdAt;
        Version = version;
        ShardPath = shardPath;
    }

    /// <summary>The row id, assigned by the shard.</summary>
    public long Id { get; }

    /// <summary>The user's unique key, if one was given.</summary>
    public string? Key { get; }

    /// <summary>The vector's components.</summary>
    public float[] Vector { get; }

    /// <summary>The Euclidean norm of the vector.</summary>
    public float Norm { get; }

    /// <summary>The metadata stored with the vector (parsed from its JSON).</summary>
    public IReadOnlyDictionary<string, object?>? Metadata { get; }

    /// <summary>When the vector was written (UTC, microsecond precision).</summary>
    public DateTimeOffset CreatedAt { get; }

    /// <summary>The shard version at which this vector was last written.</summary>
    public long Version { get; }

    /// <summary>The shard the vector is stored in.</summary>
    public string ShardPath { get; }
}
