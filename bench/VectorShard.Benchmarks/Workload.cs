using System.Globalization;

namespace VectorShard.Benchmarks;

/// <summary>
/// One benchmark workload: how many stored vectors, their dimension, k and the metric. A real-embeddings
/// workload reads its vectors from the MiniLM corpus (see <see cref="RealEmbeddings"/>): its Count is 0 until
/// the corpus is loaded, and <see cref="DataTag"/> then names the corpus file's contents.
/// </summary>
public sealed record Workload(string Name, int Count, int Dimension, int K, DistanceMetric Metric, bool WideNorms = false,
    bool RealEmbeddings = false, string? DataTag = null, bool BackToBack = false)
{
    /// <summary>The issue's workloads. W1/W2 match its reference figures (unit vectors, L2); W3 is cosine.</summary>
    public static readonly IReadOnlyList<Workload> All =
    [
        // Also measured back to back: the issue's W1 figures (numpy 2.2 ms, "~31 GB/s ... they fit in L3") and its
        // quantized target (p50 ≤ 0.5 ms) are for data in cache, as in a steady stream of queries on one shard.
        new("W1", 10_000, 1536, 5, DistanceMetric.L2, BackToBack: true),
        new("W2", 100_000, 384, 10, DistanceMetric.L2),
        new("W3", 1_000_000, 96, 10, DistanceMetric.Cosine),
        // Unnormalized vectors (norms 0.25 to 4), where the norm prefilter can prune under L2.
        new("W4", 100_000, 384, 10, DistanceMetric.L2, WideNorms: true),
        // all-MiniLM-L6-v2 embeddings of the .NET reference docs' summaries (unit vectors), queries held out.
        new("M1", 0, 384, 10, DistanceMetric.Cosine, RealEmbeddings: true),
    ];

    /// <summary>Bytes of vector payload an exact query must read: count × dimension × 4.</summary>
    public long VectorBytes => (long)Count * Dimension * sizeof(float);

    /// <summary>For titles: "W2 — 100,000 × 384, k=10, L2".</summary>
    public string Title => string.Create(CultureInfo.InvariantCulture,
        $"{Name} — {(RealEmbeddings ? "MiniLM real embeddings, " : "")}{(Count > 0 ? $"{Count:N0}" : "N")} × {Dimension}, k={K}, {Metric}{(WideNorms ? ", norms 0.25–4" : "")}");

    /// <summary>The file stem cached data is stored under: changes with anything that changes the data.</summary>
    public string CacheStem(ulong seed) => string.Create(CultureInfo.InvariantCulture,
        $"{Name}-n{Count}-d{Dimension}-{Metric.ToString().ToLowerInvariant()}{(WideNorms ? "-wide" : "")}-seed{seed}-{DataTag ?? DataGenerator.Version}");
}

/// <summary>
/// Seeded unit vectors: Gaussian components (Box–Muller on SplitMix64), normalized. Rows are generated in
/// fixed blocks, each from its own stream, so the data is the same whatever the thread count.
/// </summary>
public static class DataGenerator
{
    /// <summary>Changes whenever the generated numbers would change (it is part of cache file names).</summary>
    public const string Version = "g1";

    private const int BlockRows = 4096;

    /// <summary>count × dimension floats, row-major; every row has unit Euclidean norm.</summary>
    public static float[] UnitVectors(int count, int dimension, ulong seed, ulong stream)
    {
        var data = new float[checked(count * dimension)];
        var blocks = (count + BlockRows - 1) / BlockRows;
        Parallel.For(0, blocks, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, block =>
        {
            var state = Mix(seed ^ Mix(stream * 0x9E3779B97F4A7C15UL ^ (ulong)block));
            var row = new double[dimension];
            var end = Math.Min(count, (block + 1) * BlockRows);
            for (var r = block * BlockRows; r < end; r++)
            {
                var sum = 0.0;
                for (var j = 0; j < dimension; j += 2)
                {
                    // Box–Muller: two uniforms in (0, 1] give two independent normals.
                    var u1 = ((Next(ref state) >> 11) + 1) * (1.0 / (1UL << 53));
                    var u2 = (Next(ref state) >> 11) * (1.0 / (1UL << 53));
                    var radius = Math.Sqrt(-2.0 * Math.Log(u1));
                    var (sin, cos) = Math.SinCos(2.0 * Math.PI * u2);
                    row[j] = radius * cos;
                    sum += row[j] * row[j];
                    if (j + 1 < dimension)
                    {
                        row[j + 1] = radius * sin;
                        sum += row[j + 1] * row[j + 1];
                    }
                }

                var scale = 1.0 / Math.Sqrt(sum);
                var target = data.AsSpan(r * dimension, dimension);
                for (var j = 0; j < dimension; j++)
                {
                    target[j] = (float)(row[j] * scale);
                }
            }
        });
        return data;
    }

    /// <summary>Scales row r by 0.25 × 16^u(r), u uniform in [0, 1) from the seed: norms spread from 0.25 to 4.</summary>
    public static void SpreadNorms(float[] data, int dimension, ulong seed)
    {
        var state = Mix(seed ^ 0xA5A5A5A5UL);
        for (var r = 0; r < data.Length / dimension; r++)
        {
            var scale = (float)(0.25 * Math.Pow(16, (Next(ref state) >> 11) * (1.0 / (1UL << 53))));
            foreach (ref var x in data.AsSpan(r * dimension, dimension))
            {
                x *= scale;
            }
        }
    }

    /// <summary><paramref name="sample"/> distinct row indices of [0, count), a seeded partial Fisher–Yates shuffle.</summary>
    public static int[] SampleRows(int count, int sample, ulong seed)
    {
        var rows = Enumerable.Range(0, count).ToArray();
        var state = Mix(seed ^ 0x5EED5A3B1EUL);
        for (var i = 0; i < Math.Min(sample, count); i++)
        {
            var j = i + (int)(Next(ref state) % (ulong)(count - i));
            (rows[i], rows[j]) = (rows[j], rows[i]);
        }

        return rows[..Math.Min(sample, count)];
    }

    /// <summary>Row <paramref name="row"/> of a row-major matrix, as a new array.</summary>
    public static float[] Row(float[] data, int dimension, int row) => data.AsSpan(row * dimension, dimension).ToArray();

    private static ulong Next(ref ulong state) => Mix(state += 0x9E3779B97F4A7C15UL);

    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
