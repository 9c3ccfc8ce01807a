using System.Numerics.Tensors;

namespace VectorShard.Core.Search.Kernels;

/// <summary>
/// The library baseline: one System.Numerics.Tensors.TensorPrimitives call per (query, row) pair. The library picks
/// its own instruction set (the widest the runtime accelerates), so <see cref="Backend"/> reports the best backend
/// this CPU supports. Squared distance is Distance² (the library has no squared distance; the square root and
/// the square cost two roundings). The many-query methods block rows like the hand-written kernels do
/// (a block stays in cache while every query passes over it) but cannot share registers between queries.
/// Kept for the kernel benchmark and as a cross-check in the tests.
/// </summary>
public sealed class TensorPrimitivesKernel : VectorKernel
{
    /// <summary>The one instance (the kernel has no state).</summary>
    public static readonly TensorPrimitivesKernel Instance = new();

    private const int RowBlockBytes = 128 * 1024;

    private TensorPrimitivesKernel()
    {
    }

    /// <inheritdoc/>
    public override SimdBackend Backend => VectorKernels.Best;

    /// <inheritdoc/>
    public override void DotRows(ReadOnlySpan<float> query, ReadOnlySpan<float> rows, int dimension, Span<float> results)
    {
        var rowCount = KernelArguments.Rows(query, rows, dimension, results);
        query = query[..dimension];
        for (var i = 0; i < rowCount; i++)
        {
            results[i] = TensorPrimitives.Dot(query, rows.Slice(i * dimension, dimension));
        }
    }

    /// <inheritdoc/>
    public override void SquaredDistanceRows(ReadOnlySpan<float> query, ReadOnlySpan<float> rows, int dimension, Span<float> results)
    {
        var rowCount = KernelArguments.Rows(query, rows, dimension, results);
        query = query[..dimension];
        for (var i = 0; i < rowCount; i++)
        {
            var distance = TensorPrimitives.Distance(query, rows.Slice(i * dimension, dimension));
            results[i] = distance * distance;
        }
    }

    /// <inheritdoc/>
    public override void DotRowsMany(ReadOnlySpan<float> queries, int queryCount, ReadOnlySpan<float> rows, int dimension, Span<float> results)
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
                    output[i] = TensorPrimitives.Dot(query, rows.Slice(i * dimension, dimension));
                }
            }
        }
    }

    /// <inheritdoc/>
    public override void SquaredDistanceRowsMany(ReadOnlySpan<float> queries, int queryCount, ReadOnlySpan<float> rows, int dimension, Span<float> results)
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
                    var distance = TensorPrimitives.Distance(query, rows.Slice(i * dimension, dimension));
                    output[i] = distance * distance;
                }
            }
        }
    }
}
