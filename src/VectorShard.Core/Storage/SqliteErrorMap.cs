using Microsoft.Data.Sqlite;

namespace VectorShard.Core.Storage;

/// <summary>Turns the SQLite failures a user can cause or fix into VectorShard errors that say so.</summary>
public static class SqliteErrorMap
{
    /// <summary>The VectorShard error for <paramref name="error"/>, or null where it is a fault of ours.</summary>
    public static VectorShardException? Translate(SqliteException error, string path) => error.SqliteErrorCode switch
    {
        5 or 6 => ShardErrors.ShardBusy(path, error),                    // SQLITE_BUSY, SQLITE_LOCKED
        8 => ShardErrors.ShardReadOnly(path),                             // SQLITE_READONLY
        26 => ShardErrors.NotAShard(path, "it is not an SQLite database"), // SQLITE_NOTADB
        _ => null,
    };
}
