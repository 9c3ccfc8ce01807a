using System.Buffers;
using VectorShard.Core.Search.Kernels;

namespace VectorShard.Core.Search;

/// <summary>
/// Quantized search: a prescan of every row's int8 codes (a quarter of the bytes of an exact scan) or sign
/// bits (1/32) ranks approximate distances and keeps the best K × oversample candidates, which are then
/// rescored exactly in float32. Recall depends on the oversampling (the benchmark reports it); sign bits
/// need much more of it than int8. Each chunk's approximate scores are computed in one block call and
/// filtered by <see cref="ScoreCollector"/> (scratch arrays come from the shared pool); a large image is prescanned by several threads.
/// </summary>
public static class QuantizedScan
{
    /// <summary>For each query, its k nearest (id, distance) among the rescored candidates, nearest first.</summary>
    public static (long Id, float Distance)[][] Run(VectorImage image, DistanceMetric metric, IReadOnlyList<float[]> queries,
        IReadOnlyList<float> queryNorms, int k, float maxDistance, int oversample, VectorKernel kernel,
        SearchQuantization quantization = SearchQuantization.Int8, int maxThreads = 0)
    {
        var binary = quantization == SearchQuantization.Binary;
        if (binary)
        {
            image.EnsureSignBits();
        }
        else
        {
            image.EnsureInt8Codes();
        }

        var bytesPerRow = binary ? SignBits.WordsFor(image.Dimension) * sizeof(ulong) : image.Dimension;
        var threads = ChunkPartition.Threads((long)image.Count * bytesPerRow, image.ChunkCount, maxThreads);
        var limit = DistanceFunction.RankingLimit(metric, maxDistance);
        var keep = (int)Math.Min(int.MaxValue, (long)k * oversample);
        var results = new (long Id, float Distance)[queries.Count][];
        for (var q = 0; q < queries.Count; q++)
        {
            var prescan = binary
                ? BitsPrescan(image, metric, queries[q], queryNorms[q], keep)
                : Int8Prescan(image, metric, queries[q], queryNorms[q], keep);
            var partial = ChunkPartition.Run(image.ChunkCount, threads, prescan);
            foreach (var other in partial.Skip(1))
            {
                partial[0].Merge(other);
            }

            results[q] = Rescore(image, metric, queries[q], queryNorms[q], partial[0], k, limit, kernel);
        }

        return results;
    }

    // The candidates rescored exactly, by the same kernel as the exact scan, so both give the same bits.
    private static (long Id, float Distance)[] Rescore(VectorImage image, DistanceMetric metric, float[] query, float queryNorm,
        TopK candidates, int k, float limit, VectorKernel kernel)
    {
        var best = new TopK(k);
        var score = new float[1];
        var row = new float[image.Dimension];
        foreach (var (id, _) in candidates.ToSortedArray())
        {
            image.TryGetRow(id, row, out var vector, out var norm);
            if (metric == DistanceMetric.L2)
            {
                kernel.SquaredDistanceRows(query, vector.Span, image.Dimension, score);
            }
            else
            {
                kernel.DotRows(query, vector.Span, image.Dimension, score);
            }

            var distance = DistanceFunction.FromScore(metric, score[0], queryNorm, norm);
            if (distance <= limit)
            {
                best.Add(id, distance);
            }
        }

        return DistanceFunction.Finish(metric, best);
    }

    // A prescan of chunks [first, end) over int8 codes: q·v ≈ scaleQ × scaleV × Σ codeQ·codeV.
    private static Func<int, int, TopK> Int8Prescan(VectorImage image, DistanceMetric metric, float[] query, float queryNorm, int keep)
    {
        var codes = new sbyte[image.Dimension];
        var queryScale = Int8Codes.Quantize(query, codes);
        var wide = Int8Codes.Widen(codes);
        return (first, end) =>
        {
            var candidates = new TopK(keep);
            var dots = ArrayPool<int>.Shared.Rent(image.RowsPerChunk);
            var scores = ArrayPool<float>.Shared.Rent(image.RowsPerChunk);
            for (var c = first; c < end; c++)
            {
                var (rowCodes, scales) = image.GetChunkCodes(c);
                var (_, norms, ids) = image.GetChunk(c);
                Int8Codes.DotRows(wide, rowCodes.Span, image.Dimension, dots);
                for (var row = 0; row < ids.Length; row++)
                {
                    scores[row] = EstimatedScore(metric, queryScale * scales.Span[row] * dots[row], queryNorm, norms.Span[row]);
                }

                ScoreCollector.Collect(metric, scores.AsSpan(0, ids.Length), queryNorm, norms.Span, ids.Span, float.PositiveInfinity, candidates);
            }

            ArrayPool<int>.Shared.Return(dots);
            ArrayPool<float>.Shared.Return(scores);
            return candidates;
        };
    }

    // A prescan of chunks [first, end) over sign bits: q·v ≈ ‖q‖‖v‖ cos(π × differing bits ÷ dimension).
    private static Func<int, int, TopK> BitsPrescan(VectorImage image, DistanceMetric metric, float[] query, float queryNorm, int keep)
    {
        var words = SignBits.WordsFor(image.Dimension);
        var queryBits = new ulong[words];
        SignBits.Encode(query, queryBits);
        // One cosine per possible count of differing bits, instead of one per row.
        var cosines = Enumerable.Range(0, image.Dimension + 1).Select(d => SignBits.EstimatedCosine(d, image.Dimension)).ToArray();
        return (first, end) =>
        {
            var candidates = new TopK(keep);
            var scores = ArrayPool<float>.Shared.Rent(image.RowsPerChunk);
            for (var c = first; c < end; c++)
            {
                var bits = image.GetChunkSignBits(c).Span;
                var (_, norms, ids) = image.GetChunk(c);
                for (var row = 0; row < ids.Length; row++)
                {
                    var norm = norms.Span[row];
                    var cosine = cosines[SignBits.Hamming(queryBits, bits.Slice(row * words, words))];
                    scores[row] = EstimatedScore(metric, queryNorm * norm * cosine, queryNorm, norm);
                }

                ScoreCollector.Collect(metric, scores.AsSpan(0, ids.Length), queryNorm, norms.Span, ids.Span, float.PositiveInfinity, candidates);
            }

            ArrayPool<float>.Shared.Return(scores);
            return candidates;
        };
    }

    // The kernel-form score from an estimated dot product: L2 ranks by ‖q‖² + ‖v‖² − 2 q·v.
    private static float EstimatedScore(DistanceMetric metric, float dot, float queryNorm, float vectorNorm) =>
        metric == DistanceMetric.L2 ? queryNorm * queryNorm + vectorNorm * vectorNorm - 2 * dot : dot;
}
