using Microsoft.Data.Sqlite;

namespace VectorShard.Core.Storage;

/// <summary>Removes vectors by key or id, in one transaction that also advances the shard version.</summary>
public static class VectorRemover
{
    /// <summary>Removes the rows with these ids; returns how many existed and were removed.</summary>
    public static int RemoveIds(SqliteConnection connection, IReadOnlyCollection<long> ids)
    {
        using var transaction = connection.BeginTransaction();
        using var command = connection.CreateCommand();
        command.CommandText = "DELETE FROM vectors WHERE id = $id";
        var parameter = command.Parameters.Add("$id", SqliteType.Integer);
        command.Prepare();
        var removed = 0;
        foreach (var id in ids)
        {
            parameter.Value = id;
            removed += command.ExecuteNonQuery();
        }

        ShardSchema.WriteVersion(connection, ShardSchema.ReadVersion(connection) + removed);
        transaction.Commit();
        return removed;
    }
}
