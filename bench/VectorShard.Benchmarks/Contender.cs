using System.Diagnostics;

namespace VectorShard.Benchmarks;

/// <summary>
/// One way of answering k-NN queries, and what was measured of it. <see cref="Run"/> answers a batch of
/// queries (one query for single-query contenders) with the k nearest ids of each.
/// </summary>
public sealed class Contender(string name, int batchSize, Func<float[][], long[][]>? run, string? unavailable, int threads = 1)
{
    /// <summary>Threads one call may use: its bandwidth bound is the one for that many threads.</summary>
    public int Threads { get; } = threads;

    /// <summary>
    /// An approximate search (quantized, or over float16-rounded vectors): its recall is reported, and a miss
    /// is not an error.
    /// </summary>
    public bool Approximate { get; init; }

    /// <summary>A quantized search (int8 or sign-bit prescan with rescoring): judged against the quantization target.</summary>
    public bool Quantized { get; init; }

    /// <summary>The bytes it scans as a share of the float32 vectors' (0.5 for a Float16 shard): its bound scales with it.</summary>
    public double BytesFraction { get; init; } = 1.0;

    public string Name { get; } = name;

    /// <summary>Queries per call: 1, or the batch size of a multi-query call.</summary>
    public int BatchSize { get; } = batchSize;

    public Func<float[][], long[][]>? Run { get; } = run;

    /// <summary>Why the contender has no numbers (not available, or it failed); null when it ran.</summary>
    public string? Unavailable { get; private set; } = unavailable;

    /// <summary>Per call: seconds per query (the call's time divided by its batch size).</summary>
    public List<double> PerQuerySeconds { get; } = [];

    public int Calls => PerQuerySeconds.Count;

    public int QueriesAnswered => Calls * BatchSize;

    public double TotalSeconds { get; private set; }

    /// <summary>The first answer seen per query index.</summary>
    public Dictionary<int, long[]> Answers { get; } = [];

    public bool HasNumbers => Unavailable is null && Calls > 0;

    /// <summary>The first (warm-up) call: JIT, page cache, and anything built on first use.</summary>
    public double? FirstCallSeconds { get; private set; }

    public double Median => Percentile(0.50);

    public double P99 => Percentile(0.99);

    public double Qps => QueriesAnswered / TotalSeconds;

    /// <summary>The recall against the reference, filled in after the run.</summary>
    public RecallReport? Recall { get; set; }

    /// <summary>For approximate searches: the recall over every query of the workload, timed or not.</summary>
    public RecallReport? RecallAllQueries { get; set; }

    /// <summary>Times one call on the queries with these indices; a failure marks the contender unavailable.</summary>
    public bool Measure(float[][] queries, int[] indices, bool record)
    {
        var batch = indices.Select(i => queries[i]).ToArray();
        try
        {
            var start = Stopwatch.GetTimestamp();
            var answers = Run!(batch);
            var seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
            if (answers.Length != batch.Length)
            {
                throw new InvalidOperationException($"{answers.Length} answers for {batch.Length} queries");
            }

            for (var i = 0; i < indices.Length; i++)
            {
                Answers.TryAdd(indices[i], answers[i]);
            }

            FirstCallSeconds ??= seconds;
            if (record)
            {
                PerQuerySeconds.Add(seconds / batch.Length);
                TotalSeconds += seconds;
            }

            return true;
        }
#pragma warning disable CA1031 // A failing contender is reported in its row; the others still run.
        catch (Exception e)
#pragma warning restore CA1031
        {
            Unavailable = $"failed: {e.GetType().Name}: {e.Message}";
            Console.WriteLine($"    {Name}: {Unavailable}");
            return false;
        }
    }

    // Nearest rank: with 50 samples, p99 is the slowest.
    private double Percentile(double p)
    {
        var sorted = PerQuerySeconds.Order().ToArray();
        return sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];
    }
}

/// <summary>Recall@k against the naive exact answer over the queries a contender answered.</summary>
public sealed record RecallReport(double Recall, int Queries, int Exact, int NearTies, int Misses)
{
    /// <summary>Every answered query's ids are the reference ids, or differ only by float near-ties.</summary>
    public bool Correct => Misses == 0;

    /// <summary>
    /// Compares answers with the reference. A query whose ids differ is a near-tie when every swapped-in or
    /// swapped-out neighbour lies within 1e-5 (in double-precision distance) of the others: float rounding
    /// order, not a wrong answer.
    /// </summary>
    public static RecallReport Compute(Dictionary<int, long[]> answers, long[][] reference, float[][] queries,
        float[] data, int dimension, DistanceMetric metric)
    {
        if (answers.Count == 0)
        {
            return new RecallReport(double.NaN, 0, 0, 0, 0);
        }

        double sum = 0;
        int exact = 0, ties = 0, misses = 0;
        foreach (var (q, ids) in answers)
        {
            var truth = reference[q];
            var hits = ids.Distinct().Count(truth.Contains);
            sum += (double)hits / truth.Length;
            if (hits == truth.Length && ids.Length == truth.Length)
            {
                exact++;
                continue;
            }

            var swapped = ids.Except(truth).Concat(truth.Except(ids)).Where(id => id >= 1 && id <= data.Length / dimension).ToArray();
            var distances = swapped.Select(id => PlainExact.ExactDistance(metric, queries[q], data.AsSpan((int)(id - 1) * dimension, dimension))).ToArray();
            var outOfRange = ids.Length != truth.Length || ids.Distinct().Count() != ids.Length || swapped.Length != ids.Except(truth).Count() + truth.Except(ids).Count();
            if (!outOfRange && distances.Length > 0 && distances.Max() - distances.Min() <= 1e-5)
            {
                ties++;
            }
            else
            {
                misses++;
            }
        }

        return new RecallReport(sum / answers.Count, answers.Count, exact, ties, misses);
    }
}
