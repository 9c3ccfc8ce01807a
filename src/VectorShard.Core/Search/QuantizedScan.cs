namespace VectorShard.Core.Search;

/// <summary>
/// Quantized search: a prescan of every row's int8 codes ranks approximate distances and keeps the best
/// K × oversample candidates, which are then rescored exactly in float32. The prescan reads a quarter of
/// the bytes of an exact scan; recall depends on the oversampling (the benchmark reports it).
/// </summary>
public static class QuantizedScan
{
    /// <summary>For each query, its k nearest (id, distance) among the rescored candidates, nearest first.</summary>
    public static (long Id, float Distance)[][] Run(VectorImage image, DistanceMetric metric, IReadOnlyList<float[]> queries,
        IReadOnlyList<float> queryNorms, int k, float maxDistance, int oversample, Kernels.VectorKernel kernel)
    {
        image.EnsureInt8Codes();
        var limit = DistanceFunction.RankingLimit(metric, maxDistance);
        var queryCodes = new sbyte[image.Dimension];
        var results = new (long Id, float Distance)[queries.Count][];
        var score = new float[1];
        for (var q = 0; q < queries.Count; q++)
        {
            var queryScale = Int8Codes.Quantize(queries[q], queryCodes);
            var candidates = Prescan(image, metric, queryCodes, queryScale, queryNorms[q], (int)Math.Min(int.MaxValue, (long)k * oversample));
            var best = new TopK(k);
            foreach (var (id, _) in candidates.ToSortedArray())
            {
                // Rescored by the same kernel as the exact scan, so both give the same bits.
                image.TryGetRow(id, out var vector, out var norm);
                if (metric == DistanceMetric.L2)
                {
                    kernel.SquaredDistanceRows(queries[q], vector.Span, image.Dimension, score);
                }
                else
                {
                    kernel.DotRows(queries[q], vector.Span, image.Dimension, score);
                }

                var distance = DistanceFunction.FromScore(metric, score[0], queryNorms[q], norm);
                if (distance <= limit)
                {
                    best.Add(id, distance);
                }
            }

            results[q] = DistanceFunction.Finish(metric, best);
        }

        return results;
    }

    private static TopK Prescan(VectorImage image, DistanceMetric metric, sbyte[] queryCodes, float queryScale, float queryNorm, int keep)
    {
        var dimension = image.Dimension;
        var candidates = new TopK(keep);
        for (var c = 0; c < image.ChunkCount; c++)
        {
            var (codes, scales) = image.GetChunkCodes(c);
            var (_, norms, ids) = image.GetChunk(c);
            var codeSpan = codes.Span;
            for (var row = 0; row < ids.Length; row++)
            {
                var dot = queryScale * scales.Span[row] * Int8Codes.Dot(queryCodes, codeSpan.Slice(row * dimension, dimension));
                var vectorNorm = norms.Span[row];
                // L2 ranks by ‖q‖² + ‖v‖² − 2 q·v, which needs only the approximate dot product.
                var score = metric == DistanceMetric.L2 ? queryNorm * queryNorm + vectorNorm * vectorNorm - 2 * dot : dot;
                var distance = DistanceFunction.FromScore(metric, score, queryNorm, vectorNorm);
                if (distance <= candidates.Bound)
                {
                    candidates.Add(ids.Span[row], distance);
                }
            }
        }

        return candidates;
    }
}
