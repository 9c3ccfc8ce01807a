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
/// <para>
/// A batch of <see cref="NarrowMinQueries"/> or more, where the CPU has AVX-VNNI, is first bounded from int8 query codes
/// (q = t·p + f with |fᵢ| ≤ t/2 for a t a hundred times coarser), whose kernel does twice the multiplies an instruction:
/// there q·x − s·t·(p·c) = t·(p·e) + f·x is also within t·‖p‖·‖e‖ + ‖f‖·‖x‖. A row that passes that looser test is
/// bounded again from its 16-bit product, so the candidates are the same kind as for one query. Any valid lower bound
/// above the k-th smallest upper bound rules a row out, so the answer stays the exact scan's.
/// </para>
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
    /// default for such short rows) share the pass: there it gives each query the bits a single search gives. Where the
    /// int8 query codes' kernel runs (<see cref="Int8Codes.NarrowTiles"/>), bounding wins at every size and no batch
    /// shares the pass: on the Xeon, 1.69 against 2.87 ms a query at 32 and 1.63 against 2.58 at 64.
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
        (Int8Codes.NarrowTiles || queries < SharedPassMinQueries || image.Dimension > SharedPassMaxDimension ||
            image.Layout != ImageLayout.Blocks);

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

    // Compiled fully optimized from the first call: started at tier 0, its promotion stalled about the tenth batch of a new
    // process (10,000 × 1536, batches of 8: one call at 2.0 ms a query among calls of 0.33-0.40).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static (long Id, float Distance)[][] RunPass(VectorImage image, DistanceMetric metric, float[][] queries, float[] queryNorms,
        int k, float maxDistance, VectorKernel kernel, int maxThreads)
    {
        var dimension = image.Dimension;
        var limit = DistanceFunction.RankingLimit(metric, maxDistance);
        var rounding = (dimension + 8) * FloatEpsilon;
        // Pooled: at 64 queries of 1536 components the codes are large-object-heap arrays, which every batch would otherwise
        // allocate, and touch for the first time, anew.
        var wideCodes = ArrayPool<short>.Shared.Rent(queries.Length * dimension);
        var narrowCodes = Narrows(queries.Length, dimension) ? ArrayPool<sbyte>.Shared.Rent(queries.Length * dimension) : null;
        var wide = new (float Norm, float Scale, ErrorBound Error)[queries.Length];
        // The bounds each block is tested on: the int8 query codes' where the pass runs on them.
        var tests = narrowCodes is null ? wide : new (float Norm, float Scale, ErrorBound Error)[queries.Length];
        for (var q = 0; q < queries.Length; q++)
        {
            var queryScale = Int8Codes.QuantizeWide(queries[q], wideCodes.AsSpan(q * dimension, dimension));
            wide[q] = (queryNorms[q], queryScale, ErrorBound.OfQueryCodes(queries[q], queryScale, queryNorms[q]));
            if (narrowCodes is not null)
            {
                var own = narrowCodes.AsSpan(q * dimension, dimension);
                var narrowScale = Int8Codes.Quantize(queries[q], own);
                tests[q] = (queryNorms[q], narrowScale, ErrorBound.OfNarrowCodes(queries[q], own, narrowScale));
            }
        }

        var codes = new QueryCodes(wideCodes, narrowCodes,
            narrowCodes is null ? [] : Int8Codes.SumsOfCodes(narrowCodes.AsSpan(0, queries.Length * dimension), queries.Length, dimension));

        // The work grows with the queries: each added query costs the kernel about half what a pass over the codes does
        // (10,000 × 1536: 0.12 ms a query at 64 against 0.29 ms for one), so a large batch splits even where one query would not.
        var threads = ChunkPartition.Threads((long)image.Count * dimension * (queries.Length + 1) / 2, image.ChunkCount, maxThreads);
        var parts = metric switch
        {
            DistanceMetric.L2 => Prescan(image, tests, wide, b => new L2Bounds(b.Norm, b.Scale, b.Error, rounding), codes, k, limit, threads),
            DistanceMetric.Cosine => Prescan(image, tests, wide, b => new CosineBounds(b.Norm, b.Scale, b.Error, rounding), codes, k, limit, threads),
            _ => Prescan(image, tests, wide, b => new DotBounds(b.Norm, b.Scale, b.Error, rounding), codes, k, limit, threads),
        };
        ArrayPool<short>.Shared.Return(wideCodes);
        if (narrowCodes is not null)
        {
            ArrayPool<sbyte>.Shared.Return(narrowCodes);
        }

        var nearest = new (long Id, float Distance)[queries.Length][];
        for (var q = 0; q < queries.Length; q++)
        {
            var (upper, candidates) = parts[0][q];
            foreach (var part in parts.Skip(1))
            {
                upper.Merge(part[q].Upper);
                candidates.AddRange(part[q].Candidates);
            }

            nearest[q] = Rescore(image, metric, queries[q], queryNorms[q], upper, candidates, k, limit, kernel);
        }

        return nearest;
    }

    // The k nearest of the candidates. The k rows of smallest upper bound are rescored first: the k-th of their exact
    // distances bounds the k-th nearest at least as tightly as the k-th upper bound does (each row's exact distance is
    // within its own upper bound), and usually about a margin tighter, so fewer of the other candidates have a lower
    // bound within it.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static (long Id, float Distance)[] Rescore(VectorImage image, DistanceMetric metric, float[] query, float queryNorm, TopK upper,
        List<(long Position, float Lower)> candidates, int k, float limit, VectorKernel kernel)
    {
        var best = new TopK(k);
        var first = ArrayPool<long>.Shared.Rent(upper.Count);
        var firstPositions = first.AsSpan(0, upper.Count);
        upper.Ids.CopyTo(firstPositions);
        firstPositions.Sort();
        QuantizedScan.RescoreInto(best, image, metric, query, queryNorm, firstPositions, limit, kernel);

        // The threshold only fell during the scan: rows kept early may lie beyond its final value.
        var threshold = MathF.Min(limit, MathF.Min(upper.Bound, best.Bound));
        var rest = ArrayPool<long>.Shared.Rent(candidates.Count);
        var count = 0;
        foreach (var (position, lower) in candidates)
        {
            if (lower <= threshold && firstPositions.BinarySearch(position) < 0)
            {
                rest[count++] = position;
            }
        }

        QuantizedScan.RescoreInto(best, image, metric, query, queryNorm, rest.AsSpan(0, count), limit, kernel);
        ArrayPool<long>.Shared.Return(rest);
        ArrayPool<long>.Shared.Return(first);
        return DistanceFunction.Finish(metric, best);
    }

    // The most dot products one kernel call leaves for the bounds (1 MiB of them). A chunk is scored whole unless its rows
    // times the queries exceed this, as with very short rows (1 MiB of 8-component rows is 32,768 of them): slices of
    // 256 or 1024 rows made batches of 8 on 1,000,000 × 96 4-7% slower than whole chunks, in one process.
    private const int MaxDotsPerCall = 1 << 18;

    /// <summary>
    /// The fewest queries whose pass runs on int8 query codes first (<see cref="Int8Codes.DotRowsManyNarrow"/>), where the
    /// hardware has the kernel: a block of 16 rows is tested on those looser bounds, and only a block that passes has its
    /// 16-bit dot products computed (from codes still in cache) and offered. Below four, tiles would repeat queries.
    /// </summary>
    public const int NarrowMinQueries = 4;

    // Rows of any length the kernel's sums hold. At 1536 components (seeded Gaussian unit vectors) 1 in 30 rows passes the
    // looser test and costs a 16-bit product of its own, and still batches of 8 / 64 took 0.309-0.315 / 0.217-0.220 ms a
    // query against 0.325-0.337 / 0.257-0.261 on 16-bit codes alone (caches evicted, alternating runs).
    private static bool Narrows(int queries, int dimension) =>
        Int8Codes.NarrowTiles && queries >= NarrowMinQueries && dimension <= Int8Codes.NarrowMaxDimension;

    // The queries' 16-bit codes, and their int8 codes (with their sums) where the pass tests on those first.
    private sealed record QueryCodes(short[] Wide, sbyte[]? Narrow, int[] NarrowSums);

    // tests[q] bounds rows from the dot products the pass computes (of int8 query codes where codes.Narrow is set), wide[q]
    // from 16-bit ones: the candidates offered are bounded by the latter. Each becomes the metric's bounds by make, once
    // where both are the same.
    private static (TopK Upper, List<(long Position, float Lower)> Candidates)[][] Prescan<TBounds>(VectorImage image,
        (float Norm, float Scale, ErrorBound Error)[] tests, (float Norm, float Scale, ErrorBound Error)[] wide,
        Func<(float Norm, float Scale, ErrorBound Error), TBounds> make, QueryCodes codes, int k, float limit, int threads)
        where TBounds : struct, IRowBounds
    {
        var bounds = wide.Select(make).ToArray();
        var testBounds = ReferenceEquals(tests, wide) ? bounds : tests.Select(make).ToArray();
        return ChunkPartition.Run(image.ChunkCount, threads,
            () => Enumerable.Range(0, bounds.Length).Select(_ => (Upper: new TopK(k), Candidates: new List<(long Position, float Lower)>())).ToArray(),
            (found, first, end) => Prescan(image, testBounds, bounds, codes, limit, found, first, end));
    }

    // Chunks [first, end) into a thread's findings for each query: the k smallest upper bounds (by position), and every row
    // whose lower bound was within the k-th smallest upper bound when it was read.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Prescan<TBounds>(VectorImage image, TBounds[] tests, TBounds[] bounds, QueryCodes codes, float limit,
        (TopK Upper, List<(long Position, float Lower)> Candidates)[] found, int first, int end)
        where TBounds : struct, IRowBounds
    {
        var queries = bounds.Length;
        // Where the thread's earlier runs left them (Offer keeps each at the smaller of the limit and the k-th upper bound).
        var thresholds = found.Select(f => MathF.Min(limit, f.Upper.Bound)).ToArray();
        var dimension = image.Dimension;
        var sliceRows = Math.Min(image.RowsPerChunk, Math.Max(BlockLayout.Rows, MaxDotsPerCall / queries / BlockLayout.Rows * BlockLayout.Rows));
        var dots = ArrayPool<int>.Shared.Rent(queries * sliceRows);
        var rowDot = new int[1];
        for (var c = first; c < end; c++)
        {
            var (rowCodes, scales) = image.GetChunkCodes(c, SearchQuantization.Int8);
            var residuals = image.GetChunkResiduals(c).Span;
            var norms = image.GetChunk(c).Norms.Span;
            for (var from = 0; from < norms.Length; from += sliceRows)
            {
                var rows = Math.Min(sliceRows, norms.Length - from);
                var sliceCodes = rowCodes.Slice(from * dimension, rows * dimension);
                if (codes.Narrow is null)
                {
                    Int8Codes.DotRowsMany(codes.Wide.AsSpan(0, queries * dimension), queries, MemoryMarshal.Cast<byte, sbyte>(sliceCodes.Span), dimension,
                        dots);
                }
                else
                {
                    Int8Codes.DotRowsManyNarrow(codes.Narrow.AsSpan(0, queries * dimension), queries, codes.NarrowSums,
                        MemoryMarshal.Cast<byte, sbyte>(sliceCodes.Span), dimension, dots);
                }

                for (var q = 0; q < queries; q++)
                {
                    var scaleSlice = scales.Span.Slice(from, rows);
                    var residualSlice = residuals.Slice(from, rows);
                    var normSlice = norms.Slice(from, rows);
                    var start = (long)c * image.RowsPerChunk + from;
                    var (upper, candidates) = found[q];
                    thresholds[q] = codes.Narrow is null
                        ? Bound(bounds[q], bounds[q], new SameDots(), dots.AsSpan(q * rows, rows), scaleSlice, residualSlice, normSlice, start,
                            thresholds[q], limit, upper, candidates)
                        : Bound(tests[q], bounds[q], new WideDots(codes.Wide, q * dimension, dimension, sliceCodes, rowDot),
                            dots.AsSpan(q * rows, rows), scaleSlice, residualSlice, normSlice, start, thresholds[q], limit, upper, candidates);
                }
            }
        }

        ArrayPool<int>.Shared.Return(dots);
    }

    // One query's bounds over one chunk's rows (positions start onwards), 16 rows a step; returns the threshold after
    // them. Vector512 even where the hardware has only 256-bit vectors (each operation then runs as two): Vector<T> stays
    // at 256 bits on AVX-512 hardware, and took 0.6 ms a query beside the kernel's 1.4 against 0.4 on 1,000,000 × 96 rows.
    // Nearly every block of rows is passed over, so the loop only tests lower bounds and leaves the rare block with a
    // candidate to OfferBlock: with the offers inline, the JIT kept the loop's constants on the stack and reloaded them
    // every step. The JIT does not inline it, so it is compiled fully optimized from its first call rather than at tier 0.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float Bound<TBounds, TDots>(TBounds test, TBounds bounds, TDots exact, ReadOnlySpan<int> dots, ReadOnlySpan<float> scales,
        ReadOnlySpan<float> residuals, ReadOnlySpan<float> norms, long start, float threshold, float limit, TopK upper, List<(long, float)> candidates)
        where TBounds : struct, IRowBounds
        where TDots : struct, IExactDots
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
                if (test.AnyWithin(Vector512.ConvertToSingle(Vector512.LoadUnsafe(ref dot, (nuint)i)), Vector512.LoadUnsafe(ref scale, (nuint)i),
                    Vector512.LoadUnsafe(ref residual, (nuint)i), Vector512.LoadUnsafe(ref norm, (nuint)i), below))
                {
                    break;
                }
            }

            if (i > norms.Length - Vector512<float>.Count)
            {
                break;
            }

            threshold = OfferBlock(test, bounds, exact, dots, i, scales, residuals, norms, start, threshold, limit, upper, candidates);
            i += Vector512<float>.Count;
        }

        for (; i < norms.Length; i++)
        {
            threshold = OfferRow(bounds, exact, dots, i, scales, residuals, norms, start, threshold, limit, upper, candidates);
        }

        return threshold;
    }

    // A row's dot product with the query's 16-bit codes, which the candidates offered are bounded by.
    private interface IExactDots
    {
        int Of(ReadOnlySpan<int> dots, int row);
    }

    // The pass computed them.
    private readonly struct SameDots : IExactDots
    {
        public int Of(ReadOnlySpan<int> dots, int row) => dots[row];
    }

    // The pass computed those of int8 codes: the row's, from codes the pass has just read (buffer: one int).
    private readonly struct WideDots(short[] queries, int offset, int dimension, ReadOnlyMemory<byte> rows, int[] buffer) : IExactDots
    {
        public int Of(ReadOnlySpan<int> dots, int row)
        {
            Int8Codes.DotRows(queries.AsSpan(offset, dimension), MemoryMarshal.Cast<byte, sbyte>(rows.Span.Slice(row * dimension, dimension)), dimension,
                buffer);
            return buffer[0];
        }
    }

    // Offers each of the 16 rows from first on whose lower bound, by test and then by bounds on its exact dot product, is
    // within the threshold. Only those rows get an exact dot product computed: on 10,000 × 1536 a batch of 8 passed 651
    // blocks of 16 on int8 query codes, and 814 of their 10,416 rows (16-bit codes: 465 blocks). Compiled fully optimized
    // from its first call, as are OfferRow and Offer: at tier 0 (a JIT's first pass) the first 30-odd batches of 8 on
    // 10,000 × 1536 took 0.7-1.2 ms a query in cache, against 0.23-0.25 from the third batch on.
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static float OfferBlock<TBounds, TDots>(TBounds test, TBounds bounds, TDots exact, ReadOnlySpan<int> dots, int first,
        ReadOnlySpan<float> scales, ReadOnlySpan<float> residuals, ReadOnlySpan<float> norms, long start, float threshold, float limit, TopK upper,
        List<(long, float)> candidates)
        where TBounds : struct, IRowBounds
        where TDots : struct, IExactDots
    {
        var (lower, upperBound) = test.Of(Vector512.ConvertToSingle(Vector512.Create(dots[first..])), Vector512.Create(scales[first..]),
            Vector512.Create(residuals[first..]), Vector512.Create(norms[first..]));
        if (typeof(TDots) == typeof(SameDots))
        {
            // The test's bounds are the offered ones, so each lane is offered from them, as before the int8-query pass: bounding
            // each passing row again on its own cost W1-only benchmark batches 0.35-0.37 / 0.27-0.32 ms a query (8 / 64)
            // against 0.32-0.36 / 0.26-0.27 this way.
            for (var lane = 0; lane < Vector512<float>.Count; lane++)
            {
                threshold = Offer(start + first + lane, lower[lane], upperBound[lane], threshold, limit, upper, candidates);
            }

            return threshold;
        }

        for (var lane = 0; lane < Vector512<float>.Count; lane++)
        {
            if (lower[lane] <= threshold)
            {
                threshold = OfferRow(bounds, exact, dots, first + lane, scales, residuals, norms, start, threshold, limit, upper, candidates);
            }
        }

        return threshold;
    }

    // Offers row i (position start + i) on its exact dot product's bounds.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float OfferRow<TBounds, TDots>(TBounds bounds, TDots exact, ReadOnlySpan<int> dots, int i, ReadOnlySpan<float> scales,
        ReadOnlySpan<float> residuals, ReadOnlySpan<float> norms, long start, float threshold, float limit, TopK upper, List<(long, float)> candidates)
        where TBounds : struct, IRowBounds
        where TDots : struct, IExactDots
    {
        var (lower, upperBound) = bounds.Of(Vector512.Create((float)exact.Of(dots, i)), Vector512.Create(scales[i]),
            Vector512.Create(residuals[i]), Vector512.Create(norms[i]));
        return Offer(start + i, lower[0], upperBound[0], threshold, limit, upper, candidates);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
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
    // and norm: q·x = dot × scale × queryScale within error.Of(scale, residual, norm), plus rounding × ‖q‖‖x‖.
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
    private readonly struct ErrorBound(float perScale, float perResidual, float perScaleOfCodes, float perNorm)
    {
        private readonly Vector512<float> _perScale = Vector512.Create(perScale);
        private readonly Vector512<float> _perResidual = Vector512.Create(perResidual);
        private readonly Vector512<float> _perScaleOfCodes = Vector512.Create(perScaleOfCodes);
        private readonly Vector512<float> _perNorm = Vector512.Create(perNorm);

        // For 16-bit query codes p at scale t (q = t·p + f, |fᵢ| ≤ t/2): q·x − s·t·(p·c) = q·e + s·(c·f), so it is within
        // s·‖q‖₁ ÷ 2 + s·127·t·dimension ÷ 2 and within ‖q‖·‖e‖ + s·127·t·dimension ÷ 2.
        public static ErrorBound OfQueryCodes(float[] query, float scale, float norm)
        {
            var codes = QueryCodesShare(query, scale);
            return new ErrorBound(HalfSteps(query, scale), norm * RoundingSlack, codes, 0f);
        }

        // For int8 query codes p at scale t, whose f is hundreds of times larger: also = t·(p·e) + f·x, within
        // t·‖p‖·‖e‖ + ‖f‖·‖x‖ (with ‖f‖ computed exactly, in doubles). On unit vectors that is about a third of the
        // half-step bound's query term. Fully optimized from the first call, like the other loops a search runs once per query.
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static ErrorBound OfNarrowCodes(float[] query, ReadOnlySpan<sbyte> codes, float scale)
        {
            double codeNorm = 0, residualNorm = 0;
            for (var i = 0; i < query.Length; i++)
            {
                codeNorm += codes[i] * codes[i];
                var residual = query[i] - (double)scale * codes[i];
                residualNorm += residual * residual;
            }

            return new ErrorBound(HalfSteps(query, scale), (float)(scale * Math.Sqrt(codeNorm)) * RoundingSlack, 0f,
                (float)Math.Sqrt(residualNorm) * RoundingSlack);
        }

        // Per unit of a row's scale: half a step per component against the query (s·‖q‖₁ ÷ 2), plus the query codes' share.
        private static float HalfSteps(float[] query, float scale) =>
            0.5f * RoundingSlack * TensorPrimitives.SumOfMagnitudes(query) + QueryCodesShare(query, scale);

        // s·Σ|fᵢ||cᵢ| ≤ s·127·t·dimension ÷ 2, per unit of s.
        private static float QueryCodesShare(float[] query, float scale) => 0.5f * RoundingSlack * 127f * scale * query.Length;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector512<float> Of(Vector512<float> scale, Vector512<float> residual, Vector512<float> norm) =>
            Smaller(scale * _perScale, residual * _perResidual + scale * _perScaleOfCodes + norm * _perNorm);
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
            var error2 = error.Of(scale, residual, norm);
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
            var margin = error.Of(scale, residual, norm) * inverse + _fourRounding;
            var upper = estimate + margin;
            return (estimate - margin, Vector512.ConditionalSelect(Vector512.LessThan(upper, Vector512<float>.Zero), Vector512<float>.Zero, upper));
        }

        // Of's lower bound is 1 − 4·rounding − (dot × scale × queryScale + error) ÷ (‖x‖‖q‖), within the threshold t where
        // the bracket reaches (1 − 4·rounding − t) × ‖x‖‖q‖: a test without Of's division, which on Intel cores took a
        // 16-row step 10 or more cycles. Rounding may order the two forms differently by a few float steps; this one gives
        // way by 2⁻¹⁶ × ‖x‖‖q‖, far more.
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public bool AnyWithin(Vector512<float> dot, Vector512<float> scale, Vector512<float> residual, Vector512<float> norm, Vector512<float> threshold) =>
            Vector512.GreaterThanOrEqualAny(dot * scale * _queryScale + error.Of(scale, residual, norm), norm * ((_reach - threshold) * _queryNorm));
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
            var margin = error.Of(scale, residual, norm) + norm * _roundingPerNorm;
            return (estimate - margin, estimate + margin);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public bool AnyWithin(Vector512<float> dot, Vector512<float> scale, Vector512<float> residual, Vector512<float> norm, Vector512<float> threshold) =>
            Vector512.LessThanOrEqualAny(Of(dot, scale, residual, norm).Lower, threshold);
    }
}
