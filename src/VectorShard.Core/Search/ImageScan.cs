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

    /// <summary>For each query, its k nearest (id, distance) within <paramref name="maxDistance"/>, nearest first.</summary>
    public static (long Id, float Distance)[][] Run(VectorImage image, DistanceMetric metric, IReadOnlyList<float[]> queries,
        IReadOnlyList<float> queryNorms, int k, float maxDistance, VectorKernel kernel)
    {
        var dimension = image.Dimension;
        var packed = new float[queries.Count * dimension];
        for (var q = 0; q < queries.Count; q++)
        {
            queries[q].CopyTo(packed, q * dimension);
        }

        var limit = DistanceFunction.RankingLimit(metric, maxDistance);
        var best = queries.Select(_ => new TopK(k)).ToArray();
        var scores = new float[QueryGroup * image.RowsPerChunk];
        for (var c = 0; c < image.ChunkCount; c++)
        {
            var (vectors, norms, ids) = image.GetChunk(c);
            var rows = ids.Length;
            for (var first = 0; first < queries.Count; first += QueryGroup)
            {
                var group = Math.Min(QueryGroup, queries.Count - first);
                var groupQueries = packed.AsSpan(first * dimension, group * dimension);
                var groupScores = scores.AsSpan(0, group * rows);
                Score(kernel, metric, groupQueries, group, vectors.Span, dimension, groupScores);
                for (var q = 0; q < group; q++)
                {
                    Collect(metric, groupScores.Slice(q * rows, rows), queryNorms[first + q], norms.Span, ids.Span, limit, best[first + q]);
                }
            }
        }

        return best.Select(top => DistanceFunction.Finish(metric, top)).ToArray();
    }

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
