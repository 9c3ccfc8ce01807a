using VectorShard.Core.Search.Kernels;

namespace VectorShard.Core.Search;

/// <summary>
/// Exact k-NN over a <see cref="VectorImage"/> for a batch of queries: each chunk of rows is read once
/// per batch, and the kernel scores up to <see cref="QueryGroup"/> queries against it together, so a batch
/// costs little more memory traffic than one query. L2 ranks by squared distance and takes the root of
/// the k kept only.
/// </summary>
public static class ImageScan
{
    /// <summary>How many queries the kernel scores against a chunk in one call.</summary>
    public const int QueryGroup = 8;

    /// <summary>Below this many floats (16 MiB), one thread scans: starting threads would cost more than it saves.</summary>
    public const long ParallelThresholdFloats = 4L << 20;

    /// <summary>
    /// For each query, its k nearest (id, distance) within <paramref name="maxDistance"/>, nearest first.
    /// A large image is split into contiguous runs of chunks scanned by up to <paramref name="maxThreads"/>
    /// threads (0: one per core), each with its own top-k, merged at the end.
    /// </summary>
    public static (long Id, float Distance)[][] Run(VectorImage image, DistanceMetric metric, IReadOnlyList<float[]> queries,
        IReadOnlyList<float> queryNorms, int k, float maxDistance, VectorKernel kernel, int maxThreads = 0)
    {
        var dimension = image.Dimension;
        var packed = new float[queries.Count * dimension];
        for (var q = 0; q < queries.Count; q++)
        {
            queries[q].CopyTo(packed, q * dimension);
        }

        var limit = DistanceFunction.RankingLimit(metric, maxDistance);
        var threads = (long)image.Count * dimension < ParallelThresholdFloats ? 1
            : Math.Min(image.ChunkCount, maxThreads > 0 ? maxThreads : Environment.ProcessorCount);
        var partial = new TopK[threads][];
        Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, t =>
        {
            var first = (int)((long)image.ChunkCount * t / threads);
            var end = (int)((long)image.ChunkCount * (t + 1) / threads);
            partial[t] = ScanChunks(image, metric, packed, queries.Count, queryNorms, k, limit, kernel, first, end);
        });

        var best = partial[0];
        for (var t = 1; t < threads; t++)
        {
            for (var q = 0; q < queries.Count; q++)
            {
                foreach (var (id, distance) in partial[t][q].ToSortedArray())
                {
                    best[q].Add(id, distance);
                }
            }
        }

        return best.Select(top => DistanceFunction.Finish(metric, top)).ToArray();
    }

    // One thread's share: chunks [first, end) against every query.
    private static TopK[] ScanChunks(VectorImage image, DistanceMetric metric, float[] packed, int queryCount,
        IReadOnlyList<float> queryNorms, int k, float limit, VectorKernel kernel, int first, int end)
    {
        var dimension = image.Dimension;
        var best = Enumerable.Range(0, queryCount).Select(_ => new TopK(k)).ToArray();
        var scores = new float[QueryGroup * image.RowsPerBlock];
        var buffer = image.NewBlockBuffer();
        // A single query on a norm-sorted image visits chunks nearest its norm first and skips those the
        // norm bound rules out; batches scan everything.
        var prune = queryCount == 1 && image.IsSortedByNorm && metric != DistanceMetric.Cosine;
        var order = Enumerable.Range(first, end - first);
        if (prune)
        {
            // L2: nearest norms first; Dot: largest norms first (they can have the largest products).
            order = metric == DistanceMetric.L2
                ? order.OrderBy(c => NormGap(image.GetChunkNormRange(c), queryNorms[0]))
                : order.OrderByDescending(c => image.GetChunkNormRange(c).Max);
        }

        foreach (var c in order)
        {
            if (prune)
            {
                var (min, max) = image.GetChunkNormRange(c);
                if (NormPrefilter.RulesOut(metric, queryNorms[0], min, max, MathF.Min(limit, best[0].Bound)))
                {
                    continue;
                }
            }

            var (_, norms, ids) = image.GetChunk(c);
            // Float32: one block, the whole chunk read in place. Float16: a few rows at a time, converted once for all queries.
            for (var from = 0; from < ids.Length; from += image.RowsPerBlock)
            {
                var rows = Math.Min(image.RowsPerBlock, ids.Length - from);
                var vectors = image.GetRows(c, from, rows, buffer);
                for (var start = 0; start < queryCount; start += QueryGroup)
                {
                    var group = Math.Min(QueryGroup, queryCount - start);
                    var groupScores = scores.AsSpan(0, group * rows);
                    Score(kernel, metric, packed.AsSpan(start * dimension, group * dimension), group, vectors, dimension, groupScores);
                    for (var q = 0; q < group; q++)
                    {
                        Collect(metric, groupScores.Slice(q * rows, rows), queryNorms[start + q], norms.Span.Slice(from, rows), ids.Span.Slice(from, rows),
                            limit, best[start + q]);
                    }
                }
            }
        }

        return best;
    }

    private static float NormGap((float Min, float Max) range, float queryNorm) =>
        MathF.Max(0f, MathF.Max(range.Min - queryNorm, queryNorm - range.Max));

    private static void Score(VectorKernel kernel, DistanceMetric metric, ReadOnlySpan<float> queries, int count,
        ReadOnlySpan<float> rows, int dimension, Span<float> scores)
    {
        if (metric == DistanceMetric.L2)
        {
            if (count == 1)
            {
                kernel.SquaredDistanceRows(queries, rows, dimension, scores);
            }
            else
            {
                kernel.SquaredDistanceRowsMany(queries, count, rows, dimension, scores);
            }
        }
        else if (count == 1)
        {
            kernel.DotRows(queries, rows, dimension, scores);
        }
        else
        {
            kernel.DotRowsMany(queries, count, rows, dimension, scores);
        }
    }

    // Turns scores into distances and offers those within the limit and the current k-th best.
    private static void Collect(DistanceMetric metric, ReadOnlySpan<float> scores, float queryNorm, ReadOnlySpan<float> norms,
        ReadOnlySpan<long> ids, float limit, TopK best)
    {
        var bound = Math.Min(limit, best.Bound);
        for (var i = 0; i < scores.Length; i++)
        {
            var distance = DistanceFunction.FromScore(metric, scores[i], queryNorm, norms[i]);
            if (distance <= bound)
            {
                best.Add(ids[i], distance);
                bound = Math.Min(limit, best.Bound);
            }
        }
    }
}
