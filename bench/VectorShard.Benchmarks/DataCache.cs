using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using Microsoft.Data.Sqlite;
using VectorShard.Core;
using VectorShard.Core.Storage;

namespace VectorShard.Benchmarks;

/// <summary>How a workload's stored data came to be: built in this run (with its rate) or reused from the cache.</summary>
public sealed record BuildInfo(bool BuiltNow, int Count, double Seconds)
{
    public double VectorsPerSecond => Count / Seconds;

    public string Describe(string what) => BuiltNow
        ? string.Create(CultureInfo.InvariantCulture, $"{what} built in this run: {Count:N0} vectors in {Seconds:F1} s ({VectorsPerSecond:N0} vectors/s)")
        : string.Create(CultureInfo.InvariantCulture, $"{what} reused from the cache (built earlier: {Count:N0} vectors in {Seconds:F1} s, {VectorsPerSecond:N0} vectors/s)");
}

/// <summary>
/// The shard and sqlite-vec database of each workload, kept in the cache folder and reused when seed, size,
/// metric and generator match (the file name says all of them), a shard has today's page size, and a spot
/// check of rows agrees with the freshly generated data. A build finishes by writing a marker, so an
/// interrupted build is redone.
/// </summary>
public static class DataCache
{
    private const int BatchSize = 10_000;

    public static string ShardPath(string cacheDir, Workload w, ulong seed, StoragePrecision precision = StoragePrecision.Float32) =>
        Path.Combine(cacheDir, w.CacheStem(seed) + (precision == StoragePrecision.Float16 ? ".f16" : "") + ".vshard");

    public static string Vec0Path(string cacheDir, Workload w, ulong seed) => Path.Combine(cacheDir, w.CacheStem(seed) + ".vec0.db");

    /// <summary>Makes sure the workload's shard exists and holds <paramref name="data"/> (rounded to the precision) as ids 1..n.</summary>
    public static BuildInfo EnsureShard(string path, Workload w, float[] data, StoragePrecision precision = StoragePrecision.Float32)
    {
        if (ReadMarker(path) is { } cached && ShardMatches(path, w, data, precision))
        {
            return cached;
        }

        Shard.DeleteFiles(path);
        File.Delete(path + ".ok");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var seconds = 0.0;
        using (var shard = Shard.Create(path, new ShardOptions(w.Dimension, w.Metric, Precision: precision)))
        {
            for (var start = 0; start < w.Count; start += BatchSize)
            {
                var batch = Inputs(data, w.Dimension, start, Math.Min(BatchSize, w.Count - start));
                var t = Stopwatch.GetTimestamp();
                shard.Add(batch);
                seconds += Stopwatch.GetElapsedTime(t).TotalSeconds;
            }
        }

        return WriteMarker(path, w.Count, seconds);
    }

    /// <summary>Makes sure the workload's vec0 table exists and holds the same rows under the same ids.</summary>
    public static BuildInfo EnsureVec0(string path, string library, Workload w, float[] data)
    {
        if (ReadMarker(path) is { } cached && Vec0Matches(path, library, w, data))
        {
            return cached;
        }

        foreach (var suffix in new[] { "", "-wal", "-shm", "-journal", ".ok" })
        {
            File.Delete(path + suffix);
        }

        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        double seconds;
        using (var connection = SqliteVecExtension.Open(path, library, SqliteOpenMode.ReadWriteCreate))
        {
            Execute(connection, "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA cache_size = -65536;");
            Execute(connection, Vec0Table("v", w.Dimension, w.Metric));
            seconds = InsertVec0(connection, "v", data, w.Dimension, w.Count);
            Execute(connection, "PRAGMA wal_checkpoint(TRUNCATE);");
        }

        return WriteMarker(path, w.Count, seconds);
    }

    /// <summary>The vec0 table the benchmark uses: one float column, the workload's metric.</summary>
    public static string Vec0Table(string name, int dimension, DistanceMetric metric) => string.Create(CultureInfo.InvariantCulture,
        $"CREATE VIRTUAL TABLE {name} USING vec0(embedding float[{dimension}] distance_metric={Vec0Metric(metric)})");

