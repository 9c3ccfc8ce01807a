namespace VectorShard.Core.Search.Kernels;

/// <summary>
/// Plain loops, one float accumulator, no SIMD: the reference the other kernels are tested against, and the
/// fallback for dimensions narrower than a SIMD kernel's vector.
/// </summary>
internal sealed class ScalarKernel : VectorKernel
{
    /// <summary>The one instance (the kernel has no state).</summary>
    public static readonly ScalarKernel Instance = new();

    private ScalarKernel()
    {
    }

    /// <inheritdoc/>
    public override SimdBackend Backend => SimdBackend.Scalar;

    /// <inheritdoc/>
    public override void DotRows(ReadOnlySpan<float> query, ReadOnlySpan<float> rows, int dimension, Span<float> results)
    {
        var rowCount = KernelArguments.Rows(query, rows, dimension, results);
        for (var i = 0; i < rowCount; i++)
        {
            results[i] = Dot(query, rows.Slice(i * dimension, dimension));
        }
    }

    /// <inheritdoc/>
    public override void SquaredDistanceRows(ReadOnlySpan<float> query, ReadOnlySpan<float> rows, int dimension, Span<float> results)
    {
        var rowCount = KernelArguments.Rows(query, rows, dimension, results);
        for (var i = 0; i < rowCount; i++)
        {
            results[i] = SquaredDistance(query, rows.Slice(i * dimension, dimension));
        }
    }

    /// <inheritdoc/>
    public override void DotRowsMany(ReadOnlySpan<float> queries, int queryCount, ReadOnlySpan<float> rows, int dimension, Span<float> results)
    {
        var rowCount = KernelArguments.Many(queries, queryCount, rows, dimension, results);
        for (var q = 0; q < queryCount; q++)
        {
            var query = queries.Slice(q * dimension, dimension);
            for (var i = 0; i < rowCount; i++)
            {
                results[q * rowCount + i] = Dot(query, rows.Slice(i * dimension, dimension));
            }
        }
    }

    /// <inheritdoc/>
    public override void SquaredDistanceRowsMany(ReadOnlySpan<float> queries, int queryCount, ReadOnlySpan<float> rows, int dimension, Span<float> results)
    {
        var rowCount = KernelArguments.Many(queries, queryCount, rows, dimension, results);
        for (var q = 0; q < queryCount; q++)
        {
            var query = queries.Slice(q * dimension, dimension);
            for (var i = 0; i < rowCount; i++)
            {
                results[q * rowCount + i] = SquaredDistance(query, rows.Slice(i * dimension, dimension));
            }
        }
    }

    private static float Dot(ReadOnlySpan<float> x, ReadOnlySpan<float> y)
    {
        var sum = 0f;
        for (var k = 0; k < y.Length; k++)
        {
            sum += x[k] * y[k];
        }

        return sum;
    }

    private static float SquaredDistance(ReadOnlySpan<float> x, ReadOnlySpan<float> y)
    {
        var sum = 0f;
        for (var k = 0; k < y.Length; k++)
        {
            var d = x[k] - y[k];
            sum += d * d;
        }

        return sum;
    }
}
