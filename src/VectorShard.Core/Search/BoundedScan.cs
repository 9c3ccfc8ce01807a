using System.Buffers;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using VectorShard.Core.Search.Kernels;

namespace VectorShard.Core.Search;

/// <summary>
/// Exact search from a quarter of the bytes (the approximation-file method of Weber, Schek and Blott, 1998): a pass
/// over the rows' int8 codes bounds each row's distance from below and above, and only the rows whose lower bound
/// reaches the k-th smallest upper bound are rescored in float32. No row that the float32 scan would rank among the
/// k nearest can be left out, so the answer is the exact scan's, bit for bit.
/// </summary>
/// <remarks>
/// A row is x = s·c + e with |eᵢ| ≤ s/2 (int8 codes c, scale s); the query is quantized to 16-bit codes, q = t·p + f with
/// |fᵢ| ≤ t/2. Then |q·x − s·t·(p·c)| ≤ |q·e| + s·Σ|fᵢ||cᵢ|, where |q·e| is at most s·‖q‖₁ ÷ 2 and at most ‖q‖·‖e‖ (the
/// image keeps ‖e‖ of every row: about √3 tighter on typical rows, which halved the rows rescored on the benchmark's
/// data) and s·Σ|fᵢ||cᵢ| ≤ s·127·t·dimension ÷ 2. That bounds every metric's distance; a further (dimension + 8)·2⁻²³
/// relative term covers float32 rounding in the kernels and norms.
/// </remarks>
public static class BoundedScan
{
    // Code rounding in float32 can exceed half a step by a hair; this widens the bound to cover it.
    private const float RoundingSlack = 1f + 1f / 1024;

    // 2⁻²³: twice float32's unit roundoff.
    private const float FloatEpsilon = 1f / (1 << 23);

    /// <summary>
    /// The most queries searched this way at once; more share one pass over the float32 rows (<see cref="ImageScan"/>).
    /// In one process, p50 for the batch, bounded against shared: 3 queries won everywhere (10,000 × 1536 1.67 against
    /// 2.92 ms, MiniLM 44,499 × 384 2.01 against 4.08, 100,000 × 384 3.91 against 6.12, 1,000,000 × 96 12.6 against 14.6).
    /// Where the codes fit in cache bounding still won at 6 (MiniLM 3.65 against 4.59) or 8 (10,000 × 1536 3.79 against
    /// 4.65), but at 6 it tied on 100,000 × 384 (7.44 against 7.55) and lost on 1,000,000 × 96 (24.8 against 15.5 ms),
    /// whose 96 MB of codes are read from memory for each query.
    /// </summary>
    public const int MaxQueries = 3;

    /// <summary>Rows per neighbour wanted below which every row is a near-certain candidate, so the full scan is cheaper.</summary>
    public const int MinRowsPerNeighbour = 16;

    /// <summary>Whether bounding pays for this many queries wanting k neighbours each from this image.</summary>
    public static bool Pays(VectorImage image, int queries, int k) =>
        queries <= MaxQueries && image.Count >= (long)k * MinRowsPerNeighbour;

    /// <summary>The k nearest (id, distance) to the query, nearest first: the exact scan's answer.</summary>
    public static (long Id, float Distance)[] Run(VectorImage image, DistanceMetric metric, float[] query, float queryNorm, int k,
        float maxDistance, VectorKernel kernel, int maxThreads = 0)
    {
        image.EnsureCodes(SearchQuantization.Int8);
        var dimension = image.Dimension;
        var limit = DistanceFunction.RankingLimit(metric, maxDistance);
        var codes = ArrayPool<short>.Shared.Rent(dimension);
        var queryScale = Int8Codes.QuantizeWide(query, codes.AsSpan(0, dimension));
        // Dot-product error bounds (see remarks): per unit of a row's scale, whole and for the query's codes alone; and
        // float32 rounding relative to ‖q‖‖x‖.
        var queryCodesError = 0.5f * RoundingSlack * 127f * queryScale * dimension;
        var error = new ErrorBound(0.5f * RoundingSlack * TensorPrimitives.SumOfMagnitudes(query) + queryCodesError, queryCodesError,
            queryNorm * RoundingSlack);
        var rounding = (dimension + 8) * FloatEpsilon;
        var threads = ChunkPartition.Threads((long)image.Count * dimension, image.ChunkCount, maxThreads);
        var parts = metric switch
        {
            DistanceMetric.L2 => Prescan(image, new L2Bounds(queryNorm, queryScale, error, rounding), codes, k, limit, threads),
            DistanceMetric.Cosine => Prescan(image, new CosineBounds(queryNorm, queryScale, error, rounding), codes, k, limit, threads),
            _ => Prescan(image, new DotBounds(queryNorm, queryScale, error, rounding), codes, k, limit, threads),
        };
        ArrayPool<short>.Shared.Return(codes);

        var (upper, candidates) = parts[0];
        foreach (var (otherUpper, otherCandidates) in parts.Skip(1))
        {
            upper.Merge(otherUpper);
            candidates.AddRange(otherCandidates);
        }

        // The threshold only fell during the scan: rows kept early may lie beyond its final value.
        var threshold = MathF.Min(limit, upper.Bound);
        var kept = ArrayPool<long>.Shared.Rent(candidates.Count);
        var count = 0;
        foreach (var (position, lower) in candidates)
        {
            if (lower <= threshold)
            {
                kept[count++] = position;
            }
        }

        var nearest = QuantizedScan.Rescore(image, metric, query, queryNorm, kept.AsSpan(0, count), k, limit, kernel);
        ArrayPool<long>.Shared.Return(kept);
        return nearest;
    }