    /// <summary>Inserts rows 1..count into a vec0 table, 10,000 per transaction; returns the seconds taken.</summary>
    public static double InsertVec0(SqliteConnection connection, string table, float[] data, int dimension, int count)
    {
        var t = Stopwatch.GetTimestamp();
        using var command = connection.CreateCommand();
        command.CommandText = $"INSERT INTO {table}(rowid, embedding) VALUES ($id, $v)";
        var id = command.Parameters.Add("$id", SqliteType.Integer);
        var vector = command.Parameters.Add("$v", SqliteType.Blob);
        for (var start = 0; start < count; start += BatchSize)
        {
            using var transaction = connection.BeginTransaction();
            command.Transaction = transaction;
            for (var r = start; r < Math.Min(count, start + BatchSize); r++)
            {
                id.Value = r + 1L;
                vector.Value = MemoryMarshal.AsBytes(data.AsSpan(r * dimension, dimension)).ToArray();
                command.ExecuteNonQuery();
            }

            transaction.Commit();
        }

        return Stopwatch.GetElapsedTime(t).TotalSeconds;
    }

    /// <summary>Rows [start, start+count) as Core inputs (no key, no metadata).</summary>
    public static List<VectorInput> Inputs(float[] data, int dimension, int start, int count)
    {
        var batch = new List<VectorInput>(count);
        for (var r = start; r < start + count; r++)
        {
            batch.Add(new VectorInput(null, DataGenerator.Row(data, dimension, r)));
        }

        return batch;
    }

    public static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private static string Vec0Metric(DistanceMetric metric) => metric switch
    {
        DistanceMetric.L2 => "l2",
        DistanceMetric.Cosine => "cosine",
        _ => throw new NotSupportedException($"vec0 has no {metric} metric"),
    };

    // Rows spot-checked against the generated data: first, middle, last.
    private static int[] SampleRows(int count) => [0, count / 2, count - 1];

    private static bool ShardMatches(string path, Workload w, float[] data, StoragePrecision precision)
    {
        try
        {
            using var shard = Shard.Open(path);
            var info = shard.Describe();
            // A shard from an older layout (its page size) is rebuilt, so that its build rate is today's.
            if (info.Count != w.Count || shard.Header.Dimension != w.Dimension || shard.Header.Metric != w.Metric || info.Precision != precision ||
                info.Pragmas?.PageSize != ShardSchema.PageSize(w.Dimension, precision))
            {
                return false;
            }

            var rows = SampleRows(w.Count);
            var stored = shard.GetByIds(rows.Select(r => r + 1L)).ToDictionary(v => v.Id);
            float Stored(float x) => precision == StoragePrecision.Float16 ? (float)(Half)x : x;
            return rows.All(r => stored.TryGetValue(r + 1L, out var v) &&
                v.Vector.AsSpan().SequenceEqual(data.AsSpan(r * w.Dimension, w.Dimension).ToArray().Select(Stored).ToArray()));
        }
        catch (Exception e) when (e is VectorShardException or SqliteException or IOException)
        {
            return false;
        }
    }

    private static bool Vec0Matches(string path, string library, Workload w, float[] data)
    {
        try
        {
            using var connection = SqliteVecExtension.Open(path, library, SqliteOpenMode.ReadWrite);
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT embedding FROM v WHERE rowid = $id";
            var id = command.Parameters.Add("$id", SqliteType.Integer);
            foreach (var r in SampleRows(w.Count).Append(w.Count))
            {
                id.Value = r + 1L;
                var blob = command.ExecuteScalar() as byte[];
                var expected = r < w.Count ? MemoryMarshal.AsBytes(data.AsSpan(r * w.Dimension, w.Dimension)) : default;
                if (r < w.Count ? blob is null || !blob.AsSpan().SequenceEqual(expected) : blob is not null)
                {
                    return false;
                }
            }

            return true;
        }
        catch (SqliteException)
        {
            return false;
        }
    }

    private static BuildInfo? ReadMarker(string path)
    {
        try
        {
            var parts = File.ReadAllText(path + ".ok").Trim().Split(' ');
            return File.Exists(path) && parts.Length == 2
                ? new BuildInfo(false, int.Parse(parts[0], CultureInfo.InvariantCulture), double.Parse(parts[1], CultureInfo.InvariantCulture))
                : null;
        }
        catch (Exception e) when (e is IOException or FormatException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static BuildInfo WriteMarker(string path, int count, double seconds)
    {
        File.WriteAllText(path + ".ok", string.Create(CultureInfo.InvariantCulture, $"{count} {seconds:R}"));
        return new BuildInfo(true, count, seconds);
    }
}
