using Microsoft.Data.Sqlite;

namespace VectorShard.Core.Storage;

/// <summary>
/// Copies a WAL shard's committed frames into the database file on a background thread, on a connection of
/// its own, so that bulk writes do not stall while a checkpoint writes and syncs the file. SQLite's
/// autocheckpoint stays on behind it: when it comes due, it finds the frames copied already and has almost
/// nothing left to do. A PASSIVE checkpoint never waits for readers or writers, and one that fails or finds
/// the file busy is simply left to the autocheckpoint.
/// </summary>
public sealed class WalCheckpointer : IDisposable
{
    private readonly object _gate = new();
    private readonly Func<SqliteConnection> _connect;
    private readonly string _synchronous;
    private readonly long _thresholdBytes;
    private SqliteConnection? _connection;
    private Task _running = Task.CompletedTask;
    private long _pendingBytes;
    private bool _disposed;

    /// <summary>
    /// A checkpointer that starts once <paramref name="thresholdBytes"/> have been written since its last start,
    /// syncing as the shard's <paramref name="synchronous"/> setting says (the checkpoint's syncs are what make it durable).
    /// </summary>
    public WalCheckpointer(Func<SqliteConnection> connect, string synchronous, long thresholdBytes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(thresholdBytes, 1);
        _connect = connect;
        _synchronous = synchronous;
        _thresholdBytes = thresholdBytes;
    }

    /// <summary>Counts bytes just committed, and starts a checkpoint when enough have piled up and none is running.</summary>
    public void Committed(long bytes)
    {
        lock (_gate)
        {
            _pendingBytes += bytes;
            if (_disposed || _pendingBytes < _thresholdBytes || !_running.IsCompleted)
            {
                return;
            }

            _pendingBytes = 0;
            _running = Task.Run(Checkpoint);
        }
    }

    /// <summary>Waits for a running checkpoint and closes the connection.</summary>
    public void Dispose()
    {
        Task running;
        lock (_gate)
        {
            _disposed = true;
            running = _running;
        }

        running.Wait();
        _connection?.Dispose();
    }

    private void Checkpoint()
    {
        try
        {
            if (_connection is null)
            {
                _connection = _connect();
                _connection.Execute($"PRAGMA synchronous = {_synchronous}");
            }

            _connection.Execute("PRAGMA wal_checkpoint(PASSIVE)");
        }
        catch (Exception e) when (e is SqliteException or VectorShardException or IOException)
        {
            // Busy, or the file could not be opened: the writer's own autocheckpoint does the work instead.
        }
    }
}
