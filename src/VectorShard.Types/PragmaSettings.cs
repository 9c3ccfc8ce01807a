namespace VectorShard;

/// <summary>SQLite pragma values: wanted ones when computed from a profile, effective ones when read back.</summary>
public sealed record PragmaSettings
{
    /// <summary>journal_mode: wal, memory, delete, …</summary>
    public required string JournalMode { get; init; }

    /// <summary>synchronous: OFF, NORMAL, FULL or EXTRA.</summary>
    public required string Synchronous { get; init; }

    /// <summary>locking_mode: NORMAL or EXCLUSIVE.</summary>
    public required string LockingMode { get; init; }

    /// <summary>Page cache size in KiB (SQLite's negative cache_size).</summary>
    public required long CacheSizeKiB { get; init; }

    /// <summary>
    /// page_size in bytes, as read back. It is fixed when the file is created, by the size of a row, so the
    /// settings computed from a profile leave it 0.
    /// </summary>
    public int PageSize { get; init; }

    /// <summary>mmap_size in bytes (0 = no memory mapping).</summary>
    public required long MmapSize { get; init; }

    /// <summary>wal_autocheckpoint in pages.</summary>
    public required int WalAutoCheckpoint { get; init; }

    /// <summary>temp_store: DEFAULT, FILE or MEMORY.</summary>
    public required string TempStore { get; init; }

    /// <summary>secure_delete: whether deleted content is overwritten with zeros.</summary>
    public required bool SecureDelete { get; init; }
}
