using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace VectorShard.Core.Storage;

/// <summary>
/// A statement on SQLite's raw API, for the hot paths where Microsoft.Data.Sqlite would copy: BLOBs are
/// read as spans in place and bound from spans, with no allocation per row. Failures surface as
/// SqliteException, like the ADO.NET layer's.
/// </summary>
public sealed class RawStatement : IDisposable
{
    private readonly sqlite3 _db;
    private readonly sqlite3_stmt _statement;

    /// <summary>Prepares <paramref name="sql"/> on the connection.</summary>
    public RawStatement(SqliteConnection connection, string sql)
    {
        _db = connection.Handle!;
        Check(raw.sqlite3_prepare_v2(_db, sql, out _statement));
    }

    /// <summary>Runs to the next row: true when there is one, false when done.</summary>
    public bool Step()
    {
        var rc = raw.sqlite3_step(_statement);
        if (rc == raw.SQLITE_ROW)
        {
            return true;
        }

        if (rc != raw.SQLITE_DONE)
        {
            Check(rc);
        }

        return false;
    }

    /// <summary>Makes the statement ready to run again, with no values bound.</summary>
    public void Reset()
    {
        raw.sqlite3_reset(_statement);
        raw.sqlite3_clear_bindings(_statement);
    }

    /// <summary>Binds text, or NULL, to parameter <paramref name="index"/> (1-based).</summary>
    public void Bind(int index, string? value) =>
        Check(value is null ? raw.sqlite3_bind_null(_statement, index) : raw.sqlite3_bind_text(_statement, index, value));

    /// <summary>Binds an integer.</summary>
    public void Bind(int index, long value) => Check(raw.sqlite3_bind_int64(_statement, index, value));

    /// <summary>Binds a real.</summary>
    public void Bind(int index, double value) => Check(raw.sqlite3_bind_double(_statement, index, value));

    /// <summary>Binds a BLOB (SQLite copies it).</summary>
    public void Bind(int index, ReadOnlySpan<byte> value) => Check(raw.sqlite3_bind_blob(_statement, index, value));

    /// <summary>The rowid of the connection's latest successful INSERT.</summary>
    public long LastInsertRowId() => raw.sqlite3_last_insert_rowid(_db);

    /// <summary>Column <paramref name="index"/> (0-based) of the current row as an integer.</summary>
    public long Int64(int index) => raw.sqlite3_column_int64(_statement, index);

    /// <summary>The column as a real.</summary>
    public double Double(int index) => raw.sqlite3_column_double(_statement, index);

    /// <summary>The column's BLOB, in place: valid until the next step.</summary>
    public ReadOnlySpan<byte> Blob(int index) => raw.sqlite3_column_blob(_statement, index);

    /// <summary>The column as text, or null for NULL.</summary>
    public string? Text(int index) => raw.sqlite3_column_type(_statement, index) == raw.SQLITE_NULL
        ? null
        : System.Text.Encoding.UTF8.GetString(raw.sqlite3_column_blob(_statement, index));

    /// <summary>Finalizes the statement.</summary>
    public void Dispose() => _statement.Dispose();

    private void Check(int rc)
    {
        if (rc != raw.SQLITE_OK)
        {
            throw new SqliteException(raw.sqlite3_errmsg(_db).utf8_to_string(), rc, raw.sqlite3_extended_errcode(_db));
        }
    }
}
