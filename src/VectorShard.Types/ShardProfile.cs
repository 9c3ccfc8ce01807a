namespace VectorShard;

/// <summary>A named set of SQLite pragmas trading durability against speed.</summary>
public enum ShardProfile
{
    /// <summary>Journal in memory, synchronous OFF, exclusive lock, 128 MB cache. A crash may lose or corrupt data.</summary>
    UltraFast,

    /// <summary>The default: WAL, synchronous NORMAL, 64 MB cache, 256 MB mmap. Survives a process crash.</summary>
    Balanced,

    /// <summary>WAL, synchronous FULL, 32 MB cache, frequent checkpoints, secure_delete. Survives power loss.</summary>
    Durable,

    /// <summary>Balanced, holding an exclusive lock on the WAL file: no other process may open the shard.</summary>
    Exclusive,
}
