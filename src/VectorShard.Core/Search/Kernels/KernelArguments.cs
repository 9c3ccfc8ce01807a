using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace VectorShard.Core.Search.Kernels;

/// <summary>
/// The argument checks every kernel shares. Rows define the row count (rows.Length must be a whole number of
/// rows); query, queries and results may be longer than needed (only the leading part is read or written).
/// Mistakes here are programming errors, so they throw ArgumentException rather than VectorShardException.
/// The throws live in separate methods so that the checks stay small enough to inline into the kernels.
/// </summary>
internal static class KernelArguments
{
    /// <summary>Checks a one-query call and returns the row count.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Rows<TRow>(ReadOnlySpan<float> query, ReadOnlySpan<TRow> rows, int dimension, Span<float> results)
    {
        var rowCount = RowCount(rows, dimension);
        if (query.Length < dimension)
        {
            QueryTooShort(query.Length, dimension);
        }

        if (results.Length < rowCount)
        {
            ResultsTooShort(results.Length, 1, rowCount);
        }

        return rowCount;
    }

    /// <summary>Checks a many-query call and returns the row count.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Many<TRow>(ReadOnlySpan<float> queries, int queryCount, ReadOnlySpan<TRow> rows, int dimension, Span<float> results)
    {
        var rowCount = RowCount(rows, dimension);
        if (queryCount < 0 || (long)queryCount * dimension > queries.Length)
        {
            QueriesTooShort(queries.Length, queryCount, dimension);
        }

        if ((long)queryCount * rowCount > results.Length)
        {
            ResultsTooShort(results.Length, queryCount, rowCount);
        }

        return rowCount;
    }

    /// <summary>Checks a call over block-transposed rows (<see cref="BlockLayout"/>) and returns the row count.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Blocks<TRow>(ReadOnlySpan<float> queries, int queryCount, ReadOnlySpan<TRow> blocks, int dimension, Span<float> results)
    {
        var rowCount = Many(queries, queryCount, blocks, dimension, results);
        if (rowCount % BlockLayout.Rows != 0)
        {
            PartialBlock(rowCount);
        }

        return rowCount;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int RowCount<TRow>(ReadOnlySpan<TRow> rows, int dimension)
    {
        if (dimension <= 0)
        {
            BadDimension(dimension);
        }

        var rowCount = rows.Length / dimension;
        if (rowCount * dimension != rows.Length)
        {
            RaggedRows(rows.Length, dimension);
        }

        return rowCount;
    }

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void BadDimension(int dimension) =>
        throw new ArgumentOutOfRangeException(nameof(dimension), dimension, "The dimension must be at least 1.");

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void RaggedRows(int length, int dimension) =>
        throw new ArgumentException($"The rows hold {length} values, not a whole number of {dimension}-component rows.", "rows");

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void PartialBlock(int rowCount) =>
        throw new ArgumentException($"The blocks hold {rowCount} rows, not a whole number of {BlockLayout.Rows}-row blocks.", "blocks");

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void QueryTooShort(int length, int dimension) =>
        throw new ArgumentException($"The query has {length} components, fewer than the dimension {dimension}.", "query");

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void QueriesTooShort(int length, int queryCount, int dimension) =>
        throw new ArgumentException(queryCount < 0
            ? $"The query count must not be negative, but was {queryCount}."
            : $"The queries hold {length} values, fewer than {queryCount} × {dimension}.", "queries");

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ResultsTooShort(int length, int queryCount, int rowCount) =>
        throw new ArgumentException($"The results hold {length} values, fewer than {queryCount} × {rowCount}.", "results");
}
