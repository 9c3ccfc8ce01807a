using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace VectorShard.Core.Search.Kernels;

/// <summary>Which distance a kernel loop accumulates; a struct type argument, so the choice costs nothing at run time.</summary>
internal interface IKernelStep
{
    /// <summary>True for ‖q − r‖², false for q · r.</summary>
    static abstract bool Squared { get; }
}

/// <summary>q · r.</summary>
internal readonly struct DotStep : IKernelStep
{
    public static bool Squared => false;
}

/// <summary>‖q − r‖².</summary>
internal readonly struct SquaredStep : IKernelStep
{
    public static bool Squared => true;
}

/// <summary>
/// The hand-written SIMD kernels, written once for any vector width (<typeparamref name="TOps"/> supplies
/// the instructions). Layout of the work:
/// <list type="bullet">
/// <item>One query (the *Rows methods): one row after the other, four accumulators per row to hide the FMA
/// latency (<see cref="Single{TStep, TRow, TElement}"/>), the horizontal sums of four rows reduced together. This
/// path is bound by memory bandwidth for any realistic shard. Float16 rows (*RowsManyHalf) take the same paths with
/// the halves widened in registers as they are loaded (<see cref="HalfRowReader{TOps, TVec}"/>), so they cost half
/// the memory traffic.</item>
/// <item>Many queries: rows are cut into blocks of about <see cref="RowBlockBytes"/> that stay in L2 while every
/// query passes over them, so memory is read once per batch, not once per query. Within a block, groups of four
/// queries (in L1) meet four rows at a time (<see cref="Micro4x4{TStep, TRow, TElement}"/>, 16 accumulators, where the backend has
/// 32 vector registers: AVX-512, NEON) or two rows at a time (<see cref="Micro4x2{TStep, TRow, TElement}"/>, 8 accumulators,
/// for the 16 registers of SSE and AVX2): each loaded row vector feeds four FMAs. While the groups work on one
/// block, the micro-kernels prefetch the next block, so that it is read from memory in the background rather
/// than in a memory-bound first pass. Leftover queries (queryCount mod 4) take the one-query path over the
/// same block.</item>
/// <item>Float row loads are aligned to the vector size: a first vector masked to the elements before the first aligned
/// address, then aligned loads (see <see cref="FloatRowReader{TOps, TVec}.Head"/> for what that is worth). Tails (dimension not a
/// multiple of the width) reload the last full vector, overlapping the previous one, with the already-counted lanes
/// masked to zero. Dimensions below one vector fall back to <see cref="ScalarKernel"/>.</item>
/// <item>Block-transposed rows (the *Blocks methods) have their own loops, in SimdBlockKernel.cs.</item>
/// </list>
/// </summary>
internal abstract partial class SimdKernel<TOps, TVec> : VectorKernel
    where TOps : struct, ISimdOps<TVec>
    where TVec : unmanaged
{
    /// <summary>
    /// Bytes of rows per block in the many-query path. Measured on the benchmark machine (1 MB L2): 64 KB to
    /// 512 KB all within noise of each other; 128 KB leaves room in L2 for the block being prefetched.
    /// </summary>
    internal const int RowBlockBytes = 128 * 1024;

    /// <summary>Rows per micro-kernel call in the many-query path: four where there are 32 vector registers.</summary>
    private static int RowsPerCall
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => TOps.VectorRegisters >= 32 ? 4 : 2;
    }

    /// <summary>
    /// Cache lines of the next block to prefetch per micro-kernel step, for <paramref name="groups"/> groups of four
    /// queries: as many as the step consumes of the current block (RowsPerCall vectors of rows, at least one line), so the
    /// next block is in cache after the first group's pass. From eight groups on, none: the later passes run long
    /// enough for the hardware prefetcher, and the prefetch instructions would cost more than they save.
    /// Measured (10,000 × 1536, ms per batch, AVX-512): batch 4: 4.5 without, 3.2 with 4 lines per step;
    /// batch 8: 5.5 → 4.5; batch 16: 8.1 → 7.3; batch 64: 23.8 → 24.9 (so none). AVX2: 1 line per step best
    /// at every batch size (batch 4: 6.6 → 2.9; batch 8: 8.6 → 5.4).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int PrefetchRate<TElement>(int groups) =>
        groups == 0 || groups >= 8 ? 0 : Math.Max(1, RowsPerCall * TOps.Width * Unsafe.SizeOf<TElement>() / 64);
    /// <inheritdoc/>
    public sealed override void DotRows(ReadOnlySpan<float> query, ReadOnlySpan<float> rows, int dimension, Span<float> results) =>
        Rows<DotStep>(query, rows, dimension, results);

    /// <inheritdoc/>
    public sealed override void SquaredDistanceRows(ReadOnlySpan<float> query, ReadOnlySpan<float> rows, int dimension, Span<float> results) =>
        Rows<SquaredStep>(query, rows, dimension, results);

    /// <inheritdoc/>
    public sealed override void DotRowsManyHalf(ReadOnlySpan<float> queries, int queryCount, ReadOnlySpan<Half> rows, int dimension, Span<float> results) =>
        HalfMany<DotStep>(queries, queryCount, rows, dimension, results);

    /// <inheritdoc/>
    public sealed override void SquaredDistanceRowsManyHalf(ReadOnlySpan<float> queries, int queryCount, ReadOnlySpan<Half> rows, int dimension, Span<float> results) =>
        HalfMany<SquaredStep>(queries, queryCount, rows, dimension, results);

    /// <inheritdoc/>
    public sealed override void DotRowsMany(ReadOnlySpan<float> queries, int queryCount, ReadOnlySpan<float> rows, int dimension, Span<float> results) =>
        Many<DotStep>(queries, queryCount, rows, dimension, results);

    /// <inheritdoc/>
    public sealed override void SquaredDistanceRowsMany(ReadOnlySpan<float> queries, int queryCount, ReadOnlySpan<float> rows, int dimension, Span<float> results) =>
        Many<SquaredStep>(queries, queryCount, rows, dimension, results);

    // AggressiveOptimization on the entry points: SIMD code is many times slower unoptimized, and a search may
    // call a kernel only a few times (each over many rows), too few for tiered compilation to catch up.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Rows<TStep>(ReadOnlySpan<float> query, ReadOnlySpan<float> rows, int dimension, Span<float> results)
        where TStep : struct, IKernelStep
    {
        if (dimension < TOps.Width)
        {
            if (TStep.Squared)
            {
                ScalarKernel.Instance.SquaredDistanceRows(query, rows, dimension, results);
            }
            else
            {
                ScalarKernel.Instance.DotRows(query, rows, dimension, results);
            }

            return;
        }

        var rowCount = KernelArguments.Rows(query, rows, dimension, results);
        OneQuery<TStep, FloatRowReader<TOps, TVec>, float>(ref MemoryMarshal.GetReference(query), ref MemoryMarshal.GetReference(rows), rowCount,
            dimension, ref MemoryMarshal.GetReference(results));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Many<TStep>(ReadOnlySpan<float> queries, int queryCount, ReadOnlySpan<float> rows, int dimension, Span<float> results)
        where TStep : struct, IKernelStep
    {
        if (dimension < TOps.Width)
        {
            if (TStep.Squared)
            {
                ScalarKernel.Instance.SquaredDistanceRowsMany(queries, queryCount, rows, dimension, results);
            }
            else
            {
                ScalarKernel.Instance.DotRowsMany(queries, queryCount, rows, dimension, results);
            }

            return;
        }

        var rowCount = KernelArguments.Many(queries, queryCount, rows, dimension, results);
        ManyRows<TStep, FloatRowReader<TOps, TVec>, float>(ref MemoryMarshal.GetReference(queries), queryCount,
            ref MemoryMarshal.GetReference(rows), rowCount, dimension, ref MemoryMarshal.GetReference(results));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void HalfMany<TStep>(ReadOnlySpan<float> queries, int queryCount, ReadOnlySpan<Half> rows, int dimension, Span<float> results)
        where TStep : struct, IKernelStep
    {
        if (dimension < TOps.Width)
        {
            if (TStep.Squared)
            {
                ScalarKernel.Instance.SquaredDistanceRowsManyHalf(queries, queryCount, rows, dimension, results);
            }
            else
            {
                ScalarKernel.Instance.DotRowsManyHalf(queries, queryCount, rows, dimension, results);
            }

            return;
        }

        var rowCount = KernelArguments.Many(queries, queryCount, rows, dimension, results);
        ManyRows<TStep, HalfRowReader<TOps, TVec>, ushort>(ref MemoryMarshal.GetReference(queries), queryCount,
            ref Unsafe.As<Half, ushort>(ref MemoryMarshal.GetReference(rows)), rowCount, dimension, ref MemoryMarshal.GetReference(results));
    }

    /// <summary>The many-query path over rows of either format (see the class remarks).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ManyRows<TStep, TRow, TElement>(ref float query0, int queryCount, ref TElement row0, int rowCount, int dimension, ref float result0)
        where TStep : struct, IKernelStep
        where TRow : struct, IRowReader<TElement, TVec>
    {
        var n = (nuint)dimension;

        // A whole number of micro-kernel calls per block (at least one).
        var block = Math.Max(RowsPerCall, RowBlockBytes / (dimension * Unsafe.SizeOf<TElement>()) / RowsPerCall * RowsPerCall);
        var rate = PrefetchRate<TElement>(queryCount / 4);
        for (var start = 0; start < rowCount; start += block)
        {
            var end = Math.Min(rowCount, start + block);

            // The prefetch cursor walks the next block (in elements from its start) and stops on its last line.
            // Without a next block it stays on this block's first line (an L1 hit).
            ref var next = ref Unsafe.Add(ref row0, (nint)(end < rowCount ? end : start) * dimension);
            nuint cursor = 0;
            var cursorEnd = (nuint)(Math.Min(rowCount, end + block) - end) * n;

            var q = 0;
            for (; q + 4 <= queryCount; q += 4)
            {
                ref var qa = ref Unsafe.Add(ref query0, (nint)q * dimension);
                ref var out0 = ref Unsafe.Add(ref result0, (nint)q * rowCount);
                var i = start;
                if (RowsPerCall == 4)
                {
                    for (; i + 4 <= end; i += 4)
                    {
                        cursor = Micro4x4<TStep, TRow, TElement>(ref qa, ref Unsafe.Add(ref row0, (nint)i * dimension), n,
                            ref Unsafe.Add(ref out0, i), rowCount, ref next, cursor, cursorEnd, rate);
                    }
                }

                for (; i + 2 <= end; i += 2)
                {
                    cursor = Micro4x2<TStep, TRow, TElement>(ref qa, ref Unsafe.Add(ref row0, (nint)i * dimension), n,
                        ref Unsafe.Add(ref out0, i), rowCount, ref next, cursor, cursorEnd, rate);
                }

                if (i < end)
                {
                    Micro4x1<TStep, TRow, TElement>(ref qa, ref Unsafe.Add(ref row0, (nint)i * dimension), n, ref Unsafe.Add(ref out0, i), rowCount);
                }
            }

            for (; q < queryCount; q++)
            {
                OneQuery<TStep, TRow, TElement>(ref Unsafe.Add(ref query0, (nint)q * dimension), ref Unsafe.Add(ref row0, (nint)start * dimension),
                    end - start, dimension, ref Unsafe.Add(ref result0, (nint)q * rowCount + start));
            }
        }
    }

    /// <summary>
    /// One query against rows, one row after the other. Streaming rows strictly in order is what this path needs:
    /// it is bound by memory bandwidth, and interleaving four rows (one query load per four FMAs) measured
    /// slower here (100,000 × 384: 20–22 GB/s interleaved against 31–35 GB/s in order; 10,000 × 1536: equal).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void OneQuery<TStep, TRow, TElement>(ref float query, ref TElement rows, int rowCount, int dimension, ref float results)
        where TStep : struct, IKernelStep
        where TRow : struct, IRowReader<TElement, TVec>
    {
        var n = (nuint)dimension;

        // Still one row after the other, but the horizontal sums of four rows are reduced together. One call site
        // of Single: four inlined copies exhausted the JIT's inlining budget and left the loads as calls. Lane j
        // of the reduction depends on row j alone, so a row's score has the same bits wherever it falls (the
        // quantized rescoring scores single rows and must agree with the exact scan).
        Span<TVec> sums = stackalloc TVec[4];
        for (var i = 0; i < rowCount; i += 4)
        {
            var count = Math.Min(4, rowCount - i);
            for (var j = 0; j < 4; j++)
            {
                sums[j] = j < count ? Single<TStep, TRow, TElement>(ref query, ref Unsafe.Add(ref rows, (nint)(i + j) * dimension), n) : TOps.Zero;
            }

            StoreSums(sums, count, ref Unsafe.Add(ref results, i));
        }
    }

    /// <summary>Reduces four rows' accumulators together and stores the first <paramref name="count"/> sums.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreSums(Span<TVec> sums, int count, ref float results)
    {
        var reduced = TOps.Sum4(sums[0], sums[1], sums[2], sums[3]);
        if (count == 4)
        {
            reduced.StoreUnsafe(ref results);
            return;
        }

        for (var j = 0; j < count; j++)
        {
            Unsafe.Add(ref results, j) = reduced.GetElement(j);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TVec Step<TStep>(TVec q, TVec r, TVec accumulator)
        where TStep : struct, IKernelStep
    {
        if (TStep.Squared)
        {
            var d = TOps.Subtract(q, r);
            return TOps.MultiplyAdd(d, d, accumulator);
        }

        return TOps.MultiplyAdd(q, r, accumulator);
    }

    /// <summary>One step on the lanes the mask keeps (the others contribute exactly zero).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TVec MaskedStep<TStep>(TVec q, TVec r, TVec mask, TVec accumulator)
        where TStep : struct, IKernelStep
    {
        if (TStep.Squared)
        {
            var d = TOps.And(TOps.Subtract(q, r), mask);
            return TOps.MultiplyAdd(d, d, accumulator);
        }

        return TOps.MultiplyAdd(TOps.And(q, mask), r, accumulator);
    }

    /// <summary>Prefetches the next <paramref name="rate"/> lines of the next block and advances the cursor, stopping on its last line.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static nuint PrefetchStep<TElement>(ref TElement prefetch, nuint cursor, nuint cursorEnd, int rate)
    {
        if (rate > 0)
        {
            cursor = PrefetchLine(ref prefetch, cursor, cursorEnd);
            if (rate > 1)
            {
                cursor = PrefetchLine(ref prefetch, cursor, cursorEnd);
                if (rate > 2)
                {
                    cursor = PrefetchLine(ref prefetch, cursor, cursorEnd);
                    cursor = PrefetchLine(ref prefetch, cursor, cursorEnd);
                }
            }
        }

        return cursor;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static nuint PrefetchLine<TElement>(ref TElement prefetch, nuint cursor, nuint cursorEnd)
    {
        TOps.Prefetch(ref Unsafe.As<TElement, float>(ref Unsafe.Add(ref prefetch, cursor)));
        var line = (nuint)(64 / Unsafe.SizeOf<TElement>());
        return cursor + line < cursorEnd ? cursor + line : cursor;
    }

    /// <summary>
    /// One pair, four accumulators (n ≥ Width), returned added lane by lane: the caller takes the horizontal sum.
    /// Row loads go through <typeparamref name="TRow"/>; a float row's are aligned to the vector size, a first
    /// masked vector covering the elements before the first aligned address (<see cref="FloatRowReader{TOps, TVec}.Head"/>).
    /// Tails (n not a multiple of the width) reload the last full vector with the lanes already counted masked off.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TVec Single<TStep, TRow, TElement>(ref float q, ref TElement r, nuint n)
        where TStep : struct, IKernelStep
        where TRow : struct, IRowReader<TElement, TVec>
    {
        var w = (nuint)TOps.Width;
        var a0 = TOps.Zero;
        var a1 = TOps.Zero;
        var a2 = TOps.Zero;
        var a3 = TOps.Zero;

        var head = TRow.Head(ref r);
        nuint k = 0;
        if (head != 0)
        {
            a3 = MaskedStep<TStep>(TOps.Load(ref q, 0), TRow.Load(ref r, 0), TOps.HeadMask(head), a3);
            k = head;
        }

        for (; k + 4 * w <= n; k += 4 * w)
        {
            a0 = Step<TStep>(TOps.Load(ref q, k), TRow.Load(ref r, k), a0);
            a1 = Step<TStep>(TOps.Load(ref q, k + w), TRow.Load(ref r, k + w), a1);
            a2 = Step<TStep>(TOps.Load(ref q, k + 2 * w), TRow.Load(ref r, k + 2 * w), a2);
            a3 = Step<TStep>(TOps.Load(ref q, k + 3 * w), TRow.Load(ref r, k + 3 * w), a3);
        }

        for (; k + w <= n; k += w)
        {
            a0 = Step<TStep>(TOps.Load(ref q, k), TRow.Load(ref r, k), a0);
        }

        if (k < n)
        {
            var t = n - w;
            a1 = MaskedStep<TStep>(TOps.Load(ref q, t), TRow.Load(ref r, t), TOps.TailMask(n - k), a1);
        }

        return TOps.Add(TOps.Add(a0, a1), TOps.Add(a2, a3));
    }

    /// <summary>
    /// One vector <paramref name="x"/> against four others (n ≥ Width): each loaded x vector feeds four
    /// independent accumulator chains.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Micro1x4<TStep, TRow, TElement>(ref TElement x, ref float y0, ref float y1, ref float y2, ref float y3, nuint n,
        out float s0, out float s1, out float s2, out float s3)
        where TStep : struct, IKernelStep
        where TRow : struct, IRowReader<TElement, TVec>
    {
        var w = (nuint)TOps.Width;
        var a0 = TOps.Zero;
        var a1 = TOps.Zero;
        var a2 = TOps.Zero;
        var a3 = TOps.Zero;
        nuint k = 0;
        for (; k + w <= n; k += w)
        {
            var xv = TRow.Load(ref x, k);
            a0 = Step<TStep>(xv, TOps.Load(ref y0, k), a0);
            a1 = Step<TStep>(xv, TOps.Load(ref y1, k), a1);
            a2 = Step<TStep>(xv, TOps.Load(ref y2, k), a2);
            a3 = Step<TStep>(xv, TOps.Load(ref y3, k), a3);
        }

        if (k < n)
        {
            var t = n - w;
            var mask = TOps.TailMask(n - k);
            var xv = TRow.Load(ref x, t);
            a0 = MaskedStep<TStep>(xv, TOps.Load(ref y0, t), mask, a0);
            a1 = MaskedStep<TStep>(xv, TOps.Load(ref y1, t), mask, a1);
            a2 = MaskedStep<TStep>(xv, TOps.Load(ref y2, t), mask, a2);
            a3 = MaskedStep<TStep>(xv, TOps.Load(ref y3, t), mask, a3);
        }

        var sums = TOps.Sum4(a0, a1, a2, a3);
        s0 = sums.GetElement(0);
        s1 = sums.GetElement(1);
        s2 = sums.GetElement(2);
        s3 = sums.GetElement(3);
    }

    /// <summary>Four queries (contiguous from <paramref name="q0"/>) against one row: <see cref="Micro1x4{TStep, TRow, TElement}"/> with the roles swapped.</summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void Micro4x1<TStep, TRow, TElement>(ref float q0, ref TElement row, nuint n, ref float output, int stride)
        where TStep : struct, IKernelStep
        where TRow : struct, IRowReader<TElement, TVec>
    {
        ref var q1 = ref Unsafe.Add(ref q0, n);
        ref var q2 = ref Unsafe.Add(ref q1, n);
        Micro1x4<TStep, TRow, TElement>(ref row, ref q0, ref q1, ref q2, ref Unsafe.Add(ref q2, n), n, out var s0, out var s1, out var s2, out var s3);
        output = s0;
        Unsafe.Add(ref output, stride) = s1;
        Unsafe.Add(ref output, 2 * (nint)stride) = s2;
        Unsafe.Add(ref output, 3 * (nint)stride) = s3;
    }

    /// <summary>
    /// Four queries (contiguous from <paramref name="q0"/>) against two rows (contiguous from <paramref name="r0"/>),
    /// n ≥ Width: eight accumulators; each row vector is loaded once for four FMAs, each query vector once for two.
    /// Row loads are aligned like in <see cref="Single{TStep, TRow, TElement}"/> (all rows alike when the dimension is a multiple
    /// of the width).
    /// Writes output[qi * stride + ri]. Each step also prefetches from the next block (see <see cref="PrefetchStep{TElement}"/>);
    /// returns the advanced prefetch cursor. Not inlined: a kernel this size inlined into its caller exhausts the
    /// JIT's inlining budget, which then leaves small helpers as calls inside the loop and spills the accumulators.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static nuint Micro4x2<TStep, TRow, TElement>(ref float q0, ref TElement r0, nuint n, ref float output, int stride,
        ref TElement prefetch, nuint cursor, nuint cursorEnd, int rate)
        where TStep : struct, IKernelStep
        where TRow : struct, IRowReader<TElement, TVec>
    {
        ref var q1 = ref Unsafe.Add(ref q0, n);
        ref var q2 = ref Unsafe.Add(ref q1, n);
        ref var q3 = ref Unsafe.Add(ref q2, n);
        ref var r1 = ref Unsafe.Add(ref r0, n);
        var w = (nuint)TOps.Width;
        TVec a00 = TOps.Zero, a01 = TOps.Zero;
        TVec a10 = TOps.Zero, a11 = TOps.Zero;
        TVec a20 = TOps.Zero, a21 = TOps.Zero;
        TVec a30 = TOps.Zero, a31 = TOps.Zero;
        var c = cursor;
        nuint k = 0;
        var head = TRow.Head(ref r0);
        if (head != 0)
        {
            var mask = TOps.HeadMask(head);
            var rv0 = TRow.Load(ref r0, 0);
            var rv1 = TRow.Load(ref r1, 0);
            var qv = TOps.Load(ref q0, 0);
            a00 = MaskedStep<TStep>(qv, rv0, mask, a00);
            a01 = MaskedStep<TStep>(qv, rv1, mask, a01);
            qv = TOps.Load(ref q1, 0);
            a10 = MaskedStep<TStep>(qv, rv0, mask, a10);
            a11 = MaskedStep<TStep>(qv, rv1, mask, a11);
            qv = TOps.Load(ref q2, 0);
            a20 = MaskedStep<TStep>(qv, rv0, mask, a20);
            a21 = MaskedStep<TStep>(qv, rv1, mask, a21);
            qv = TOps.Load(ref q3, 0);
            a30 = MaskedStep<TStep>(qv, rv0, mask, a30);
            a31 = MaskedStep<TStep>(qv, rv1, mask, a31);
            k = head;
        }

        for (; k + w <= n; k += w)
        {
            c = PrefetchStep(ref prefetch, c, cursorEnd, rate);
            var rv0 = TRow.Load(ref r0, k);
            var rv1 = TRow.Load(ref r1, k);
            var qv = TOps.Load(ref q0, k);
            a00 = Step<TStep>(qv, rv0, a00);
            a01 = Step<TStep>(qv, rv1, a01);
            qv = TOps.Load(ref q1, k);
            a10 = Step<TStep>(qv, rv0, a10);
            a11 = Step<TStep>(qv, rv1, a11);
            qv = TOps.Load(ref q2, k);
            a20 = Step<TStep>(qv, rv0, a20);
            a21 = Step<TStep>(qv, rv1, a21);
            qv = TOps.Load(ref q3, k);
            a30 = Step<TStep>(qv, rv0, a30);
            a31 = Step<TStep>(qv, rv1, a31);
        }

        if (k < n)
        {
            var t = n - w;
            var mask = TOps.TailMask(n - k);
            var rv0 = TRow.Load(ref r0, t);
            var rv1 = TRow.Load(ref r1, t);
            var qv = TOps.Load(ref q0, t);
            a00 = MaskedStep<TStep>(qv, rv0, mask, a00);
            a01 = MaskedStep<TStep>(qv, rv1, mask, a01);
            qv = TOps.Load(ref q1, t);
            a10 = MaskedStep<TStep>(qv, rv0, mask, a10);
            a11 = MaskedStep<TStep>(qv, rv1, mask, a11);
            qv = TOps.Load(ref q2, t);
            a20 = MaskedStep<TStep>(qv, rv0, mask, a20);
            a21 = MaskedStep<TStep>(qv, rv1, mask, a21);
            qv = TOps.Load(ref q3, t);
            a30 = MaskedStep<TStep>(qv, rv0, mask, a30);
            a31 = MaskedStep<TStep>(qv, rv1, mask, a31);
        }

        // Lanes: [q0·r0, q0·r1, q1·r0, q1·r1], then the same for q2 and q3.
        var upper = TOps.Sum4(a00, a01, a10, a11);
        var lower = TOps.Sum4(a20, a21, a30, a31);
        output = upper.GetElement(0);
        Unsafe.Add(ref output, 1) = upper.GetElement(1);
        ref var o1 = ref Unsafe.Add(ref output, stride);
        o1 = upper.GetElement(2);
        Unsafe.Add(ref o1, 1) = upper.GetElement(3);
        ref var o2 = ref Unsafe.Add(ref o1, stride);
        o2 = lower.GetElement(0);
        Unsafe.Add(ref o2, 1) = lower.GetElement(1);
        ref var o3 = ref Unsafe.Add(ref o2, stride);
        o3 = lower.GetElement(2);
        Unsafe.Add(ref o3, 1) = lower.GetElement(3);
        return c;
    }

    /// <summary>
    /// Four queries against four rows (both contiguous), n ≥ Width: sixteen accumulators, for backends with 32
    /// vector registers. Each row vector is loaded once for four FMAs and each query vector once for four, so
    /// loads never limit the FMA rate. Writes output[qi * stride + ri]; prefetches like <see cref="Micro4x2{TStep, TRow, TElement}"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static nuint Micro4x4<TStep, TRow, TElement>(ref float q0, ref TElement r0, nuint n, ref float output, int stride,
        ref TElement prefetch, nuint cursor, nuint cursorEnd, int rate)
        where TStep : struct, IKernelStep
        where TRow : struct, IRowReader<TElement, TVec>
    {
        ref var q1 = ref Unsafe.Add(ref q0, n);
        ref var q2 = ref Unsafe.Add(ref q1, n);
        ref var q3 = ref Unsafe.Add(ref q2, n);
        ref var r1 = ref Unsafe.Add(ref r0, n);
        ref var r2 = ref Unsafe.Add(ref r1, n);
        ref var r3 = ref Unsafe.Add(ref r2, n);
        var w = (nuint)TOps.Width;
        TVec a00 = TOps.Zero, a01 = TOps.Zero, a02 = TOps.Zero, a03 = TOps.Zero;
        TVec a10 = TOps.Zero, a11 = TOps.Zero, a12 = TOps.Zero, a13 = TOps.Zero;
        TVec a20 = TOps.Zero, a21 = TOps.Zero, a22 = TOps.Zero, a23 = TOps.Zero;
        TVec a30 = TOps.Zero, a31 = TOps.Zero, a32 = TOps.Zero, a33 = TOps.Zero;
        var c = cursor;
        nuint k = 0;
        var head = TRow.Head(ref r0);
        if (head != 0)
        {
            var mask = TOps.HeadMask(head);
            var rv0 = TRow.Load(ref r0, 0);
            var rv1 = TRow.Load(ref r1, 0);
            var rv2 = TRow.Load(ref r2, 0);
            var rv3 = TRow.Load(ref r3, 0);
            var qv = TOps.Load(ref q0, 0);
            a00 = MaskedStep<TStep>(qv, rv0, mask, a00);
            a01 = MaskedStep<TStep>(qv, rv1, mask, a01);
            a02 = MaskedStep<TStep>(qv, rv2, mask, a02);
            a03 = MaskedStep<TStep>(qv, rv3, mask, a03);
            qv = TOps.Load(ref q1, 0);
            a10 = MaskedStep<TStep>(qv, rv0, mask, a10);
            a11 = MaskedStep<TStep>(qv, rv1, mask, a11);
            a12 = MaskedStep<TStep>(qv, rv2, mask, a12);
            a13 = MaskedStep<TStep>(qv, rv3, mask, a13);
            qv = TOps.Load(ref q2, 0);
            a20 = MaskedStep<TStep>(qv, rv0, mask, a20);
            a21 = MaskedStep<TStep>(qv, rv1, mask, a21);
            a22 = MaskedStep<TStep>(qv, rv2, mask, a22);
            a23 = MaskedStep<TStep>(qv, rv3, mask, a23);
            qv = TOps.Load(ref q3, 0);
            a30 = MaskedStep<TStep>(qv, rv0, mask, a30);
            a31 = MaskedStep<TStep>(qv, rv1, mask, a31);
            a32 = MaskedStep<TStep>(qv, rv2, mask, a32);
            a33 = MaskedStep<TStep>(qv, rv3, mask, a33);
            k = head;
        }

        for (; k + w <= n; k += w)
        {
            c = PrefetchStep(ref prefetch, c, cursorEnd, rate);
            var rv0 = TRow.Load(ref r0, k);
            var rv1 = TRow.Load(ref r1, k);
            var rv2 = TRow.Load(ref r2, k);
            var rv3 = TRow.Load(ref r3, k);
            var qv = TOps.Load(ref q0, k);
            a00 = Step<TStep>(qv, rv0, a00);
            a01 = Step<TStep>(qv, rv1, a01);
            a02 = Step<TStep>(qv, rv2, a02);
            a03 = Step<TStep>(qv, rv3, a03);
            qv = TOps.Load(ref q1, k);
            a10 = Step<TStep>(qv, rv0, a10);
            a11 = Step<TStep>(qv, rv1, a11);
            a12 = Step<TStep>(qv, rv2, a12);
            a13 = Step<TStep>(qv, rv3, a13);
            qv = TOps.Load(ref q2, k);
            a20 = Step<TStep>(qv, rv0, a20);
            a21 = Step<TStep>(qv, rv1, a21);
            a22 = Step<TStep>(qv, rv2, a22);
            a23 = Step<TStep>(qv, rv3, a23);
            qv = TOps.Load(ref q3, k);
            a30 = Step<TStep>(qv, rv0, a30);
            a31 = Step<TStep>(qv, rv1, a31);
            a32 = Step<TStep>(qv, rv2, a32);
            a33 = Step<TStep>(qv, rv3, a33);
        }

        if (k < n)
        {
            var t = n - w;
            var mask = TOps.TailMask(n - k);
            var rv0 = TRow.Load(ref r0, t);
            var rv1 = TRow.Load(ref r1, t);
            var rv2 = TRow.Load(ref r2, t);
            var rv3 = TRow.Load(ref r3, t);
            var qv = TOps.Load(ref q0, t);
            a00 = MaskedStep<TStep>(qv, rv0, mask, a00);
            a01 = MaskedStep<TStep>(qv, rv1, mask, a01);
            a02 = MaskedStep<TStep>(qv, rv2, mask, a02);
            a03 = MaskedStep<TStep>(qv, rv3, mask, a03);
            qv = TOps.Load(ref q1, t);
            a10 = MaskedStep<TStep>(qv, rv0, mask, a10);
            a11 = MaskedStep<TStep>(qv, rv1, mask, a11);
            a12 = MaskedStep<TStep>(qv, rv2, mask, a12);
            a13 = MaskedStep<TStep>(qv, rv3, mask, a13);
            qv = TOps.Load(ref q2, t);
            a20 = MaskedStep<TStep>(qv, rv0, mask, a20);
            a21 = MaskedStep<TStep>(qv, rv1, mask, a21);
            a22 = MaskedStep<TStep>(qv, rv2, mask, a22);
            a23 = MaskedStep<TStep>(qv, rv3, mask, a23);
            qv = TOps.Load(ref q3, t);
            a30 = MaskedStep<TStep>(qv, rv0, mask, a30);
            a31 = MaskedStep<TStep>(qv, rv1, mask, a31);
            a32 = MaskedStep<TStep>(qv, rv2, mask, a32);
            a33 = MaskedStep<TStep>(qv, rv3, mask, a33);
        }

        ref var o = ref output;
        TOps.Sum4(a00, a01, a02, a03).StoreUnsafe(ref o);
        o = ref Unsafe.Add(ref o, stride);
        TOps.Sum4(a10, a11, a12, a13).StoreUnsafe(ref o);
        o = ref Unsafe.Add(ref o, stride);
        TOps.Sum4(a20, a21, a22, a23).StoreUnsafe(ref o);
        o = ref Unsafe.Add(ref o, stride);
        TOps.Sum4(a30, a31, a32, a33).StoreUnsafe(ref o);
        return c;
    }
}
