using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace VectorShard.Core.Search.Kernels;

/// <summary>
/// The kernels over block-transposed rows (<see cref="BlockLayout"/>), float32 or Float16 (widened as loaded, like the
/// row kernels' <see cref="HalfRowReader{TOps, TVec}"/>). Component d of a block's 16 rows is <see cref="VectorsPerBlock"/>
/// vectors at d × 16 elements from the block's start (one with AVX-512, two with AVX2, four with SSE/NEON). Each
/// accumulator lane belongs to one (query, row) pair and adds that row's products in component order, so every path
/// below gives a row the same bits.
/// <list type="bullet">
/// <item>Blocks are read one after the other, each from start to end: a purely sequential stream. Walking four blocks
/// side by side (four accumulators for one query) read memory at half the speed (272,000 × 96 from memory: 5.9–8.4 ms
/// against 3.7–3.8 ms one block at a time), and one accumulator per vector is enough: out-of-order execution overlaps
/// the dependency chains of consecutive blocks.</item>
/// <item>Many queries: blocks in cache-sized runs; over each block, <see cref="QueriesPerCall"/> queries at a time meet
/// all its vectors with eight accumulators (within the 16 registers of SSE and AVX2). Leftover queries are padded
/// to a full group.</item>
/// </list>
/// </summary>
internal abstract partial class SimdKernel<TOps, TVec>
{
    /// <summary>Vectors per component of a block: 16 rows ÷ Width.</summary>
    private static int VectorsPerBlock
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => BlockLayout.Rows / TOps.Width;
    }

    /// <summary>Queries per many-query call: eight accumulators, one per (query, vector of the block).</summary>
    private static int QueriesPerCall
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => 8 / VectorsPerBlock;
    }

    /// <inheritdoc/>
    public sealed override void DotBlocks(ReadOnlySpan<float> queries, int queryCount, ReadOnlySpan<float> blocks, int dimension, Span<float> results) =>
        FloatBlocks<DotStep>(queries, queryCount, blocks, dimension, results);

    /// <inheritdoc/>
    public sealed override void SquaredDistanceBlocks(ReadOnlySpan<float> queries, int queryCount, ReadOnlySpan<float> blocks, int dimension, Span<float> results) =>
        FloatBlocks<SquaredStep>(queries, queryCount, blocks, dimension, results);

    /// <inheritdoc/>
    public sealed override void DotBlocksHalf(ReadOnlySpan<float> queries, int queryCount, ReadOnlySpan<Half> blocks, int dimension, Span<float> results) =>
        HalfBlocks<DotStep>(queries, queryCount, blocks, dimension, results);

    /// <inheritdoc/>
    public sealed override void SquaredDistanceBlocksHalf(ReadOnlySpan<float> queries, int queryCount, ReadOnlySpan<Half> blocks, int dimension, Span<float> results) =>
        HalfBlocks<SquaredStep>(queries, queryCount, blocks, dimension, results);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void FloatBlocks<TStep>(ReadOnlySpan<float> queries, int queryCount, ReadOnlySpan<float> blocks, int dimension, Span<float> results)
        where TStep : struct, IKernelStep
    {
        var rowCount = KernelArguments.Blocks(queries, queryCount, blocks, dimension, results);
        Blocks<TStep, FloatRowReader<TOps, TVec>, float>(queries, queryCount, ref MemoryMarshal.GetReference(blocks), rowCount, dimension, results);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void HalfBlocks<TStep>(ReadOnlySpan<float> queries, int queryCount, ReadOnlySpan<Half> blocks, int dimension, Span<float> results)
        where TStep : struct, IKernelStep
    {
        var rowCount = KernelArguments.Blocks(queries, queryCount, blocks, dimension, results);
        Blocks<TStep, HalfRowReader<TOps, TVec>, ushort>(queries, queryCount,
            ref Unsafe.As<Half, ushort>(ref MemoryMarshal.GetReference(blocks)), rowCount, dimension, results);
    }

    /// <summary>The block path over rows of either format (see the class remarks); the arguments are checked.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Blocks<TStep, TRow, TElement>(ReadOnlySpan<float> queries, int queryCount, ref TElement block0, int rowCount,
        int dimension, Span<float> results)
        where TStep : struct, IKernelStep
        where TRow : struct, IRowReader<TElement, TVec>
    {
        ref var query0 = ref MemoryMarshal.GetReference(queries);
        ref var result0 = ref MemoryMarshal.GetReference(results);
        var blockCount = rowCount / BlockLayout.Rows;
        var blockFloats = BlockLayout.Rows * dimension;

        // Leftover queries of a batch (fewer than QueriesPerCall) are padded to a full group with copies of the last
        // one: a block scores as fast for them all as for one alone, whose single dependency chain per vector is what
        // bounds it in cache. Their 16 scores per block go to scratch first, then to the results.
        var leftovers = queryCount > 1 ? queryCount % QueriesPerCall : 0;
        var padded = leftovers > 0 ? ArrayPool<float>.Shared.Rent(QueriesPerCall * dimension) : null;
        if (padded is not null)
        {
            for (var j = 0; j < QueriesPerCall; j++)
            {
                queries.Slice((queryCount - leftovers + Math.Min(j, leftovers - 1)) * dimension, dimension).CopyTo(padded.AsSpan(j * dimension));
            }
        }

        Span<float> scratch = stackalloc float[8 * BlockLayout.Rows];

        // Runs of blocks that stay in L2 while every query passes over them (one query: one run of everything).
        var run = queryCount == 1 ? blockCount : Math.Max(1, RowBlockBytes / (blockFloats * Unsafe.SizeOf<TElement>()));
        for (var start = 0; start < blockCount; start += run)
        {
            var end = Math.Min(blockCount, start + run);
            var q = 0;
            for (; q + QueriesPerCall <= queryCount; q += QueriesPerCall)
            {
                ref var queryGroup = ref Unsafe.Add(ref query0, (nint)q * dimension);
                ref var output = ref Unsafe.Add(ref result0, (nint)q * rowCount);
                for (var b = start; b < end; b++)
                {
                    // The first group fetches the next run into cache as it goes: the same block one run on.
                    var next = q == 0 && b + run < blockCount ? b + run : -1;
                    ManyQueryBlock<TStep, TRow, TElement>(ref queryGroup, dimension, ref Unsafe.Add(ref block0, (nint)b * blockFloats),
                        ref Unsafe.Add(ref output, (nint)b * BlockLayout.Rows), rowCount, ref Unsafe.Add(ref block0, (nint)Math.Max(next, b) * blockFloats), next >= 0);
                }
            }

            if (padded is not null)
            {
                for (var b = start; b < end; b++)
                {
                    ManyQueryBlock<TStep, TRow, TElement>(ref padded[0], dimension, ref Unsafe.Add(ref block0, (nint)b * blockFloats),
                        ref MemoryMarshal.GetReference(scratch), BlockLayout.Rows, ref block0, prefetch: false);
                    for (var j = 0; j < leftovers; j++)
                    {
                        scratch.Slice(j * BlockLayout.Rows, BlockLayout.Rows).CopyTo(results.Slice((q + j) * rowCount + b * BlockLayout.Rows));
                    }
                }
            }
            else if (q < queryCount)
            {
                ref var output = ref Unsafe.Add(ref result0, (nint)q * rowCount);
                for (var b = start; b < end; b++)
                {
                    OneQueryBlock<TStep, TRow, TElement>(ref query0, dimension, ref Unsafe.Add(ref block0, (nint)b * blockFloats),
                        ref Unsafe.Add(ref output, (nint)b * BlockLayout.Rows));
                }
            }
        }

        if (padded is not null)
        {
            ArrayPool<float>.Shared.Return(padded);
        }
    }

    /// <summary>One query against one block, one accumulator per vector of the block; 16 scores to <paramref name="output"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void OneQueryBlock<TStep, TRow, TElement>(ref float query, int dimension, ref TElement block, ref float output)
        where TStep : struct, IKernelStep
        where TRow : struct, IRowReader<TElement, TVec>
    {
        var w = (nuint)TOps.Width;
        TVec a0 = TOps.Zero, a1 = TOps.Zero, a2 = TOps.Zero, a3 = TOps.Zero;
        nuint at = 0;
        for (var d = 0; d < dimension; d++, at += BlockLayout.Rows)
        {
            var x = TOps.Broadcast(Unsafe.Add(ref query, d));
            a0 = Step<TStep>(x, TRow.Load(ref block, at), a0);
            if (VectorsPerBlock > 1)
            {
                a1 = Step<TStep>(x, TRow.Load(ref block, at + w), a1);
            }

            if (VectorsPerBlock > 2)
            {
                a2 = Step<TStep>(x, TRow.Load(ref block, at + 2 * w), a2);
                a3 = Step<TStep>(x, TRow.Load(ref block, at + 3 * w), a3);
            }
        }

        StoreBlock(a0, a1, a2, a3, ref output);
    }

    /// <summary>
    /// <see cref="QueriesPerCall"/> queries (stored one after the other from <paramref name="queries"/>) against one
    /// block: accumulator p is query p ÷ VectorsPerBlock against vector p mod VectorsPerBlock. Query j's 16 scores go
    /// to output[j × rowCount ..]. With <paramref name="prefetch"/>, one cache line of <paramref name="next"/> (a block
    /// of the same size) is prefetched per component, so the whole of it by the end.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ManyQueryBlock<TStep, TRow, TElement>(ref float queries, int dimension, ref TElement block, ref float output, int rowCount,
        ref TElement next, bool prefetch)
        where TStep : struct, IKernelStep
        where TRow : struct, IRowReader<TElement, TVec>
    {
        var w = (nuint)TOps.Width;
        var v = VectorsPerBlock;
        TVec a0 = TOps.Zero, a1 = TOps.Zero, a2 = TOps.Zero, a3 = TOps.Zero;
        TVec a4 = TOps.Zero, a5 = TOps.Zero, a6 = TOps.Zero, a7 = TOps.Zero;
        nuint at = 0;
        for (var d = 0; d < dimension; d++, at += BlockLayout.Rows)
        {
            if (prefetch)
            {
                TOps.Prefetch(ref Unsafe.As<TElement, float>(ref Unsafe.Add(ref next, at)));
            }

            var r0 = TRow.Load(ref block, at);
            var r1 = v > 1 ? TRow.Load(ref block, at + w) : r0;
            var r2 = v > 2 ? TRow.Load(ref block, at + 2 * w) : r0;
            var r3 = v > 2 ? TRow.Load(ref block, at + 3 * w) : r0;
            a0 = Step<TStep>(QueryComponent(ref queries, 0 / v, dimension, d), Pick(0 % v, r0, r1, r2, r3), a0);
            a1 = Step<TStep>(QueryComponent(ref queries, 1 / v, dimension, d), Pick(1 % v, r0, r1, r2, r3), a1);
            a2 = Step<TStep>(QueryComponent(ref queries, 2 / v, dimension, d), Pick(2 % v, r0, r1, r2, r3), a2);
            a3 = Step<TStep>(QueryComponent(ref queries, 3 / v, dimension, d), Pick(3 % v, r0, r1, r2, r3), a3);
            a4 = Step<TStep>(QueryComponent(ref queries, 4 / v, dimension, d), Pick(4 % v, r0, r1, r2, r3), a4);
            a5 = Step<TStep>(QueryComponent(ref queries, 5 / v, dimension, d), Pick(5 % v, r0, r1, r2, r3), a5);
            a6 = Step<TStep>(QueryComponent(ref queries, 6 / v, dimension, d), Pick(6 % v, r0, r1, r2, r3), a6);
            a7 = Step<TStep>(QueryComponent(ref queries, 7 / v, dimension, d), Pick(7 % v, r0, r1, r2, r3), a7);
        }

        // Accumulators in (query, vector) order: a query's vectors are consecutive, and so are its 16 rows.
        if (v == 1)
        {
            for (var j = 0; j < 8; j++)
            {
                TOps.Store(Pick8(j, a0, a1, a2, a3, a4, a5, a6, a7), ref Unsafe.Add(ref output, (nint)j * rowCount));
            }
        }
        else if (v == 2)
        {
            StoreBlock(a0, a1, a0, a0, ref output);
            StoreBlock(a2, a3, a0, a0, ref Unsafe.Add(ref output, rowCount));
            StoreBlock(a4, a5, a0, a0, ref Unsafe.Add(ref output, 2 * (nint)rowCount));
            StoreBlock(a6, a7, a0, a0, ref Unsafe.Add(ref output, 3 * (nint)rowCount));
        }
        else
        {
            StoreBlock(a0, a1, a2, a3, ref output);
            StoreBlock(a4, a5, a6, a7, ref Unsafe.Add(ref output, rowCount));
        }
    }

    /// <summary>Component d of query j (of queries stored one after the other), in every lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TVec QueryComponent(ref float queries, int j, int dimension, int d) =>
        TOps.Broadcast(Unsafe.Add(ref queries, (nint)j * dimension + d));

    /// <summary>The first <see cref="VectorsPerBlock"/> of the four vectors, stored as one block's 16 scores.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreBlock(TVec s0, TVec s1, TVec s2, TVec s3, ref float output)
    {
        TOps.Store(s0, ref output);
        if (VectorsPerBlock > 1)
        {
            TOps.Store(s1, ref Unsafe.Add(ref output, TOps.Width));
        }

        if (VectorsPerBlock > 2)
        {
            TOps.Store(s2, ref Unsafe.Add(ref output, 2 * TOps.Width));
            TOps.Store(s3, ref Unsafe.Add(ref output, 3 * TOps.Width));
        }
    }

    // Selection by an index the JIT knows (the callers pass constants), so it folds to a register.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TVec Pick(int i, TVec r0, TVec r1, TVec r2, TVec r3) => i switch { 0 => r0, 1 => r1, 2 => r2, _ => r3 };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TVec Pick8(int i, TVec a0, TVec a1, TVec a2, TVec a3, TVec a4, TVec a5, TVec a6, TVec a7) =>
        i < 4 ? Pick(i, a0, a1, a2, a3) : Pick(i - 4, a4, a5, a6, a7);
}
