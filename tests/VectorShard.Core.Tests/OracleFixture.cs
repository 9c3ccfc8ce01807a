namespace VectorShard.Core.Tests;

/// <summary>One stored row of an oracle data set, as the test wrote it.</summary>
public sealed record OracleRow(long Id, string Key, float[] Vector, IReadOnlyDictionary<string, object?>? Metadata);

/// <summary>A shard of seeded random vectors with metadata, and the same data kept in the test for the reference.</summary>
public sealed class OracleData
{
    public const int RowCount = 2000;

    public required Shard Shard { get; init; }
    public required DistanceMetric Metric { get; init; }
    public required int Dimension { get; init; }
    public required IReadOnlyList<OracleRow> Rows { get; init; }
    public required IReadOnlyList<float[]> Queries { get; init; }

    public IReadOnlyDictionary<long, OracleRow> ById => _byId ??= Rows.ToDictionary(r => r.Id);

    private IReadOnlyDictionary<long, OracleRow>? _byId;

    /// <summary>The row's metadata as JSON text, as System.Text.Json writes it (cached: results are compared by it).</summary>
    public string MetadataJsonOf(long id)
    {
        lock (_json)
        {
            if (!_json.TryGetValue(id, out var json))
            {
                _json[id] = json = System.Text.Json.JsonSerializer.Serialize(ById[id].Metadata);
            }

            return json;
        }
    }

    private readonly Dictionary<long, string> _json = new();

    /// <summary>
    /// Metadata of row <paramref name="i"/>: every 13th row has none; the rest have a string, a long, a bool,
    /// a nested object, a double, and a field "opt" that is "x", an explicit null, or missing.
    /// </summary>
    internal static Dictionary<string, object?>? Metadata(Random random, int i)
    {
        if (i % 13 == 0)
        {
            return null;
        }

        var metadata = new Dictionary<string, object?>
        {
            ["color"] = new[] { "red", "green", "blue" }[random.Next(3)],
            ["bucket"] = (long)random.Next(7),
            ["even"] = i % 2 == 0,
            ["source"] = new Dictionary<string, object?> { ["lang"] = new[] { "en", "de", "fr" }[random.Next(3)], ["page"] = (long)(i % 10) },
            ["score"] = random.Next(9) * 0.5,
        };
        switch (i % 5)
        {
            case 0: metadata["opt"] = "x"; break;
            case 1: metadata["opt"] = null; break;
        }

        return metadata;
    }

    internal static OracleData Build(DistanceMetric metric, int dimension, string path)
    {
        var random = new Random(7919 * dimension + 31 * (int)metric + 1);
        var shard = Shard.Create(path, new ShardOptions(dimension, metric));
        var inputs = Enumerable.Range(0, RowCount)
            .Select(i => new VectorInput($"k{i}", RandomData.Vector(random, dimension), Metadata(random, i)))
            .ToArray();
        var rows = new List<OracleRow>();
        foreach (var batch in inputs.Chunk(500))
        {
            var records = shard.Add(batch);
            rows.AddRange(records.Select((r, i) => new OracleRow(r.Id, batch[i].Key!, batch[i].Vector, batch[i].Metadata)));
        }

        // Random queries, two stored vectors as they are (distance 0 / exact self-match) and one slightly moved.
        var queries = new List<float[]>();
        for (var q = 0; q < 4; q++)
        {
            queries.Add(RandomData.Vector(random, dimension));
        }

        queries.Add((float[])rows[17].Vector.Clone());
        queries.Add((float[])rows[1234].Vector.Clone());
        queries.Add(rows[999].Vector.Select(x => x + (float)(0.01 * RandomData.Gaussian(random))).ToArray());
        return new OracleData { Shard = shard, Metric = metric, Dimension = dimension, Rows = rows, Queries = queries };
    }

    /// <summary>The reference ranking of every row (or those the predicate admits) for a query.</summary>
    public List<(long Id, double Distance)> Rank(float[] query, Func<OracleRow, bool>? where = null) =>
        Reference.Rank(Metric, query, Rows.Where(r => where is null || where(r)).Select(r => (r.Id, r.Vector)));

    /// <summary>
    /// How far a float32 distance may be from the double reference: 1e-4 relative, with a floor of 1e-4 of the
    /// metric's natural scale so that distances near zero (self matches) do not demand exactness.
    /// </summary>
    public double Tolerance(float[] query, double referenceDistance)
    {
        var scale = Metric switch
        {
            DistanceMetric.Cosine => 0.1,
            DistanceMetric.L2 => 0.01 * Reference.Norm(query),
            _ => 0.1 * Reference.Norm(query) * MeanNorm,
        };
        return 1e-4 * Math.Max(Math.Abs(referenceDistance), scale);
    }

    private double MeanNorm => _meanNorm ??= Rows.Average(r => Reference.Norm(r.Vector));

    private double? _meanNorm;
}

/// <summary>Builds each oracle data set once per test class run and closes them at the end.</summary>
public sealed class OracleFixture : IDisposable
{
    private readonly TempDirectory _temp = new();
    private readonly Dictionary<(DistanceMetric, int, bool), OracleData> _sets = new();

    public OracleData Get(DistanceMetric metric, int dimension, bool inMemory = false)
    {
        lock (_sets)
        {
            if (!_sets.TryGetValue((metric, dimension, inMemory), out var data))
            {
                var path = inMemory ? MemoryShard.NewPath() : _temp.File($"oracle-{metric}-{dimension}.vshard");
                data = OracleData.Build(metric, dimension, path);
                _sets[(metric, dimension, inMemory)] = data;
            }

            return data;
        }
    }

    public void Dispose()
    {
        foreach (var data in _sets.Values)
        {
            data.Shard.Dispose();
        }

        _temp.Dispose();
    }
}
