using Microsoft.Data.Sqlite;

namespace VectorShard.Core.Storage;

/// <summary>Removes vectors by key or id, in one transaction that also advances the shard version.</summary>
public static class VectorRemover
{
    /// <summary>The ids written before ?1 (unix microseconds): idx_vectors_created_norm answers it without reading a row.</summary>
    public const string OlderThanSql = "SELECT id FROM vectors WHERE created_at < ?1";

    /// <summary>The ids of the rows written before <paramref name="createdBefore"/> (unix microseconds).</summary>
    public static IReadOnlyList<long> IdsOlderThan(StatementCache statements, long createdBefore)
    {
        var command = statements.Get(OlderThanSql, p => p.Add("?1", SqliteType.Integer));
        command.Parameters["?1"].Value = createdBefore;
        using var reader = command.ExecuteReader();
        var ids = new List<long>();
        while (reader.Read())
        {
            ids.Add(reader.GetInt64(0));
        }

        return ids;
    }

    /// <summary>Removes the rows with these ids; returns the ids that existed and were removed.</summary>
    public static IReadOnlyList<long> RemoveIds(StatementCache statements, IReadOnlyCollection<long> ids)
    {
        using var transaction = statements.BeginTransaction();
        var command = statements.Get("DELETE FROM vectors WHERE id = $id", p => p.Add("$id", SqliteType.Integer));
        var parameter = command.Parameters["$id"];
        var removed = new List<long>();
        foreach (var id in ids)
        {
            parameter.Value = id;
            if (command.ExecuteNonQuery() == 1)
            {
                removed.Add(id);
            }
        }

        ShardSchema.WriteVersion(statements, ShardSchema.ReadVersion(statements) + removed.Count);
        transaction.Commit();
        return removed;
    }
}
