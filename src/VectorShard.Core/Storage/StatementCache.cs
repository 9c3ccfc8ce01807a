using Microsoft.Data.Sqlite;

namespace VectorShard.Core.Storage;

/// <summary>
/// A shard's prepared statements, kept by SQL text and reused, so a steady workload parses no SQL: a
/// bounded LRU (the least recently used statement is disposed when it is full). Commands handed out while
/// a transaction from <see cref="BeginTransaction"/> is open run in it. The cache owns the commands.
/// </summary>
public sealed class StatementCache : IDisposable
{
    private readonly Dictionary<string, LinkedListNode<(string Sql, SqliteCommand Command)>> _bySql = new(StringComparer.Ordinal);
    private readonly LinkedList<(string Sql, SqliteCommand Command)> _recent = new();
    private readonly int _capacity;
    private SqliteTransaction? _transaction;
    private long _hits;
    private long _misses;

    /// <summary>Creates an empty cache for a connection.</summary>
    public StatementCache(SqliteConnection connection, int capacity = 32)
    {
        Connection = connection;
        _capacity = capacity;
    }

    /// <summary>The connection the statements belong to.</summary>
    public SqliteConnection Connection { get; }

    /// <summary>Hits, misses and size so far.</summary>
    public StatementCacheStats Stats => new(_hits, _misses, _bySql.Count, _capacity);

    /// <summary>Begins a transaction that the commands handed out until it ends take part in.</summary>
    public SqliteTransaction BeginTransaction() => _transaction = Connection.BeginTransaction();

    /// <summary>
    /// The prepared command for <paramref name="sql"/>; <paramref name="declareParameters"/> adds its
    /// parameters the first time (later callers set their values by name).
    /// </summary>
    public SqliteCommand Get(string sql, Action<SqliteParameterCollection>? declareParameters = null)
    {
        if (_bySql.TryGetValue(sql, out var node))
        {
            _hits++;
            _recent.Remove(node);
            _recent.AddFirst(node);
        }
        else
        {
            _misses++;
            var command = Connection.CreateCommand();
            command.CommandText = sql;
            declareParameters?.Invoke(command.Parameters);
            node = _recent.AddFirst((sql, command));
            _bySql[sql] = node;
            if (_bySql.Count > _capacity)
            {
                var oldest = _recent.Last!;
                _recent.RemoveLast();
                _bySql.Remove(oldest.Value.Sql);
                oldest.Value.Command.Dispose();
            }
        }

        var cached = node.Value.Command;
        // A transaction that was committed or rolled back has no connection any more.
        cached.Transaction = _transaction?.Connection is null ? null : _transaction;
        return cached;
    }

    /// <summary>Disposes every command.</summary>
    public void Dispose()
    {
        foreach (var (_, command) in _recent)
        {
            command.Dispose();
        }

        _recent.Clear();
        _bySql.Clear();
    }
}
