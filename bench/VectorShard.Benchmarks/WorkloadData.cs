namespace VectorShard.Benchmarks;

/// <summary>
/// A workload's stored vectors (row r is id r + 1 in every store) and its queries, with notes on where they
/// came from. <see cref="Workload"/> is the workload with its final Count (and, for real embeddings, DataTag).
/// </summary>
public sealed record WorkloadData(Workload Workload, float[] Vectors, float[][] Queries, IReadOnlyList<string> Notes)
{
    /// <summary>Distinct generated queries per workload: enough for a batch of 64.</summary>
    private const int MinQuerySet = 64;

    /// <summary>Seeded Gaussian unit vectors (norms spread for W4); queries are further random unit vectors.</summary>
    public static WorkloadData Generate(Workload w, BenchOptions options)
    {
        var stream = (ulong)(Workload.All.ToList().IndexOf(w) + 1);
        var data = DataGenerator.UnitVectors(w.Count, w.Dimension, options.Seed, stream);
        if (w.WideNorms)
        {
            DataGenerator.SpreadNorms(data, w.Dimension, options.Seed + stream);
        }

        var queryData = DataGenerator.UnitVectors(Math.Max(options.Queries, MinQuerySet), w.Dimension, options.Seed, stream + 1000);
        var queries = Enumerable.Range(0, queryData.Length / w.Dimension).Select(q => DataGenerator.Row(queryData, w.Dimension, q)).ToArray();
        return new WorkloadData(w, data, queries, []);
    }
}
