using Microsoft.Data.Sqlite;

namespace VectorShard.Core.Storage;

/// <summary>Removes vectors by key or id, in one transaction that also advances the shard version.</summary>
public static class VectorRemover
{
    /// <summary>Removes the rows with these ids; returns the ids that existed and were removed.</summary>
    public static IReadOnlyList<long> RemoveIds(SqliteConnection connection, IReadOnlyCollection<long> ids)
    {
        using var transaction = connection.BeginTransaction();
        using var command = connection.CreateCommand();
        command.CommandText = "DELETE FROM vectors WHERE id = $id";
        var parameter = command.Parameters.Add("$id", SqliteType.Integer);
        command.Prepare();
        var removed = new List<long>();
        foreach (var id in ids)
        {
            parameter.Value = id;
            if (command.ExecuteNonQuery() == 1)
            {
                removed.Add(id);
            }
        }

        ShardSchema.WriteVersion(connection, ShardSchema.ReadVersion(connection) + removed.Count);
        transaction.Commit();
        return removed;
    }
}
