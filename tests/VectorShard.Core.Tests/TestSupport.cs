using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace VectorShard.Core.Tests;

/// <summary>Assertions on VectorShard's deliberate errors.</summary>
internal static class ShardAssert
{
    /// <summary>Asserts that the action throws a VectorShardException with this ErrorId and category.</summary>
    public static VectorShardException Throws(string errorId, ShardErrorCategory category, Action action)
    {
        var error = Assert.Throws<VectorShardException>(action);
        Assert.Equal(errorId, error.ErrorId);
        Assert.Equal(category, error.Category);
        Assert.False(string.IsNullOrWhiteSpace(error.Message));
        return error;
    }

    /// <summary>Same, for a function whose result is discarded.</summary>
    public static VectorShardException Throws<T>(string errorId, ShardErrorCategory category, Func<T> action) =>
        Throws(errorId, category, () => { _ = action(); });
}

/// <summary>Plain SQLite access to shard files, to forge and inspect them behind the engine's back.</summary>
internal static class RawSqlite
{
    /// <summary>A connection that really closes on Dispose (Microsoft.Data.Sqlite pools by default).</summary>
    public static SqliteConnection Open(string path)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = false,
        }.ToString());
        connection.Open();
        return connection;
    }

    public static void Execute(string path, string sql)
    {
        using var connection = Open(path);
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    public static long Scalar(string path, string sql)
    {
        using var connection = Open(path);
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToInt64(command.ExecuteScalar(), CultureInfo.InvariantCulture);
    }
}

/// <summary>Memory shard names unique per call, since in-memory shards are shared by name in the process.</summary>
internal static class MemoryShard
{
    public static string NewPath() => ShardInfo.InMemoryPrefix + "t" + Guid.NewGuid().ToString("N");
}

/// <summary>A canonical text form of a whole shard, to compare its state exactly before and after something.</summary>
internal static class ShardSnapshot
{
    public static string Take(Shard shard)
    {
        var info = shard.Describe();
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"count={info.Count} version={info.Version} dim={info.Dimension} metric={info.Metric} profile={info.Profile} workload={info.Workload}\n");
        foreach (var record in shard.GetAll())
        {
            text.Append(CultureInfo.InvariantCulture, $"{record.Id}|{record.Key ?? "<null>"}|{Convert.ToHexString(VectorBlob.ToBytes(record.Vector))}|")
                .Append(CultureInfo.InvariantCulture, $"{BitConverter.SingleToInt32Bits(record.Norm)}|{Json(record.Metadata)}|{record.CreatedAt.UtcTicks}|{record.Version}\n");
        }

        return text.ToString();
    }

    public static string Json(IReadOnlyDictionary<string, object?>? metadata) =>
        metadata is null ? "<null>" : JsonSerializer.Serialize(metadata);
}

/// <summary>Seeded random vectors.</summary>
internal static class RandomData
{
    public static double Gaussian(Random random)
    {
        // Box–Muller.
        var u1 = 1.0 - random.NextDouble();
        var u2 = random.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }

    /// <summary>A Gaussian vector scaled by a random factor in [0.25, 4), so norms differ (which matters for Dot).</summary>
    public static float[] Vector(Random random, int dimension)
    {
        var scale = 0.25 * Math.Pow(16, random.NextDouble());
        var vector = new float[dimension];
        for (var i = 0; i < dimension; i++)
        {
            vector[i] = (float)(Gaussian(random) * scale);
        }

        return vector;
    }
}

/// <summary>The naive reference: distances in double precision and a full sort.</summary>
internal static class Reference
{
    public static double Distance(DistanceMetric metric, float[] a, float[] b)
    {
        double dot = 0, aa = 0, bb = 0, squares = 0;
        for (var i = 0; i < a.Length; i++)
        {
            double x = a[i], y = b[i];
            dot += x * y;
            aa += x * x;
            bb += y * y;
            squares += (x - y) * (x - y);
        }

        return metric switch
        {
            DistanceMetric.Cosine => 1.0 - dot / (Math.Sqrt(aa) * Math.Sqrt(bb)),
            DistanceMetric.L2 => Math.Sqrt(squares),
            DistanceMetric.Dot => -dot,
            _ => throw new ArgumentOutOfRangeException(nameof(metric)),
        };
    }

    public static double Norm(float[] a) => Math.Sqrt(a.Sum(x => (double)x * x));

    /// <summary>Every row by distance to the query, nearest first, equal distances by id.</summary>
    public static List<(long Id, double Distance)> Rank(DistanceMetric metric, float[] query, IEnumerable<(long Id, float[] Vector)> rows) =>
        rows.Select(r => (r.Id, Distance: Distance(metric, query, r.Vector)))
            .OrderBy(r => r.Distance).ThenBy(r => r.Id).ToList();
}
