using Microsoft.Data.Sqlite;

namespace VectorShard.Core.Storage;

/// <summary>Removes vectors by key or id, in one transaction that also advances the shard version.</summary>
public static class VectorRemover
{
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
