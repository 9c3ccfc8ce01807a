namespace VectorShard.Core.Search;

/// <summary>
/// Quantized search: a prescan of every row's int8 codes (a quarter of the bytes of an exact scan) or sign
/// bits (1/32) ranks approximate distances and keeps the best K × oversample candidates, which are then
/// rescored exactly in float32. Recall depends on the oversampling (the benchmark reports it); sign bits
/// need much more of it than int8.
/// </summary>
public static class QuantizedScan
{
    /// <summary>For each query, its k nearest (id, distance) among the rescored candidates, nearest first.</summary>
    public static (long Id, float Distance)[][] Run(VectorImage image, DistanceMetric metric, IReadOnlyList<float[]> queries,
        IReadOnlyList<float> queryNorms, int k, float maxDistance, int oversample, Kernels.VectorKernel kernel,
        SearchQuantization quantization = SearchQuantization.Int8)
    {
        if (quantization == SearchQuantization.Binary)
        {
            image.EnsureSignBits();
        }
        else
        {
            image.EnsureInt8Codes();
        }

        var queryBits = new ulong[SignBits.WordsFor(image.Dimension)];
        var limit = DistanceFunction.RankingLimit(metric, maxDistance);
        var queryCodes = new sbyte[image.Dimension];
        var results = new (long Id, float Distance)[queries.Count][];
        var score = new float[1];
        var row = new float[image.Dimension];
        for (var q = 0; q < queries.Count; q++)
        {
            var keep = (int)Math.Min(int.MaxValue, (long)k * oversample);
            TopK candidates;
            if (quantization == SearchQuantization.Binary)
            {
                SignBits.Encode(queries[q], queryBits);
                candidates = PrescanBits(image, metric, queryBits, queryNorms[q], keep);
            }
            else
            {
                var queryScale = Int8Codes.Quantize(queries[q], queryCodes);
                candidates = Prescan(image, metric, queryCodes, queryScale, queryNorms[q], keep);
            }
            var best = new TopK(k);
            foreach (var (id, _) in candidates.ToSortedArray())
            {
                // Rescored by the same kernel as the exact scan, so both give the same bits.
                image.TryGetRow(id, row, out var vector, out var norm);
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

    private static TopK PrescanBits(VectorImage image, DistanceMetric metric, ulong[] queryBits, float queryNorm, int keep)
    {
        var words = queryBits.Length;
        var candidates = new TopK(keep);
        for (var c = 0; c < image.ChunkCount; c++)
        {
            var bits = image.GetChunkSignBits(c).Span;
            var (_, norms, ids) = image.GetChunk(c);
            for (var row = 0; row < ids.Length; row++)
            {
                var vectorNorm = norms.Span[row];
                var cosine = SignBits.EstimatedCosine(SignBits.Hamming(queryBits, bits.Slice(row * words, words)), image.Dimension);
                var distance = FromEstimatedDot(metric, queryNorm * vectorNorm * cosine, queryNorm, vectorNorm);
                if (distance <= candidates.Bound)
                {
                    candidates.Add(ids.Span[row], distance);
                }
            }
        }

        return candidates;
    }

    // L2 ranks by ‖q‖² + ‖v‖² − 2 q·v, which needs only the estimated dot product.
    private static float FromEstimatedDot(DistanceMetric metric, float dot, float queryNorm, float vectorNorm) =>
        DistanceFunction.FromScore(metric, metric == DistanceMetric.L2 ? queryNorm * queryNorm + vectorNorm * vectorNorm - 2 * dot : dot,
            queryNorm, vectorNorm);

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
                var distance = FromEstimatedDot(metric, dot, queryNorm, norms.Span[row]);
                if (distance <= candidates.Bound)
                {
                    candidates.Add(ids.Span[row], distance);
                }
            }
        }

        return candidates;
    }
}
