using System.Buffers;
using System.Numerics.Tensors;

namespace VectorShard.Core.Search.Kernels;

/// <summary>
/// A kernel that scores pair by pair with <typeparamref name="TDot"/> and <typeparamref name="TSquared"/>
/// (<see cref="ScalarKernel"/>, <see cref="TensorPrimitivesKernel"/>). Many queries go over rows in blocks, like
/// the hand-written kernels, so a block stays in cache while every query passes over it; without shared
/// registers, though, each pair is still scored on its own.
/// </summary>
public abstract class PairwiseKernel<TDot, TSquared> : VectorKernel
    where TDot : struct, IPairScore
    where TSquared : struct, IPairScore
{
    private const int RowBlockBytes = 128 * 1024;

    /// <inheritdoc/>
    public sealed override void DotRows(ReadOnlySpan<float> query, ReadOnlySpan<float> rows, int dimension, Span<float> results) =>
        Rows<TDot>(query, rows, dimension, results);

    /// <inheritdoc/>
    public sealed override void SquaredDistanceRows(ReadOnlySpan<float> query, ReadOnlySpan<float> rows, int dimension, Span<float> results) =>
        Rows<TSquared>(query, rows, dimension, results);

    /// <inheritdoc/>
    public sealed override void DotRowsManyHalf(ReadOnlySpan<float> queries, int queryCount, ReadOnlySpan<Half> rows, int dimension, Span<float> results) =>
        HalfMany<TDot>(queries, queryCount, rows, dimension, results);

    /// <inheritdoc/>
    public sealed override void SquaredDistanceRowsManyHalf(ReadOnlySpan<float> queries, int queryCount, ReadOnlySpan<Half> rows, int dimension, Span<float> results) =>
        HalfMany<TSquared>(queries, queryCount, rows, dimension, results);

    /// <inheritdoc/>
    public sealed override void DotRowsMany(ReadOnlySpan<float> queries, int queryCount, ReadOnlySpan<float> rows, int dimension, Span<float> results) =>
        Many<TDot>(queries, queryCount, rows, dimension, results);

    /// <inheritdoc/>
    public sealed override void SquaredDistanceRowsMany(ReadOnlySpan<float> queries, int queryCount, ReadOnlySpan<float> rows, int dimension, Span<float> results) =>
        Many<TSquared>(queries, queryCount, rows, dimension, results);

    /// <inheritdoc/>
    public sealed override void DotBlocks(ReadOnlySpan<float> queries, int queryCount, ReadOnlySpan<float> blocks, int dimension, Span<float> results) =>
        Blocks<TDot>(queries, queryCount, blocks, dimension, results);

    /// <inheritdoc/>
    public sealed override void SquaredDistanceBlocks(ReadOnlySpan<float> queries, int queryCount, ReadOnlySpan<float> blocks, int dimension, Span<float> results) =>
        Blocks<TSquared>(queries, queryCount, blocks, dimension, results);

    /// <inheritdoc/>
    public sealed override void DotBlocksHalf(ReadOnlySpan<float> queries, int queryCount, ReadOnlySpan<Half> blocks, int dimension, Span<float> results) =>
        HalfBlocks<TDot>(queries, queryCount, blocks, dimension, results);

    /// <inheritdoc/>
    public sealed override void SquaredDistanceBlocksHalf(ReadOnlySpan<float> queries, int queryCount, ReadOnlySpan<Half> blocks, int dimension, Span<float> results) =>
        HalfBlocks<TSquared>(queries, queryCount, blocks, dimension, results);

    private static void Rows<TScore>(ReadOnlySpan<float> query, ReadOnlySpan<float> rows, int dimension, Span<float> results)
        where TScore : struct, IPairScore
    {
        var rowCount = KernelArguments.Rows(query, rows, dimension, results);
        query = query[..dimension];
        for (var i = 0; i < rowCount; i++)
        {
            results[i] = TScore.Score(query, rows.Slice(i * dimension, dimension));
        }
    }

    // Each row converted to float (exactly) once, then scored against every query.
    private static void HalfMany<TScore>(ReadOnlySpan<float> queries, int queryCount, ReadOnlySpan<Half> rows, int dimension, Span<float> results)
        where TScore : struct, IPairScore
    {
        var rowCount = KernelArguments.Many(queries, queryCount, rows, dimension, results);
        var row = ArrayPool<float>.Shared.Rent(dimension);
        for (var i = 0; i < rowCount; i++)
        {
            TensorPrimitives.ConvertToSingle(rows.Slice(i * dimension, dimension), row.AsSpan(0, dimension));
            for (var q = 0; q < queryCount; q++)
            {
                results[q * rowCount + i] = TScore.Score(queries.Slice(q * dimension, dimension), row.AsSpan(0, dimension));
            }
        }

        ArrayPool<float>.Shared.Return(row);
    }

    private static void Many<TScore>(ReadOnlySpan<float> queries, int queryCount, ReadOnlySpan<float> rows, int dimension, Span<float> results)
        where TScore : struct, IPairScore
    {
        var rowCount = KernelArguments.Many(queries, queryCount, rows, dimension, results);
        var block = Math.Max(1, RowBlockBytes / (dimension * sizeof(float)));
        for (var start = 0; start < rowCount; start += block)
        {
            var end = Math.Min(rowCount, start + block);
            for (var q = 0; q < queryCount; q++)
            {
                var query = queries.Slice(q * dimension, dimension);
                var output = results.Slice(q * rowCount, rowCount);
                for (var i = start; i < end; i++)
                {
                    output[i] = TScore.Score(query, rows.Slice(i * dimension, dimension));
                }
            }
        }
    }

    // Each row gathered from its block, then scored against every query like any other row.
    private static void Blocks<TScore>(ReadOnlySpan<float> queries, int queryCount, ReadOnlySpan<float> blocks, int dimension, Span<float> results)
        where TScore : struct, IPairScore
    {
        var rowCount = KernelArguments.Blocks(queries, queryCount, blocks, dimension, results);
        var row = ArrayPool<float>.Shared.Rent(dimension);
        for (var i = 0; i < rowCount; i++)
        {
            BlockLayout.Read(blocks, i, row.AsSpan(0, dimension));
            for (var q = 0; q < queryCount; q++)
            {
                results[q * rowCount + i] = TScore.Score(queries.Slice(q * dimension, dimension), row.AsSpan(0, dimension));
            }
        }

        ArrayPool<float>.Shared.Return(row);
    }

    // The blocks converted to float (exactly, element by element, so the layout stays), then scored as float blocks.
    private static void HalfBlocks<TScore>(ReadOnlySpan<float> queries, int queryCount, ReadOnlySpan<Half> blocks, int dimension, Span<float> results)
        where TScore : struct, IPairScore
    {
        var floats = ArrayPool<float>.Shared.Rent(blocks.Length);
        TensorPrimitives.ConvertToSingle(blocks, floats.AsSpan(0, blocks.Length));
        Blocks<TScore>(queries, queryCount, floats.AsSpan(0, blocks.Length), dimension, results);
        ArrayPool<float>.Shared.Return(floats);
    }
}
