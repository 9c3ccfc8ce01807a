using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;
using System.Runtime.Intrinsics;

// AvxVnni is marked preview in net8.0 (stable from .NET 9, same methods); the JIT has compiled it since .NET 7.
#pragma warning disable CA2252

namespace VectorShard.Core.Search;

/// <summary>
/// Symmetric int8 quantization, one scale per vector (its largest magnitude ÷ 127), and the int8 dot
/// product the quantized prescan runs on: x · y ≈ scaleX × scaleY × Σ codeX·codeY.
/// </summary>
public static class Int8Codes
{
    /// <summary>Writes the codes of <paramref name="vector"/> and returns its scale.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float Quantize(ReadOnlySpan<float> vector, Span<sbyte> codes)
    {
        var scale = RowCodes.Scale(vector, 127f);
        var inverse = 1f / scale;
        var i = 0;
        if (Avx2.IsSupported)
        {
            // 32 components a step: vcvtps2dq rounds to nearest, ties to even, as MathF.Round does. The codes of
            // 100,000 × 384 rows took 20–138 ms this way against 179–322 ms one component at a time (in one process,
            // first touch of their memory included), time the first exact search pays.
            ref var source = ref MemoryMarshal.GetReference(vector);
            var factor = Vector256.Create(inverse);
            var (low, high) = (Vector256.Create(-127), Vector256.Create(127));
            ref var target = ref MemoryMarshal.GetReference(codes);
            for (; i + 32 <= vector.Length; i += 32)
            {
                var a = Avx.ConvertToVector256Int32(Vector256.LoadUnsafe(ref source, (nuint)i) * factor);
                var b = Avx.ConvertToVector256Int32(Vector256.LoadUnsafe(ref source, (nuint)(i + 8)) * factor);
                var c = Avx.ConvertToVector256Int32(Vector256.LoadUnsafe(ref source, (nuint)(i + 16)) * factor);
                var d = Avx.ConvertToVector256Int32(Vector256.LoadUnsafe(ref source, (nuint)(i + 24)) * factor);
                var words = (Vector256.Narrow(Clamp(a, low, high), Clamp(b, low, high)), Vector256.Narrow(Clamp(c, low, high), Clamp(d, low, high)));
                Vector256.Narrow(words.Item1, words.Item2).StoreUnsafe(ref target, (nuint)i);
            }
        }

        for (; i < vector.Length; i++)
        {
            codes[i] = (sbyte)Math.Clamp(MathF.Round(vector[i] * inverse), -127f, 127f);
        }

        return scale;
    }

    /// <summary>
    /// ‖vector − scale × codes‖, rounded up: an upper bound on the codes' error in any dot product per unit of the
    /// other vector's length (Cauchy–Schwarz), tighter than half a step per component by about √3 on typical rows.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float Residual(ReadOnlySpan<float> vector, ReadOnlySpan<sbyte> codes, float scale)
    {
        var i = 0;
        var sum = 0d;
        if (Avx2.IsSupported)
        {
            // Eight components a step: the first exact search of an image runs this over every row (100,000 × 384 rows'
            // codes and residuals took 20–119 ms against 135–219 ms one component at a time in double, in one process).
            // Each error is computed in float32, off by at most about 2⁻²³ × 127 steps, so the result is widened by 2⁻¹².
            ref var x = ref MemoryMarshal.GetReference(vector);
            ref var c = ref MemoryMarshal.GetReference(codes);
            var step = Vector256.Create(scale);
            var squares = Vector256<float>.Zero;
            for (; i + 16 <= vector.Length; i += 8)
            {
                var code = Avx.ConvertToVector256Single(Avx2.ConvertToVector256Int32(Vector128.LoadUnsafe(ref c, (nuint)i)));
                var error = Vector256.LoadUnsafe(ref x, (nuint)i) - code * step;
                squares += error * error;
            }

            sum = Vector256.Sum(squares);
        }

        for (; i < vector.Length; i++)
        {
            var error = vector[i] - (double)scale * codes[i];
            sum += error * error;
        }

        return (float)Math.Sqrt(sum) * (1f + 1f / (1 << 12));
    }

    private static Vector256<int> Clamp(Vector256<int> value, Vector256<int> low, Vector256<int> high) =>
        Vector256.Min(high, Vector256.Max(low, value));