    private static (TopK Upper, List<(long Position, float Lower)> Candidates)[] Prescan<TBounds>(VectorImage image, TBounds bounds,
        short[] query, int k, float limit, int threads)
        where TBounds : struct, IRowBounds =>
        ChunkPartition.Run(image.ChunkCount, threads, (first, end) => Prescan(image, bounds, query, k, limit, first, end));

    // Chunks [first, end): the k smallest upper bounds (by position), and every row whose lower bound was within the
    // k-th smallest upper bound when it was read.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static (TopK Upper, List<(long Position, float Lower)> Candidates) Prescan<TBounds>(VectorImage image, TBounds bounds,
        short[] query, int k, float limit, int first, int end)
        where TBounds : struct, IRowBounds
    {
        var upper = new TopK(k);
        var candidates = new List<(long, float)>();
        var dots = ArrayPool<int>.Shared.Rent(image.RowsPerChunk);
        var threshold = limit;
        for (var c = first; c < end; c++)
        {
            var (rowCodes, scaleMemory) = image.GetChunkCodes(c, SearchQuantization.Int8);
            var scales = scaleMemory.Span;
            var residuals = image.GetChunkResiduals(c).Span;
            var norms = image.GetChunk(c).Norms.Span;
            Int8Codes.DotRows(query.AsSpan(0, image.Dimension), MemoryMarshal.Cast<byte, sbyte>(rowCodes.Span), image.Dimension, dots);
            var start = (long)c * image.RowsPerChunk;
            var i = 0;
            for (; i <= norms.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                var (lower, upperBound) = bounds.Of(Vector.ConvertToSingle(new Vector<int>(dots, i)), new Vector<float>(scales[i..]),
                    new Vector<float>(residuals[i..]), new Vector<float>(norms[i..]));
                if (Vector.LessThanOrEqualAny(lower, new Vector<float>(threshold)))
                {
                    for (var lane = 0; lane < Vector<float>.Count; lane++)
                    {
                        threshold = Offer(start + i + lane, lower[lane], upperBound[lane], threshold, limit, upper, candidates);
                    }
                }
            }

            for (; i < norms.Length; i++)
            {
                var (lower, upperBound) = bounds.Of(new Vector<float>(dots[i]), new Vector<float>(scales[i]), new Vector<float>(residuals[i]),
                    new Vector<float>(norms[i]));
                threshold = Offer(start + i, lower[0], upperBound[0], threshold, limit, upper, candidates);
            }
        }

        ArrayPool<int>.Shared.Return(dots);
        return (upper, candidates);
    }

    private static float Offer(long position, float lower, float upperBound, float threshold, float limit, TopK upper,
        List<(long, float)> candidates)
    {
        if (lower > threshold)
        {
            return threshold;
        }

        candidates.Add((position, lower));
        upper.Add(position, upperBound);
        return MathF.Min(limit, upper.Bound);
    }

    // A row's distance bounds, in its metric's ranking form, from dot = Σ query code × row code, its scale, residual
    // and norm: q·x = dot × scale × queryScale within error.Of(scale, residual), plus rounding × ‖q‖‖x‖.
    private interface IRowBounds
    {
        (Vector<float> Lower, Vector<float> Upper) Of(Vector<float> dot, Vector<float> scale, Vector<float> residual, Vector<float> norm);
    }

    // |q·x − dot × scale × queryScale| ≤ the smaller of half a step per component (perScale × scale) and Cauchy–Schwarz
    // on the row's residual (‖q‖ × residual) plus the query codes' own share (queryCodes × scale).
    private readonly struct ErrorBound(float perScale, float queryCodes, float queryNorm)
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector<float> Of(Vector<float> scale, Vector<float> residual) =>
            Vector.Min(scale * perScale, residual * queryNorm + scale * queryCodes);
    }

    // ‖q − x‖² = ‖q‖² + ‖x‖² − 2q·x; the kernel's own rounding is within rounding × (‖q‖ + ‖x‖)².
    private readonly struct L2Bounds(float queryNorm, float queryScale, ErrorBound error, float rounding) : IRowBounds
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public (Vector<float> Lower, Vector<float> Upper) Of(Vector<float> dot, Vector<float> scale, Vector<float> residual, Vector<float> norm)
        {
            var q = new Vector<float>(queryNorm);
            var estimate = q * q + norm * norm - dot * scale * (2f * queryScale);
            var sum = q + norm;
            var margin = error.Of(scale, residual) * 2f + sum * sum * (2f * rounding);
            return (estimate - margin, estimate + margin);
        }
    }

    // 1 − q·x ÷ (‖q‖‖x‖), never below 0 (the exact scan clamps it there).
    private readonly struct CosineBounds(float queryNorm, float queryScale, ErrorBound error, float rounding) : IRowBounds
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public (Vector<float> Lower, Vector<float> Upper) Of(Vector<float> dot, Vector<float> scale, Vector<float> residual, Vector<float> norm)
        {
            var inverse = Vector<float>.One / (norm * queryNorm);
            var estimate = Vector<float>.One - dot * scale * queryScale * inverse;
            var margin = error.Of(scale, residual) * inverse + new Vector<float>(4f * rounding);
            return (estimate - margin, Vector.Max(Vector<float>.Zero, estimate + margin));
        }
    }

    // −q·x.
    private readonly struct DotBounds(float queryNorm, float queryScale, ErrorBound error, float rounding) : IRowBounds
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public (Vector<float> Lower, Vector<float> Upper) Of(Vector<float> dot, Vector<float> scale, Vector<float> residual, Vector<float> norm)
        {
            var estimate = Vector<float>.Zero - dot * scale * queryScale;
            var margin = error.Of(scale, residual) + norm * (queryNorm * rounding);
            return (estimate - margin, estimate + margin);
        }
    }
}
