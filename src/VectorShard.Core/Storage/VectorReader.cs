using Microsoft.Data.Sqlite;

namespace VectorShard.Core.Storage;

/// <summary>Reads stored vectors back as records.</summary>
public static class VectorReader
{
    private const string Columns = "SELECT id, key, vector, norm, metadata, created_at, shard_version FROM vectors";

    /// <summary>The records with these keys, in the order given; keys not stored are left out.</summary>
    public static IReadOnlyList<VectorRecord> ByKeys(StatementCache statements, ShardHeader header, string path, IEnumerable<string> keys) =>
        ByColumn(statements, header, path, "key", keys.Cast<object>());

    /// <summary>The records with these ids, in the order given; ids not stored are left out.</summary>
    public static IReadOnlyList<VectorRecord> ByIds(StatementCache statements, ShardHeader header, string path, IEnumerable<long> ids) =>
        ByColumn(statements, header, path, "id", ids.Cast<object>());

    /// <summary>
    /// The key and metadata of each of these ids (what search results show), without the vectors. One statement
    /// for all of them (the ids go in as a JSON array): a search batch's labels cost one round trip, not one per id.
    /// </summary>
    public static Dictionary<long, (string? Key, IReadOnlyDictionary<string, object?>? Metadata)> Labels(
        StatementCache statements, IEnumerable<long> ids)
    {
        var labels = new Dictionary<long, (string?, IReadOnlyDictionary<string, object?>?)>();
        var list = ids.Distinct().ToList();
        if (list.Count == 0)
        {
            return labels;
        }

        var command = statements.Get("SELECT id, key, metadata FROM vectors WHERE id IN (SELECT value FROM json_each($ids))",
            p => p.Add("$ids", SqliteType.Text));
        command.Parameters["$ids"].Value = "[" + string.Join(",", list) + "]";
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            labels[reader.GetInt64(0)] = (reader.IsDBNull(1) ? null : reader.GetString(1), MetadataJson.Parse(reader.IsDBNull(2) ? null : reader.GetString(2)));
        }

        return labels;
    }

    /// <summary>Up to <paramref name="limit"/> records with ids above <paramref name="afterId"/>, by id.</summary>
    public static IReadOnlyList<VectorRecord> Page(StatementCache statements, ShardHeader header, string path, long afterId, int limit)
    {
        var command = statements.Get(Columns + " WHERE id > $after ORDER BY id LIMIT $limit", p =>
        {
            p.Add("$after", SqliteType.Integer);
            p.Add("$limit", SqliteType.Integer);
        });
        command.Parameters["$after"].Value = afterId;
        command.Parameters["$limit"].Value = limit;
        return ReadAll(command, header.Precision, path);
    }

    private static List<VectorRecord> ByColumn(StatementCache statements, ShardHeader header, string path, string column, IEnumerable<object> values)
    {
        var command = statements.Get(Columns + $" WHERE {column} = $value", p => p.Add("$value", column == "id" ? SqliteType.Integer : SqliteType.Text));
        var parameter = command.Parameters["$value"];
        var records = new List<VectorRecord>();
        foreach (var value in values)
        {
            parameter.Value = value;
            records.AddRange(ReadAll(command, header.Precision, path));
        }

        return records;
    }

    private static List<VectorRecord> ReadAll(SqliteCommand command, StoragePrecision precision, string path)
    {
        var records = new List<VectorRecord>();
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            records.Add(new VectorRecord(
                reader.GetInt64(0),
                reader.IsDBNull(1) ? null : reader.GetString(1),
                VectorBlob.ToFloats((byte[])reader.GetValue(2), precision),
                reader.GetFloat(3),
                MetadataJson.Parse(reader.IsDBNull(4) ? null : reader.GetString(4)),
                DateTimeOffset.UnixEpoch.AddTicks(reader.GetInt64(5) * 10),
                reader.GetInt64(6),
                path));
        }

        return records;
    }
}
