using Microsoft.Data.Sqlite;

namespace VectorShard.Core.Storage;

/// <summary>Applies pragma settings to a connection and reads the effective values back from SQLite.</summary>
public static class ShardPragmas
{
    private static readonly string[] SynchronousNames = ["OFF", "NORMAL", "FULL", "EXTRA"];
    private static readonly string[] TempStoreNames = ["DEFAULT", "FILE", "MEMORY"];

    /// <summary>
    /// Applies the settings. Locking mode goes before journal mode, so that an exclusive WAL shard keeps its
    /// WAL index in process memory. A read-only connection keeps the journal mode the file has.
    /// </summary>
    public static void Apply(SqliteConnection connection, PragmaSettings wanted, bool readOnly)
    {
        connection.Execute($"PRAGMA locking_mode = {wanted.LockingMode}");
        if (!readOnly)
        {
            connection.Execute($"PRAGMA journal_mode = {wanted.JournalMode}");
        }

        connection.Execute($"PRAGMA synchronous = {wanted.Synchronous}");
        connection.Execute($"PRAGMA cache_size = {-wanted.CacheSizeKiB}");
        connection.Execute($"PRAGMA mmap_size = {wanted.MmapSize}");
        connection.Execute($"PRAGMA wal_autocheckpoint = {wanted.WalAutoCheckpoint}");
        connection.Execute($"PRAGMA temp_store = {wanted.TempStore}");
        connection.Execute($"PRAGMA secure_delete = {(wanted.SecureDelete ? "ON" : "OFF")}");
    }

    /// <summary>Reads every setting back, as SQLite reports it.</summary>
    public static PragmaSettings Read(SqliteConnection connection)
    {
        var pageSize = (int)connection.ScalarInteger("PRAGMA page_size");
        var cacheSize = connection.ScalarInteger("PRAGMA cache_size");
        return new PragmaSettings
        {
            JournalMode = connection.ScalarText("PRAGMA journal_mode").ToLowerInvariant(),
            Synchronous = SynchronousNames[connection.ScalarInteger("PRAGMA synchronous")],
            LockingMode = connection.ScalarText("PRAGMA locking_mode").ToUpperInvariant(),
            // A negative cache_size is in KiB, a positive one in pages.
            CacheSizeKiB = cacheSize < 0 ? -cacheSize : cacheSize * pageSize / 1024,
            PageSize = pageSize,
            MmapSize = connection.ScalarInteger("PRAGMA mmap_size"),
            WalAutoCheckpoint = (int)connection.ScalarInteger("PRAGMA wal_autocheckpoint"),
            TempStore = TempStoreNames[connection.ScalarInteger("PRAGMA temp_store")],
            SecureDelete = connection.ScalarInteger("PRAGMA secure_delete") != 0,
        };
    }

}