    /// <summary>
    /// The largest 16-bit query code <see cref="DotRows"/> can take at this dimension with its int32 sums exact:
    /// dimension × 127 × this stays below 2^31 (32,767 up to 516 dimensions, 11,008 at 1536).
    /// </summary>
    public static int WideQueryMax(int dimension) => (int)Math.Min(short.MaxValue, int.MaxValue / (127L * dimension));

    /// <summary>
    /// Writes 16-bit codes of a query for <see cref="DotRows"/> (up to <see cref="WideQueryMax"/>) and returns its scale: the
    /// kernel widens every code to 16 bits anyway, so a query quantized this finely costs nothing more than an int8 one
    /// and adds hundreds of times less error.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float QuantizeWide(ReadOnlySpan<float> query, Span<short> codes)
    {
        var top = WideQueryMax(query.Length);
        var scale = RowCodes.Scale(query, top);
        var inverse = 1f / scale;
        for (var i = 0; i < query.Length; i++)
        {
            codes[i] = (short)Math.Clamp(MathF.Round(query[i] * inverse), -top, top);
        }

        return scale;
    }

    /// <summary>The codes widened to 16 bits: a query is widened once, then multiplied against every row.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static short[] Widen(ReadOnlySpan<sbyte> codes)
    {
        var wide = new short[codes.Length];
        for (var i = 0; i < codes.Length; i++)
        {
            wide[i] = codes[i];
        }

        return wide;
    }

    /// <summary>
    /// results[i] = Σ query[j]·rows[i][j] over int8 rows stored contiguously (row i at rows[i*dimension..]), in int32
    /// (exact for dimensions up to 2^31 / 127²), with the query already widened (<see cref="Widen"/>).
    /// </summary>
    // Fully optimized from the first call: the first searches of a session would otherwise run unoptimized code.
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    public static void DotRows(ReadOnlySpan<short> query, ReadOnlySpan<sbyte> rows, int dimension, Span<int> results)
    {
        if (query.Length != dimension || rows.Length % dimension != 0 || results.Length < rows.Length / dimension)
        {
            throw new ArgumentException($"Expected a query of {dimension} codes, whole rows, and a result per row.");
        }

        ref var q = ref MemoryMarshal.GetReference(query);
        ref var r = ref MemoryMarshal.GetReference(rows);
        for (var row = 0; row < rows.Length / dimension; row++)
        {
            results[row] = Dot(ref q, ref Unsafe.Add(ref r, row * dimension), dimension);
        }
    }

    /// <summary>
    /// <see cref="DotRows"/> for many queries at once (16-bit codes stored one after the other):
    /// results[q * rowCount + i] = Σ queries[q][j]·rows[i][j], where rowCount = rows.Length ÷ dimension.
    /// </summary>
    /// <remarks>
    /// Rows and queries are taken four by four, so each row block is read once per four queries rather than once per
    /// query, and sixteen sums run side by side. 10,000 × 1536 codes in cache, in one process: 0.15 ms a query at 8
    /// queries and 0.12 at 64, against 0.29 one query at a time (127 against 52 billion multiply-adds a second).
    /// </remarks>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    public static void DotRowsMany(ReadOnlySpan<short> queries, int queryCount, ReadOnlySpan<sbyte> rows, int dimension, Span<int> results)
    {
        var rowCount = rows.Length / dimension;
        if (queryCount < 1 || queries.Length != queryCount * dimension || rows.Length % dimension != 0 || results.Length < queryCount * rowCount)
        {
            throw new ArgumentException($"Expected {queryCount} queries of {dimension} codes, whole rows, and a result per query and row.");
        }

        if (!(Avx512BW.IsSupported || AvxVnni.IsSupported) || queryCount == 1)
        {
            for (var q = 0; q < queryCount; q++)
            {
                DotRows(queries.Slice(q * dimension, dimension), rows, dimension, results.Slice(q * rowCount, rowCount));
            }

            return;
        }

        if (VnniTiles)
        {
            Tiles<VnniTileSteps, short, Vector256<short>, Vector256<int>>(queries, queryCount, rows, dimension, results, []);
        }
        else
        {
            Tiles<Avx512TileSteps, short, Vector512<short>, Vector512<int>>(queries, queryCount, rows, dimension, results, []);
        }
    }

    /// <summary>Whether <see cref="DotRowsManyNarrow"/> runs here: it needs AVX-VNNI (vpdpbusd).</summary>
    public static bool NarrowTiles => VnniTiles;

