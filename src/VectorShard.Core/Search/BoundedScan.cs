using System.Buffers;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
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
    /// The most queries bounded in one pass over the codes (<see cref="Int8Codes.DotRowsMany"/>); more take further passes.
    /// Against passes of 64, a batch of 256 took 0.169–0.172 against 0.183–0.190 ms a query on 10,000 × 1536 and
    /// 0.238–0.239 against 0.259–0.266 on the MiniLM corpus (in one process, two runs); batches of 128 came out alike.
    /// 256 queries' 16-bit codes are 768 KiB at 1536 dimensions, about what the L2 cache holds.
    /// </summary>
    public const int MaxQueriesPerPass = 256;

    /// <summary>Rows per neighbour wanted below which every row is a near-certain candidate, so the full scan is cheaper.</summary>
    public const int MinRowsPerNeighbour = 16;

    /// <summary>
    /// Rows of at most this many components are searched by one shared float32 pass (<see cref="ImageScan"/>) in batches of
    /// <see cref="SharedPassMinQueries"/> or more. Once a batch makes the scan compute-bound, the integer kernel's gain per
    /// component no longer repays what each row costs it per query (a horizontal sum, its bounds): on 1,000,000 × 96, in
    /// one process, p50 a query bounded against shared 1.99 vs 2.47 ms at 8 queries, 1.95 vs 2.10 at 16, 2.04 vs 1.89 at
    /// 32 and 1.95 vs 1.75 at 64, while 384 and 1536 components kept winning at 64. Only block-transposed images (the
    /// default for such short rows) share the pass: there it gives each query the bits a single search gives.
    /// </summary>
    public const int SharedPassMaxDimension = 128;

    /// <summary>The batch size from which rows of up to <see cref="SharedPassMaxDimension"/> components share a float32 pass.</summary>
    public const int SharedPassMinQueries = 32;

    /// <summary>
    /// Whether bounding pays for this many queries wanting k neighbours each from this image, searched with kernels of
    /// this backend. The int8 kernel has AVX2 and AVX-512 paths only (elsewhere it is a scalar loop), so on other
    /// backends (NEON on ARM64, SSE-only x86, or Scalar or Sse forced by VECTORSHARD_SIMD) the full scan's own SIMD
    /// kernel is the faster exact search.
    /// </summary>
    public static bool Pays(VectorImage image, int queries, int k, SimdBackend backend) =>
        backend is SimdBackend.Avx2 or SimdBackend.Avx512 &&
        image.Count >= (long)k * MinRowsPerNeighbour &&
        (queries < SharedPassMinQueries || image.Dimension > SharedPassMaxDimension || image.Layout != ImageLayout.Blocks);

    /// <summary>The k nearest (id, distance) to each query, nearest first: the exact scan's answers.</summary>
    public static (long Id, float Distance)[][] Run(VectorImage image, DistanceMetric metric, IReadOnlyList<float[]> queries,
        IReadOnlyList<float> queryNorms, int k, float maxDistance, VectorKernel kernel, int maxThreads = 0)
    {
        image.EnsureCodes(SearchQuantization.Int8);
        var nearest = new (long Id, float Distance)[queries.Count][];
        for (var first = 0; first < queries.Count; first += MaxQueriesPerPass)
        {
            var count = Math.Min(MaxQueriesPerPass, queries.Count - first);
            RunPass(image, metric, queries.Skip(first).Take(count).ToArray(), queryNorms.Skip(first).Take(count).ToArray(), k, maxDistance,
                kernel, maxThreads).CopyTo(nearest, first);
        }

        return nearest;
    }

    private static (long Id, float Distance)[][] RunPass(VectorImage image, DistanceMetric metric, float[][] queries, float[] queryNorms,
        int k, float maxDistance, VectorKernel kernel, int maxThreads)
    {
        var dimension = image.Dimension;
        var limit = DistanceFunction.RankingLimit(metric, maxDistance);
        var rounding = (dimension + 8) * FloatEpsilon;
        var codes = ArrayPool<short>.Shared.Rent(queries.Length * dimension);
        var quantized = new (float Norm, float Scale, ErrorBound Error)[queries.Length];
        for (var q = 0; q < queries.Length; q++)
        {
            var queryScale = Int8Codes.QuantizeWide(queries[q], codes.AsSpan(q * dimension, dimension));
            // Dot-product error bounds (see remarks): per unit of a row's scale, whole and for the query's codes alone; and
            // float32 rounding relative to ‖q‖‖x‖.
            var queryCodesError = 0.5f * RoundingSlack * 127f * queryScale * dimension;
            quantized[q] = (queryNorms[q], queryScale, new ErrorBound(0.5f * RoundingSlack * TensorPrimitives.SumOfMagnitudes(queries[q]) +
                queryCodesError, queryCodesError, queryNorms[q] * RoundingSlack));
        }

        // The work grows with the queries: each added query costs the kernel about half what a pass over the codes does
        // (10,000 × 1536: 0.12 ms a query at 64 against 0.29 ms for one), so a large batch splits even where one query would not.
        var threads = ChunkPartition.Threads((long)image.Count * dimension * (queries.Length + 1) / 2, image.ChunkCount, maxThreads);
        var parts = metric switch
        {
            DistanceMetric.L2 => Prescan(image, quantized.Select(b => new L2Bounds(b.Norm, b.Scale, b.Error, rounding)).ToArray(), codes, k,
                limit, threads),
            DistanceMetric.Cosine => Prescan(image, quantized.Select(b => new CosineBounds(b.Norm, b.Scale, b.Error, rounding)).ToArray(),
                codes, k, limit, threads),
            _ => Prescan(image, quantized.Select(b => new DotBounds(b.Norm, b.Scale, b.Error, rounding)).ToArray(), codes, k, limit, threads),
        };
        ArrayPool<short>.Shared.Return(codes);

        var nearest = new (long Id, float Distance)[queries.Length][];
        for (var q = 0; q < queries.Length; q++)
        {
            var (upper, candidates) = parts[0][q];
            foreach (var part in parts.Skip(1))
            {
                upper.Merge(part[q].Upper);
                candidates.AddRange(part[q].Candidates);
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

            nearest[q] = QuantizedScan.Rescore(image, metric, queries[q], queryNorms[q], kept.AsSpan(0, count), k, limit, kernel);
            ArrayPool<long>.Shared.Return(kept);
        }

        return nearest;
    }

    // The most dot products one kernel call leaves for the bounds (1 MiB of them). A chunk is scored whole unless its rows
    // times the queries exceed this, as with very short rows (1 MiB of 8-component rows is 32,768 of them): slices of
    // 256 or 1024 rows made batches of 8 on 1,000,000 × 96 4-7% slower than whole chunks, in one process.
    private const int MaxDotsPerCall = 1 << 18;

    private static (TopK Upper, List<(long Position, float Lower)> Candidates)[][] Prescan<TBounds>(VectorImage image, TBounds[] bounds,
        short[] codes, int k, float limit, int threads)
        where TBounds : struct, IRowBounds =>
        ChunkPartition.Run(image.ChunkCount, threads, (first, end) => Prescan(image, bounds, codes, k, limit, first, end));

    // Chunks [first, end), for each query: the k smallest upper bounds (by position), and every row whose lower bound was
    // within the k-th smallest upper bound when it was read.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static (TopK Upper, List<(long Position, float Lower)> Candidates)[] Prescan<TBounds>(VectorImage image, TBounds[] bounds,
        short[] codes, int k, float limit, int first, int end)
        where TBounds : struct, IRowBounds
    {
        var queries = bounds.Length;
        var found = Enumerable.Range(0, queries).Select(_ => (Upper: new TopK(k), Candidates: new List<(long Position, float Lower)>())).ToArray();
        var thresholds = Enumerable.Repeat(limit, queries).ToArray();
        var dimension = image.Dimension;
        var sliceRows = Math.Min(image.RowsPerChunk, Math.Max(BlockLayout.Rows, MaxDotsPerCall / queries / BlockLayout.Rows * BlockLayout.Rows));
        var dots = ArrayPool<int>.Shared.Rent(queries * sliceRows);
        for (var c = first; c < end; c++)
        {
            var (rowCodes, scales) = image.GetChunkCodes(c, SearchQuantization.Int8);
            var residuals = image.GetChunkResiduals(c).Span;
            var norms = image.GetChunk(c).Norms.Span;
            for (var from = 0; from < norms.Length; from += sliceRows)
            {
                var rows = Math.Min(sliceRows, norms.Length - from);
                Int8Codes.DotRowsMany(codes.AsSpan(0, queries * dimension), queries,
                    MemoryMarshal.Cast<byte, sbyte>(rowCodes.Span.Slice(from * dimension, rows * dimension)), dimension, dots);
                for (var q = 0; q < queries; q++)
                {
                    thresholds[q] = Bound(bounds[q], dots.AsSpan(q * rows, rows), scales.Span.Slice(from, rows), residuals.Slice(from, rows),
                        norms.Slice(from, rows), (long)c * image.RowsPerChunk + from, thresholds[q], limit, found[q].Upper, found[q].Candidates);
                }
            }
        }

        ArrayPool<int>.Shared.Return(dots);
        return found;
    }

    // One query's bounds over one chunk's rows (positions start onwards), 16 rows a step; returns the threshold after
    // them. Vector512 even where the hardware has only 256-bit vectors (each operation then runs as two): Vector<T> stays
    // at 256 bits on AVX-512 hardware, and took 0.6 ms a query beside the kernel's 1.4 against 0.4 on 1,000,000 × 96 rows.
    // Nearly every block of rows is passed over, so the loop only tests lower bounds and leaves the rare block with a
    // candidate to OfferBlock: with the offers inline, the JIT kept the loop's constants on the stack and reloaded them
    // every step. The JIT does not inline it, so it is compiled fully optimized from its first call rather than at tier 0.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float Bound<TBounds>(TBounds bounds, ReadOnlySpan<int> dots, ReadOnlySpan<float> scales, ReadOnlySpan<float> residuals,
        ReadOnlySpan<float> norms, long start, float threshold, float limit, TopK upper, List<(long, float)> candidates)
        where TBounds : struct, IRowBounds
    {
        ref var dot = ref MemoryMarshal.GetReference(dots);
        ref var scale = ref MemoryMarshal.GetReference(scales);
        ref var residual = ref MemoryMarshal.GetReference(residuals);
        ref var norm = ref MemoryMarshal.GetReference(norms);
        var i = 0;
        while (true)
        {
            var below = Vector512.Create(threshold);
            for (; i <= norms.Length - Vector512<float>.Count; i += Vector512<float>.Count)
            {
                if (bounds.AnyWithin(Vector512.ConvertToSingle(Vector512.LoadUnsafe(ref dot, (nuint)i)), Vector512.LoadUnsafe(ref scale, (nuint)i),
                    Vector512.LoadUnsafe(ref residual, (nuint)i), Vector512.LoadUnsafe(ref norm, (nuint)i), below))
                {
                    break;
                }
            }

            if (i > norms.Length - Vector512<float>.Count)
            {
                break;
            }

            threshold = OfferBlock(bounds, dots[i..], scales[i..], residuals[i..], norms[i..], start + i, threshold, limit, upper, candidates);
            i += Vector512<float>.Count;
        }

        for (; i < norms.Length; i++)
        {
            var (lower, upperBound) = bounds.Of(Vector512.Create((float)dots[i]), Vector512.Create(scales[i]), Vector512.Create(residuals[i]),
                Vector512.Create(norms[i]));
            threshold = Offer(start + i, lower[0], upperBound[0], threshold, limit, upper, candidates);
        }

        return threshold;
    }

    // Offers each of the 16 rows from position start on whose lower bound is within the threshold.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static float OfferBlock<TBounds>(TBounds bounds, ReadOnlySpan<int> dots, ReadOnlySpan<float> scales, ReadOnlySpan<float> residuals,
        ReadOnlySpan<float> norms, long start, float threshold, float limit, TopK upper, List<(long, float)> candidates)
        where TBounds : struct, IRowBounds
    {
        var (lower, upperBound) = bounds.Of(Vector512.ConvertToSingle(Vector512.Create(dots)), Vector512.Create(scales), Vector512.Create(residuals),
            Vector512.Create(norms));
        for (var lane = 0; lane < Vector512<float>.Count; lane++)
        {
            threshold = Offer(start + lane, lower[lane], upperBound[lane], threshold, limit, upper, candidates);
        }

        return threshold;
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
        (Vector512<float> Lower, Vector512<float> Upper) Of(Vector512<float> dot, Vector512<float> scale, Vector512<float> residual, Vector512<float> norm);

        // Whether any row's lower bound (Of's) may be within the threshold (in every lane): true wherever one is, and
        // perhaps for a few more, which OfferBlock then turns away. Asked of every block, so it should cost less than Of.
        bool AnyWithin(Vector512<float> dot, Vector512<float> scale, Vector512<float> residual, Vector512<float> norm, Vector512<float> threshold);
    }

    // |q·x − dot × scale × queryScale| ≤ the smaller of half a step per component (perScale × scale) and Cauchy–Schwarz
    // on the row's residual (‖q‖ × residual) plus the query codes' own share (queryCodes × scale).
    // Every bound keeps its constants as vectors: broadcast inside the loop, they took one of the two ports that run
    // 512-bit arithmetic on Intel cores, six times a step.
    private readonly struct ErrorBound(float perScale, float queryCodes, float queryNorm)
    {
        private readonly Vector512<float> _perScale = Vector512.Create(perScale);
        private readonly Vector512<float> _queryCodes = Vector512.Create(queryCodes);
        private readonly Vector512<float> _queryNorm = Vector512.Create(queryNorm);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector512<float> Of(Vector512<float> scale, Vector512<float> residual) =>
            Smaller(scale * _perScale, residual * _queryNorm + scale * _queryCodes);
    }

    // The lane-wise smaller of two vectors without NaNs: Vector512.Min also orders signed zeros and passes NaNs on, which
    // costs three instructions a call on AVX-512 instead of one.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Smaller(Vector512<float> a, Vector512<float> b) => Vector512.ConditionalSelect(Vector512.LessThan(a, b), a, b);

    // ‖q − x‖² = ‖q‖² + ‖x‖² − 2q·x; the kernel's own rounding is within rounding × (‖q‖ + ‖x‖)².
    private readonly struct L2Bounds(float queryNorm, float queryScale, ErrorBound error, float rounding) : IRowBounds
    {
        private readonly Vector512<float> _queryNorm = Vector512.Create(queryNorm);
        private readonly Vector512<float> _squaredQueryNorm = Vector512.Create(queryNorm * queryNorm);
        private readonly Vector512<float> _twiceQueryScale = Vector512.Create(2f * queryScale);
        private readonly Vector512<float> _twiceRounding = Vector512.Create(2f * rounding);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public (Vector512<float> Lower, Vector512<float> Upper) Of(Vector512<float> dot, Vector512<float> scale, Vector512<float> residual, Vector512<float> norm)
        {
            var estimate = _squaredQueryNorm + norm * norm - dot * scale * _twiceQueryScale;
            var sum = _queryNorm + norm;
            var error2 = error.Of(scale, residual);
            var margin = error2 + error2 + sum * sum * _twiceRounding;
            return (estimate - margin, estimate + margin);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public bool AnyWithin(Vector512<float> dot, Vector512<float> scale, Vector512<float> residual, Vector512<float> norm, Vector512<float> threshold) =>
            Vector512.LessThanOrEqualAny(Of(dot, scale, residual, norm).Lower, threshold);
    }

    // 1 − q·x ÷ (‖q‖‖x‖), never below 0 (the exact scan clamps it there).
    private readonly struct CosineBounds(float queryNorm, float queryScale, ErrorBound error, float rounding) : IRowBounds
    {
        private readonly Vector512<float> _queryNorm = Vector512.Create(queryNorm);
        private readonly Vector512<float> _queryScale = Vector512.Create(queryScale);
        private readonly Vector512<float> _fourRounding = Vector512.Create(4f * rounding);
        private readonly Vector512<float> _reach = Vector512.Create(1f - 4f * rounding - 1f / (1 << 16));

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public (Vector512<float> Lower, Vector512<float> Upper) Of(Vector512<float> dot, Vector512<float> scale, Vector512<float> residual, Vector512<float> norm)
        {
            var inverse = Vector512<float>.One / (norm * _queryNorm);
            var estimate = Vector512<float>.One - dot * scale * _queryScale * inverse;
            var margin = error.Of(scale, residual) * inverse + _fourRounding;
            var upper = estimate + margin;
            return (estimate - margin, Vector512.ConditionalSelect(Vector512.LessThan(upper, Vector512<float>.Zero), Vector512<float>.Zero, upper));
        }

        // Of's lower bound is 1 − 4·rounding − (dot × scale × queryScale + error) ÷ (‖x‖‖q‖), within the threshold t where
        // the bracket reaches (1 − 4·rounding − t) × ‖x‖‖q‖: a test without Of's division, which on Intel cores took a
        // 16-row step 10 or more cycles. Rounding may order the two forms differently by a few float steps; this one gives
        // way by 2⁻¹⁶ × ‖x‖‖q‖, far more.
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public bool AnyWithin(Vector512<float> dot, Vector512<float> scale, Vector512<float> residual, Vector512<float> norm, Vector512<float> threshold) =>
            Vector512.GreaterThanOrEqualAny(dot * scale * _queryScale + error.Of(scale, residual), norm * ((_reach - threshold) * _queryNorm));
    }

    // −q·x.
    private readonly struct DotBounds(float queryNorm, float queryScale, ErrorBound error, float rounding) : IRowBounds
    {
        private readonly Vector512<float> _queryScale = Vector512.Create(queryScale);
        private readonly Vector512<float> _roundingPerNorm = Vector512.Create(queryNorm * rounding);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public (Vector512<float> Lower, Vector512<float> Upper) Of(Vector512<float> dot, Vector512<float> scale, Vector512<float> residual, Vector512<float> norm)
        {
            var estimate = Vector512<float>.Zero - dot * scale * _queryScale;
            var margin = error.Of(scale, residual) + norm * _roundingPerNorm;
            return (estimate - margin, estimate + margin);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public bool AnyWithin(Vector512<float> dot, Vector512<float> scale, Vector512<float> residual, Vector512<float> norm, Vector512<float> threshold) =>
            Vector512.LessThanOrEqualAny(Of(dot, scale, residual, norm).Lower, threshold);
    }
}
