namespace VectorShard;

/// <summary>
/// A shard as the user sees it: what New-VectorShard and Get-VectorShard emit, and what -Shard takes.
/// A snapshot: the counts are as of when it was read.
/// </summary>
public sealed class ShardInfo
{
    /// <summary>The prefix of an in-memory shard's path (memory:name).</summary>
    public const string InMemoryPrefix = "memory:";

    /// <summary>
    /// A reference to a shard by path, not yet opened: lets PowerShell turn a string into a -Shard
    /// argument (the cmdlets resolve and open it).
    /// </summary>
    public ShardInfo(string path) => Path = path;

    /// <summary>Creates a full snapshot.</summary>
    public ShardInfo(string path, int dimension, DistanceMetric metric, ShardProfile profile, ShardWorkload workload,
        long count, long version, int formatVersion, long sizeBytes, PragmaSettings pragmas, SimdBackend searchBackend, StatementCacheStats statementCache,
        StoragePrecision precision, string[] indexes)
    {
        Path = path;
        Dimension = dimension;
        Metric = metric;
        Profile = profile;
        Workload = workload;
        Count = count;
        Version = version;
        FormatVersion = formatVersion;
        SizeBytes = sizeBytes;
        Pragmas = pragmas;
        SearchBackend = searchBackend;
        StatementCache = statementCache;
        Precision = precision;
        Indexes = indexes;
    }

    /// <summary>Full path of the shard file, or memory:name for an in-memory shard.</summary>
    public string Path { get; }

    /// <summary>Whether this is an in-memory shard (lost when the session ends).</summary>
    public bool IsInMemory => Path.StartsWith(InMemoryPrefix, StringComparison.Ordinal);

    /// <summary>Whether this object is only a path reference rather than a read snapshot.</summary>
    public bool IsReference => Pragmas is null;

    /// <summary>The number of components of every vector in the shard.</summary>
    public int Dimension { get; }

    /// <summary>How distances are measured.</summary>
    public DistanceMetric Metric { get; }

    /// <summary>How vector components are stored: Float32, or Float16 at half the bytes.</summary>
    public StoragePrecision Precision { get; }

    /// <summary>The pragma profile, stored in the shard and applied whenever it is opened.</summary>
    public ShardProfile Profile { get; }

    /// <summary>The workload tuning on top of the profile.</summary>
    public ShardWorkload Workload { get; } = ShardWorkload.None;

    /// <summary>The number of vectors stored.</summary>
    public long Count { get; }

    /// <summary>The shard version: increases by one with every vector written or removed.</summary>
    public long Version { get; }

    /// <summary>The storage format version of the file.</summary>
    public int FormatVersion { get; }

    /// <summary>Bytes on disk (database plus write-ahead log); 0 for an in-memory shard.</summary>
    public long SizeBytes { get; }

    /// <summary>The pragma values in effect, as read back from SQLite.</summary>
    public PragmaSettings? Pragmas { get; }

    /// <summary>The SIMD instruction set the search kernels use in this process (VECTORSHARD_SIMD can force one).</summary>
    public SimdBackend SearchBackend { get; }

    /// <summary>The shard's prepared-statement cache in this process: hits, misses, hit rate.</summary>
    public StatementCacheStats? StatementCache { get; }

    /// <summary>The indexes present in the shard (from sqlite_schema, without SQLite's automatic ones), by name.</summary>
    public string[] Indexes { get; } = [];

    /// <inheritdoc />
    public override string ToString() => Path;
}
