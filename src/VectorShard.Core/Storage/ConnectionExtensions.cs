using System.Globalization;
using Microsoft.Data.Sqlite;

namespace VectorShard.Core.Storage;

/// <summary>One-line SQL statements on a connection.</summary>
internal static class ConnectionExtensions
{
    public static void Execute(this SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    /// <summary>The first column of the first row as an integer; 0 where there is no row (as in-memory databases answer mmap_size).</summary>
    public static long ScalarInteger(this SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar() is { } value and not DBNull ? Convert.ToInt64(value, CultureInfo.InvariantCulture) : 0;
    }

    public static string ScalarText(this SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToString(command.ExecuteScalar(), CultureInfo.InvariantCulture) ?? "";
    }
}