    /// <summary>
    /// The largest dimension <see cref="DotRowsManyNarrow"/> takes: its sums of row codes raised by 128 (up to 255) times
    /// query codes (up to 127) stay within int32.
    /// </summary>
    public static int NarrowMaxDimension => int.MaxValue / (255 * 127);

    /// <summary>Each query's sum of codes, which <see cref="DotRowsManyNarrow"/> takes: computed once for all the calls of a pass.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static int[] SumsOfCodes(ReadOnlySpan<sbyte> queries, int queryCount, int dimension)
    {
        var sums = new int[queryCount];
        for (var q = 0; q < queryCount; q++)
        {
            // Summed in a local: adding into sums[q] stored and reloaded it every component (a batch of 8 at 1536
            // components spent 2% of its time here).
            var sum = 0;
            foreach (var code in queries.Slice(q * dimension, dimension))
            {
                sum += code;
            }

            sums[q] = sum;
        }

        return sums;
    }

    /// <summary>
    /// <see cref="DotRowsMany"/> for int8 queries (codes of <see cref="Quantize"/>, with their <see cref="SumsOfCodes"/>):
    /// results[q * rowCount + i] = Σ queries[q][j]·rows[i][j]. Needs <see cref="NarrowTiles"/>.
    /// </summary>
    /// <remarks>
    /// AVX-VNNI multiplies bytes four pairs a lane (vpdpbusd) against two for 16-bit codes, with no widening; it takes
    /// one side unsigned, so each row code is raised by 128 as it is loaded and 128 × Σ query codes taken off the sums.
    /// In one process, batches of 8 over codes evicted from cache: 10,000 × 1536 1.47 against 1.96 ms, 1,000,000 × 96
    /// 9.8 against 14.5, 100,000 × 384 3.35 against 4.30; 64 queries over 10,000 × 1536 6.7 against 11.8 ms.
    /// </remarks>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    public static void DotRowsManyNarrow(ReadOnlySpan<sbyte> queries, int queryCount, ReadOnlySpan<int> sumsOfCodes, ReadOnlySpan<sbyte> rows,
        int dimension, Span<int> results)
    {
        var rowCount = rows.Length / dimension;
        if (!NarrowTiles || dimension > NarrowMaxDimension)
        {
            throw new PlatformNotSupportedException("8-bit query tiles need AVX-VNNI, and at most NarrowMaxDimension components.");
        }

        if (queryCount < 1 || queries.Length != queryCount * dimension || sumsOfCodes.Length != queryCount || rows.Length % dimension != 0 ||
            results.Length < queryCount * rowCount)
        {
            throw new ArgumentException($"Expected {queryCount} queries of {dimension} codes and their sums, whole rows, and a result per query and row.");
        }

        Span<int> raised = stackalloc int[queryCount];
        for (var q = 0; q < queryCount; q++)
        {
            raised[q] = -128 * sumsOfCodes[q];
        }

        Tiles<NarrowTileSteps, sbyte, Vector256<sbyte>, Vector256<int>>(queries, queryCount, rows, dimension, results, raised);
    }

    // Every query against every row, four by four; starts[q] (or 0 where empty) is added to query q's sums.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tiles<TSteps, TQuery, TCodes, TSums>(ReadOnlySpan<TQuery> queries, int queryCount, ReadOnlySpan<sbyte> rows, int dimension,
        Span<int> results, ReadOnlySpan<int> starts)
        where TSteps : struct, ITileSteps<TQuery, TCodes, TSums>
        where TSums : struct
    {
        // Four rows longer than the prefetch distance are prefetched into L2 only: with 1536-byte rows, 8 queries' tiles
        // over 10,000 of them from memory took 1.31-1.34 against 1.43-1.47 ms (int8 query codes; 16-bit: 1.74-1.75
        // against 1.84-1.85), while 96-component rows ran 2-4% slower that way. Chosen here, once a call: a test inside
        // the tile's loop cost the short rows as much.
        if (4 * dimension > StreamPrefetch.Distance)
        {
            Tiles<TSteps, TQuery, TCodes, TSums, StreamPrefetch.IntoL2>(queries, queryCount, rows, dimension, results, starts);
        }
        else
        {
            Tiles<TSteps, TQuery, TCodes, TSums, StreamPrefetch.IntoL1>(queries, queryCount, rows, dimension, results, starts);
        }
    }

    // The same, with the rows prefetched into TPrefetch's cache level.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tiles<TSteps, TQuery, TCodes, TSums, TPrefetch>(ReadOnlySpan<TQuery> queries, int queryCount, ReadOnlySpan<sbyte> rows,
        int dimension, Span<int> results, ReadOnlySpan<int> starts)
        where TSteps : struct, ITileSteps<TQuery, TCodes, TSums>
        where TSums : struct
        where TPrefetch : struct, StreamPrefetch.ITarget
    {
        var rowCount = rows.Length / dimension;
        ref var firstQuery = ref MemoryMarshal.GetReference(queries);
        ref var firstRow = ref MemoryMarshal.GetReference(rows);
        ref var firstResult = ref MemoryMarshal.GetReference(results);
        Span<int> partial = stackalloc int[16];
        Span<int> tileStarts = stackalloc int[(queryCount + 3) / 4 * 4];
        if (!starts.IsEmpty)
        {
            starts.CopyTo(tileStarts);
        }

        for (var row = 0; row < rowCount; row += 4)
        {
            for (var q = 0; q < queryCount; q += 4)
            {
                if (row + 4 <= rowCount && q + 4 <= queryCount)
                {
                    TileOfSixteen<TSteps, TQuery, TCodes, TSums, TPrefetch>(ref firstRow, FourOffsets(row, rowCount, dimension), ref firstQuery,
                        FourOffsets(q, queryCount, dimension), dimension, ref tileStarts[q], ref Unsafe.Add(ref firstResult, q * rowCount + row), rowCount);
                    continue;
                }

                // A short tile repeats its last row or query; only the sums of real pairs are kept (a repeated query's start
                // is never read back).
                TileOfSixteen<TSteps, TQuery, TCodes, TSums, TPrefetch>(ref firstRow, FourOffsets(row, rowCount, dimension), ref firstQuery,
                    FourOffsets(q, queryCount, dimension), dimension, ref tileStarts[q], ref MemoryMarshal.GetReference(partial), 4);
                for (var j = 0; j < 4 && q + j < queryCount; j++)
                {
                    for (var i = 0; i < 4 && row + i < rowCount; i++)
                    {
                        results[(q + j) * rowCount + row + i] = partial[j * 4 + i];
                    }
                }
            }
        }
    }

    // Offsets of rows (or queries) first..first+3, the last real one repeated past count.
    private static (nint, nint, nint, nint) FourOffsets(int first, int count, int dimension) =>
        ((nint)first * dimension, (nint)Math.Min(first + 1, count - 1) * dimension, (nint)Math.Min(first + 2, count - 1) * dimension,
            (nint)Math.Min(first + 3, count - 1) * dimension);

    // Whether tiles use AVX-VNNI's fused multiply-add of 16-bit pairs (vpdpwssd, 256-bit: net8.0 has no 512-bit form)
    // rather than AVX-512's multiply-add (vpmaddwd) and a separate add. Intel cores run 512-bit integer multiplies on one
    // port and 256-bit ones on two, so there VNNI multiplies as fast and saves the adds: on the 2-core Xeon, 10,000 × 1536
    // codes in cache took 0.197 against 0.230 ms a query at 8 queries, 0.211 against 0.242 at 64, and batched searches
    // 10–15% less. AMD's Zen 5 has AVX-VNNI too but full-width 512-bit units, where the AVX-512 tile was measured; it keeps it.
    private static readonly bool VnniTiles = AvxVnni.IsSupported && (!Avx512BW.IsSupported || IsIntel());

    private static bool IsIntel()
    {
        var (_, ebx, ecx, edx) = X86Base.CpuId(0, 0);
        return (ebx, edx, ecx) == (0x756E6547, 0x49656E69, 0x6C65746E); // "Genu", "ineI", "ntel"
    }

    // sums[j * stride + i] = starts[j] + query j · row i over four rows and four queries, a vector of components a step.
    // Too large for the JIT to inline (sixteen accumulators), so it is compiled fully optimized from its first call: at
    // tier 0 the first batches of a session ran five times slower.
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void TileOfSixteen<TSteps, TQuery, TCodes, TSums, TPrefetch>(ref sbyte rows, (nint, nint, nint, nint) r, ref TQuery queries,
        (nint, nint, nint, nint) q, int n, ref int starts, ref int sums, int stride)
        where TSteps : struct, ITileSteps<TQuery, TCodes, TSums>
        where TSums : struct
        where TPrefetch : struct, StreamPrefetch.ITarget
    {
        ref var r0 = ref Unsafe.Add(ref rows, r.Item1);
        ref var r1 = ref Unsafe.Add(ref rows, r.Item2);
        ref var r2 = ref Unsafe.Add(ref rows, r.Item3);
        ref var r3 = ref Unsafe.Add(ref rows, r.Item4);
        ref var q0 = ref Unsafe.Add(ref queries, q.Item1);
        ref var q1 = ref Unsafe.Add(ref queries, q.Item2);
        ref var q2 = ref Unsafe.Add(ref queries, q.Item3);
        ref var q3 = ref Unsafe.Add(ref queries, q.Item4);
        TSums s00 = default, s01 = default, s02 = default, s03 = default, s10 = default, s11 = default, s12 = default, s13 = default;
        TSums s20 = default, s21 = default, s22 = default, s23 = default, s30 = default, s31 = default, s32 = default, s33 = default;
        // The four rows are 4n contiguous bytes, read 4 × Width a step: the same share of the 4n bytes a prefetch distance
        // further on, a line at a time, so that the next rows stream in while these are multiplied. At least 4n further:
        // with 1536-byte rows the 4 KiB distance fell inside the next four, and 8 queries' tiles over 10,000 such rows
        // from memory took 1.40 / 1.75 ms (int8 / 16-bit query codes) against 1.45-1.50 / 1.88-1.96.
        ref var ahead = ref Unsafe.Add(ref r0, Math.Max(0, 4 * n - StreamPrefetch.Distance));
        var d = 0;
        for (; d + TSteps.Width <= n; d += TSteps.Width)
        {
            TPrefetch.Ahead(ref Unsafe.Add(ref ahead, 4 * d));
            if (TSteps.Width == 32)
            {
                TPrefetch.Ahead(ref Unsafe.Add(ref ahead, 4 * d + 64));
            }

            var x0 = TSteps.Widen(ref r0, d);
            var x1 = TSteps.Widen(ref r1, d);
            var x2 = TSteps.Widen(ref r2, d);
            var x3 = TSteps.Widen(ref r3, d);
            var y = TSteps.Load(ref q0, d);
            s00 = TSteps.MultiplyAdd(s00, x0, y);
            s01 = TSteps.MultiplyAdd(s01, x1, y);
            s02 = TSteps.MultiplyAdd(s02, x2, y);
            s03 = TSteps.MultiplyAdd(s03, x3, y);
            y = TSteps.Load(ref q1, d);
            s10 = TSteps.MultiplyAdd(s10, x0, y);
            s11 = TSteps.MultiplyAdd(s11, x1, y);
            s12 = TSteps.MultiplyAdd(s12, x2, y);
            s13 = TSteps.MultiplyAdd(s13, x3, y);
            y = TSteps.Load(ref q2, d);
            s20 = TSteps.MultiplyAdd(s20, x0, y);
            s21 = TSteps.MultiplyAdd(s21, x1, y);
            s22 = TSteps.MultiplyAdd(s22, x2, y);
            s23 = TSteps.MultiplyAdd(s23, x3, y);
            y = TSteps.Load(ref q3, d);
            s30 = TSteps.MultiplyAdd(s30, x0, y);
            s31 = TSteps.MultiplyAdd(s31, x1, y);
            s32 = TSteps.MultiplyAdd(s32, x2, y);
            s33 = TSteps.MultiplyAdd(s33, x3, y);
        }

        // Components past the last whole step: four rows' codes side by side (as the steps read them), times each query's.
        var t0 = Vector128.Create(starts);
        var t1 = Vector128.Create(Unsafe.Add(ref starts, 1));
        var t2 = Vector128.Create(Unsafe.Add(ref starts, 2));
        var t3 = Vector128.Create(Unsafe.Add(ref starts, 3));
        for (; d < n; d++)
        {
            var c = Vector128.Create(TSteps.TailRow(Unsafe.Add(ref r0, d)), TSteps.TailRow(Unsafe.Add(ref r1, d)),
                TSteps.TailRow(Unsafe.Add(ref r2, d)), TSteps.TailRow(Unsafe.Add(ref r3, d)));
            t0 += c * TSteps.TailQuery(Unsafe.Add(ref q0, d));
            t1 += c * TSteps.TailQuery(Unsafe.Add(ref q1, d));
            t2 += c * TSteps.TailQuery(Unsafe.Add(ref q2, d));
            t3 += c * TSteps.TailQuery(Unsafe.Add(ref q3, d));
        }

        var first = TSteps.Sum8(s00, s01, s02, s03, s10, s11, s12, s13) + Vector256.Create(t0, t1);
        var second = TSteps.Sum8(s20, s21, s22, s23, s30, s31, s32, s33) + Vector256.Create(t2, t3);
        first.GetLower().StoreUnsafe(ref sums);
        first.GetUpper().StoreUnsafe(ref sums, (nuint)stride);
        second.GetLower().StoreUnsafe(ref sums, (nuint)(2 * stride));
        second.GetUpper().StoreUnsafe(ref sums, (nuint)(3 * stride));
    }

    // One vector width of a tile's step: Width row codes as the multiply takes them (widened to 16 bits, or raised by
    // 128), the query's codes beside them, their products added into 32-bit sums, and eight vectors of sums reduced to
    // one sum each; and a row or query code as the scalar tail takes it, to match.
    private interface ITileSteps<TQuery, TCodes, TSums>
    {
        static abstract int Width { get; }

        static abstract TCodes Widen(ref sbyte row, int at);

        static abstract TCodes Load(ref TQuery query, int at);

        static abstract TSums MultiplyAdd(TSums sums, TCodes row, TCodes query);

        static abstract int TailRow(sbyte row);

        static abstract int TailQuery(TQuery query);

        static abstract Vector256<int> Sum8(TSums a, TSums b, TSums c, TSums d, TSums e, TSums f, TSums g, TSums h);
    }

    // The sums of eight vectors, in order, by three rounds of pairwise adds and a swap of halves: eight at once cost 21
    // instructions' worth of work against 34 four at a time, which a tile over short rows spends as much on as on its
    // multiplies (1,000,000 × 96 codes, 8 queries: 14.5 against 16.1 ms, in one process).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Fold8(Vector256<int> a, Vector256<int> b, Vector256<int> c, Vector256<int> d, Vector256<int> e,
        Vector256<int> f, Vector256<int> g, Vector256<int> h)
    {
        var first = Avx2.HorizontalAdd(Avx2.HorizontalAdd(a, b), Avx2.HorizontalAdd(c, d));
        var second = Avx2.HorizontalAdd(Avx2.HorizontalAdd(e, f), Avx2.HorizontalAdd(g, h));
        return Avx2.Permute2x128(first, second, 0x20) + Avx2.Permute2x128(first, second, 0x31);
    }

    // AVX-512: vpmaddwd and a separate add, 32 components a step.
    private readonly struct Avx512TileSteps : ITileSteps<short, Vector512<short>, Vector512<int>>
    {
        public static int TailRow(sbyte row) => row;

        public static int TailQuery(short query) => query;

        public static int Width => 32;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<short> Widen(ref sbyte row, int at) => Avx512BW.ConvertToVector512Int16(Vector256.LoadUnsafe(ref row, (nuint)at));

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<short> Load(ref short query, int at) => Vector512.LoadUnsafe(ref query, (nuint)at);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<int> MultiplyAdd(Vector512<int> sums, Vector512<short> row, Vector512<short> query) =>
            sums + Avx512BW.MultiplyAddAdjacent(row, query);

        // Halved by an add, then folded as 256-bit sums.
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<int> Sum8(Vector512<int> a, Vector512<int> b, Vector512<int> c, Vector512<int> d, Vector512<int> e,
            Vector512<int> f, Vector512<int> g, Vector512<int> h)
        {
            static Vector256<int> Half(Vector512<int> v) => v.GetLower() + v.GetUpper();
            return Fold8(Half(a), Half(b), Half(c), Half(d), Half(e), Half(f), Half(g), Half(h));
        }
    }

    // AVX-VNNI: vpdpwssd, 16 components a step.
    private readonly struct VnniTileSteps : ITileSteps<short, Vector256<short>, Vector256<int>>
    {
        public static int TailRow(sbyte row) => row;

        public static int TailQuery(short query) => query;

        public static int Width => 16;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<short> Widen(ref sbyte row, int at) => Avx2.ConvertToVector256Int16(Vector128.LoadUnsafe(ref row, (nuint)at));

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<short> Load(ref short query, int at) => Vector256.LoadUnsafe(ref query, (nuint)at);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<int> MultiplyAdd(Vector256<int> sums, Vector256<short> row, Vector256<short> query) =>
            AvxVnni.MultiplyWideningAndAdd(sums, row, query);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<int> Sum8(Vector256<int> a, Vector256<int> b, Vector256<int> c, Vector256<int> d, Vector256<int> e,
            Vector256<int> f, Vector256<int> g, Vector256<int> h) => Fold8(a, b, c, d, e, f, g, h);
    }

    // AVX-VNNI with int8 queries: vpdpbusd, 32 components a step, unsigned row codes (raised by 128) times signed query
    // codes, four products a lane; the raise comes off through the tile's starts (DotRowsManyNarrow).
    private readonly struct NarrowTileSteps : ITileSteps<sbyte, Vector256<sbyte>, Vector256<int>>
    {
        public static int Width => 32;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<sbyte> Widen(ref sbyte row, int at) => Vector256.LoadUnsafe(ref row, (nuint)at) ^ Vector256.Create(sbyte.MinValue);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<sbyte> Load(ref sbyte query, int at) => Vector256.LoadUnsafe(ref query, (nuint)at);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<int> MultiplyAdd(Vector256<int> sums, Vector256<sbyte> row, Vector256<sbyte> query) =>
            AvxVnni.MultiplyWideningAndAdd(sums, row.AsByte(), query);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<int> Sum8(Vector256<int> a, Vector256<int> b, Vector256<int> c, Vector256<int> d, Vector256<int> e,
            Vector256<int> f, Vector256<int> g, Vector256<int> h) => Fold8(a, b, c, d, e, f, g, h);

        public static int TailRow(sbyte row) => row + 128;

        public static int TailQuery(sbyte query) => query;
    }

    // Each step sign-extends a block of row codes to 16 bits, multiplies them by the query's and adds adjacent
    // pairs into 32-bit lanes (vpmaddwd). One accumulator is enough: its add has a latency of one cycle. The rows ahead
    // are prefetched into L2, not L1: codes evicted from cache streamed in 7-9% sooner that way on the Xeon (10,000 ×
    // 1536 1.05 against 1.13 ms, 100,000 × 384 2.69 against 2.84, 93-97% of the bandwidth probe's plain sum), as the
    // L1 fill buffers the loads need are no longer held by prefetches.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Dot(ref short q, ref sbyte r, int n)
    {
        var i = 0;
        var sum = 0;
        if (Avx512BW.IsSupported && n >= 32)
        {
            var wide = Vector512<int>.Zero;
            for (; i + 64 <= n; i += 64)
            {
                StreamPrefetch.AheadToL2(ref Unsafe.Add(ref r, i));
                wide += Avx512BW.MultiplyAddAdjacent(Avx512BW.ConvertToVector512Int16(Vector256.LoadUnsafe(ref r, (nuint)i)), Vector512.LoadUnsafe(ref q, (nuint)i));
                wide += Avx512BW.MultiplyAddAdjacent(Avx512BW.ConvertToVector512Int16(Vector256.LoadUnsafe(ref r, (nuint)i + 32)),
                    Vector512.LoadUnsafe(ref q, (nuint)i + 32));
            }

            if (i + 32 <= n)
            {
                StreamPrefetch.AheadToL2(ref Unsafe.Add(ref r, i));
                wide += Avx512BW.MultiplyAddAdjacent(Avx512BW.ConvertToVector512Int16(Vector256.LoadUnsafe(ref r, (nuint)i)), Vector512.LoadUnsafe(ref q, (nuint)i));
                i += 32;
            }

            sum = Vector512.Sum(wide);
        }
        else if (Avx2.IsSupported && n >= 16)
        {
            var narrow = Vector256<int>.Zero;
            for (; i + 16 <= n; i += 16)
            {
                if (i % 64 == 0)
                {
                    StreamPrefetch.AheadToL2(ref Unsafe.Add(ref r, i));
                }

                narrow += Avx2.MultiplyAddAdjacent(Avx2.ConvertToVector256Int16(Vector128.LoadUnsafe(ref r, (nuint)i)), Vector256.LoadUnsafe(ref q, (nuint)i));
            }

            sum = Vector256.Sum(narrow);
        }

        for (; i < n; i++)
        {
            sum += Unsafe.Add(ref q, i) * Unsafe.Add(ref r, i);
        }

        return sum;
    }
}
