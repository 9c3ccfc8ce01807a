using System.Globalization;
using Microsoft.Data.Sqlite;

namespace VectorShard.Core.Storage;

/// <summary>
/// The storage layout (docs/architecture.md explains why): a vectors table of rows with float32 (or float16) BLOBs, and a
/// shard_info table of name/value settings. PRAGMA application_id marks the file as a shard and
/// PRAGMA user_version holds the format version.
/// </summary>
public static class ShardSchema
{
    /// <summary>
    /// The unique index on keys (format 2 on): partial, so rows without a key are not in it. Bulk inserts of such rows
    /// into plain SQLite with the shard's columns ran 22% faster than with a UNIQUE key column (journal in memory, with
    /// the created-at index; 11% in WAL with all three secondary indexes).
    /// </summary>
    public const string KeyIndex = "vectors_key";

    private const string CreateTables = $"""
        CREATE TABLE shard_info (
            name  TEXT PRIMARY KEY,
            value TEXT NOT NULL
        ) WITHOUT ROWID;
        CREATE TABLE vectors (
            id            INTEGER PRIMARY KEY,
            key           TEXT,
            vector        BLOB NOT NULL,
            norm          REAL NOT NULL,
            metadata      TEXT,
            created_at    INTEGER NOT NULL,
            shard_version INTEGER NOT NULL
        );
        CREATE UNIQUE INDEX {KeyIndex} ON vectors (key) WHERE key IS NOT NULL;
        """;

    /// <summary>Writes the schema and header into an empty database, in one transaction.</summary>
    public static void Create(SqliteConnection connection, ShardHeader header)
    {
        // page_size only takes effect before the first table exists.
        connection.Execute($"PRAGMA page_size = {PageSize(header.Dimension, header.Precision)}");
        using var transaction = connection.BeginTransaction();
        connection.Execute(CreateTables);
        connection.Execute($"PRAGMA application_id = {ShardLimits.ApplicationId}");
        connection.Execute($"PRAGMA user_version = {ShardLimits.FormatVersion}");
        SetValue(connection, "dimension", header.Dimension.ToString(CultureInfo.InvariantCulture));
        SetValue(connection, "metric", header.Metric.ToString());
        SetValue(connection, "precision", header.Precision.ToString());
        SetValue(connection, "version", "0");
        WriteTuning(connection, header.Profile, header.Workload);
        ShardIndexes.Reconcile(connection, IndexPlan.For(header.Profile, header.Workload));
        transaction.Commit();
    }

    /// <summary>
    /// The page size a new shard gets: the smallest power of two that holds 32 rows, from 4 KiB up to SQLite's
    /// 64 KiB. Rows are mostly one vector BLOB, written in appended batches; with SQLite's default 4 KiB pages a
    /// 384-dimension row fills half a page and a 1536-dimension one spills into overflow pages. Measured at
    /// 384 dimensions, plain inserts into 64 KiB pages run 2.3× as fast as into 4 KiB ones
    /// (bench/VectorShard.Benchmarks, Ingest).
    /// </summary>
    public static int PageSize(int dimension, StoragePrecision precision)
    {
        const int RowsPerPage = 32, RowOverheadBytes = 64, MinPageSize = 4096, MaxPageSize = 65536;
        var rowBytes = (long)dimension * VectorBlob.BytesPerComponent(precision) + RowOverheadBytes;
        var pageSize = (int)Math.Min(MaxPageSize, System.Numerics.BitOperations.RoundUpToPowerOf2((ulong)(rowBytes * RowsPerPage)));
        return Math.Max(MinPageSize, pageSize);
    }

    /// <summary>Reads the header, failing clearly on a file that is not a shard or is of a newer format.</summary>
    public static ShardHeader Read(SqliteConnection connection, string path)
    {
        if (connection.ScalarInteger("PRAGMA application_id") != ShardLimits.ApplicationId)
        {
            throw ShardErrors.NotAShard(path, "it is an SQLite database without the VectorShard mark");
        }

        var format = (int)connection.ScalarInteger("PRAGMA user_version");
        if (format > ShardLimits.FormatVersion)
        {
            throw ShardErrors.NewerFormat(path, format);
        }

        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        using (var command = connection.CreateCommand())
        {
            command.CommandText = "SELECT name, value FROM shard_info";
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                values[reader.GetString(0)] = reader.GetString(1);
            }
        }

        try
        {
            return new ShardHeader(
                int.Parse(values["dimension"], CultureInfo.InvariantCulture),
                Enum.Parse<DistanceMetric>(values["metric"]),
                Enum.Parse<ShardProfile>(values["profile"]),
                new ShardWorkload(Enum.Parse<WorkloadKind>(values["workload_kind"]),
                    int.Parse(values["workload_value"], CultureInfo.InvariantCulture)),
                format,
                // Shards written before float16 storage existed have no precision row: they are float32.
                values.TryGetValue("precision", out var precision) ? ParseDefined<StoragePrecision>(precision) : StoragePrecision.Float32);
        }
        catch (Exception e) when (e is KeyNotFoundException or FormatException or ArgumentException)
        {
            throw ShardErrors.NotAShard(path, $"its shard_info table is damaged ({e.Message})");
        }
    }

    /// <summary>Records a new profile and workload (inside the caller's transaction, if any).</summary>
    public static void WriteTuning(SqliteConnection connection, ShardProfile profile, ShardWorkload workload)
    {
        SetValue(connection, "profile", profile.ToString());
        SetValue(connection, "workload_kind", workload.Kind.ToString());
        SetValue(connection, "workload_value", workload.Value.ToString(CultureInfo.InvariantCulture));
    }

    /// <summary>The current shard version.</summary>
    public static long ReadVersion(StatementCache statements) =>
        Convert.ToInt64(statements.Get("SELECT CAST(value AS INTEGER) FROM shard_info WHERE name = 'version'").ExecuteScalar(), CultureInfo.InvariantCulture);

    /// <summary>Sets the shard version (inside the caller's transaction).</summary>
    public static void WriteVersion(StatementCache statements, long version)
    {
        var command = statements.Get("UPDATE shard_info SET value = $value WHERE name = 'version'", p => p.Add("$value", SqliteType.Text));
        command.Parameters["$value"].Value = version.ToString(CultureInfo.InvariantCulture);
        command.ExecuteNonQuery();
    }

    /// <summary>The number of vectors stored.</summary>
    public static long CountVectors(StatementCache statements) =>
        Convert.ToInt64(statements.Get("SELECT count(*) FROM vectors").ExecuteScalar(), CultureInfo.InvariantCulture);

    // Enum.Parse accepts any number ("7"); a stored setting must name a defined value.
    private static T ParseDefined<T>(string value) where T : struct, Enum
    {
        var parsed = Enum.Parse<T>(value);
        return Enum.IsDefined(parsed) ? parsed : throw new FormatException($"'{value}' is not a {typeof(T).Name}");
    }

    private static void SetValue(SqliteConnection connection, string name, string value)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "INSERT INTO shard_info (name, value) VALUES ($name, $value) ON CONFLICT (name) DO UPDATE SET value = excluded.value";
        command.Parameters.AddWithValue("$name", name);
        command.Parameters.AddWithValue("$value", value);
        command.ExecuteNonQuery();
    }

}
