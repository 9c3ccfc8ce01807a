namespace VectorShard.Core.Search.Kernels;

/// <summary>
/// Distance arithmetic over many rows per call, so that one virtual call covers many rows: rows stored one after the
/// other (row i at rows[i*dimension..]; the *Rows methods) or block-transposed (<see cref="BlockLayout"/>; the *Blocks
/// methods). One implementation per <see cref="SimdBackend"/>; <see cref="VectorKernels"/> picks the one for this CPU.
/// </summary>
public abstract class VectorKernel
{
    /// <summary>The instruction set this kernel uses.</summary>
    public abstract SimdBackend Backend { get; }

    /// <summary>results[i] = query · rows[i] for every row in <paramref name="rows"/>.</summary>
    public abstract void DotRows(ReadOnlySpan<float> query, ReadOnlySpan<float> rows, int dimension, Span<float> results);

    /// <summary>results[i] = ‖query − rows[i]‖² for every row in <paramref name="rows"/>.</summary>
    public abstract void SquaredDistanceRows(ReadOnlySpan<float> query, ReadOnlySpan<float> rows, int dimension, Span<float> results);

    /// <summary>
    /// Many queries against many rows at once, reusing each row while it is in registers:
    /// results[q * rowCount + i] = queries[q] · rows[i], with queries stored contiguously like rows.
    /// </summary>
    public abstract void DotRowsMany(ReadOnlySpan<float> queries, int queryCount, ReadOnlySpan<float> rows, int dimension, Span<float> results);

    /// <summary>The squared-distance counterpart of <see cref="DotRowsMany"/>.</summary>
    public abstract void SquaredDistanceRowsMany(ReadOnlySpan<float> queries, int queryCount, ReadOnlySpan<float> rows, int dimension, Span<float> results);

    /// <summary>
    /// <see cref="DotRowsMany"/> over rows of IEEE halves (a Float16 shard's), widened to float as they are read:
    /// the scan reads half the bytes, with no converted copy in memory.
    /// </summary>
    public abstract void DotRowsManyHalf(ReadOnlySpan<float> queries, int queryCount, ReadOnlySpan<Half> rows, int dimension, Span<float> results);

    /// <summary>The Float16-row counterpart of <see cref="SquaredDistanceRowsMany"/>.</summary>
    public abstract void SquaredDistanceRowsManyHalf(ReadOnlySpan<float> queries, int queryCount, ReadOnlySpan<Half> rows, int dimension, Span<float> results);

    /// <summary>
    /// Many queries (one or more) against rows in the block-transposed layout (<see cref="BlockLayout"/>):
    /// results[q * rowCount + i] = queries[q] · row i, where rowCount = blocks.Length ÷ dimension, a whole number of
    /// blocks. Every lane sums its row's products in component order, whatever the query count, so a row's score has
    /// the same bits in a single search, in a batch and when rescored on its own block.
    /// </summary>
    public abstract void DotBlocks(ReadOnlySpan<float> queries, int queryCount, ReadOnlySpan<float> blocks, int dimension, Span<float> results);

    /// <summary>The squared-distance counterpart of <see cref="DotBlocks"/>.</summary>
    public abstract void SquaredDistanceBlocks(ReadOnlySpan<float> queries, int queryCount, ReadOnlySpan<float> blocks, int dimension, Span<float> results);

    /// <summary>
    /// <see cref="DotBlocks"/> over block-transposed IEEE halves (a Float16 shard's), widened to float as they are
    /// read. Each lane adds its row's products in component order, as <see cref="DotBlocks"/> does.
    /// </summary>
    public abstract void DotBlocksHalf(ReadOnlySpan<float> queries, int queryCount, ReadOnlySpan<Half> blocks, int dimension, Span<float> results);

    /// <summary>The Float16 counterpart of <see cref="SquaredDistanceBlocks"/>.</summary>
    public abstract void SquaredDistanceBlocksHalf(ReadOnlySpan<float> queries, int queryCount, ReadOnlySpan<Half> blocks, int dimension, Span<float> results);
}
