using Microsoft.Data.Sqlite;

namespace VectorShard.Core.Storage;

/// <summary>Creates and drops a shard's managed indexes to match its <see cref="IndexPlan"/>, and reads back those present.</summary>
public static class ShardIndexes
{
    /// <summary>
    /// The names of the explicitly created indexes in the file, sorted: not SQLite's automatic ones, nor the table's own
    /// key index (<see cref="ShardSchema.KeyIndex"/>, an automatic one before format 2).
    /// </summary>
    public static string[] Present(SqliteConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT name FROM sqlite_schema WHERE type = 'index' AND sql IS NOT NULL AND name <> '{ShardSchema.KeyIndex}' ORDER BY name";
        using var reader = command.ExecuteReader();
        var names = new List<string>();
        while (reader.Read())
        {
            names.Add(reader.GetString(0));
        }

        return [.. names];
    }

    /// <summary>Whether the managed indexes present differ from <paramref name="wanted"/>.</summary>
    public static bool Differ(SqliteConnection connection, IReadOnlyCollection<string> wanted) =>
        !Present(connection).Where(IndexPlan.Definitions.ContainsKey).Order(StringComparer.Ordinal)
            .SequenceEqual(wanted.Order(StringComparer.Ordinal));

    /// <summary>
    /// Creates the wanted indexes that are missing and drops the managed ones not wanted, inside the caller's
    /// transaction. Indexes VectorShard does not manage are left alone.
    /// </summary>
    public static void Reconcile(SqliteConnection connection, IReadOnlyCollection<string> wanted)
    {
        foreach (var (name, definition) in IndexPlan.Definitions)
        {
            connection.Execute(wanted.Contains(name) ? definition : $"DROP INDEX IF EXISTS {name}");
        }
    }

    /// <summary>SQLite's query plan for <paramref name="sql"/> with these parameter values (?1, ?2, …): one line per step.</summary>
    public static IReadOnlyList<string> Explain(SqliteConnection connection, string sql, IReadOnlyList<object?> parameters)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "EXPLAIN QUERY PLAN " + sql;
        for (var i = 0; i < parameters.Count; i++)
        {
            command.Parameters.AddWithValue($"?{i + 1}", parameters[i] ?? DBNull.Value);
        }

        using var reader = command.ExecuteReader();
        var steps = new List<string>();
        while (reader.Read())
        {
            steps.Add(reader.GetString(3));
        }

        return steps;
    }
}
