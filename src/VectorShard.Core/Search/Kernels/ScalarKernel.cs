namespace VectorShard.Core.Search.Kernels;

/// <summary>
/// Plain loops, one float accumulator, no SIMD: the reference the other kernels are tested against, and the
/// fallback for dimensions narrower than a SIMD kernel's vector.
/// </summary>
internal sealed class ScalarKernel : PairwiseKernel<ScalarKernel.DotScore, ScalarKernel.SquaredDistanceScore>
{
    /// <summary>The one instance (the kernel has no state).</summary>
    public static readonly ScalarKernel Instance = new();

    private ScalarKernel()
    {
    }

    /// <inheritdoc/>
    public override SimdBackend Backend => SimdBackend.Scalar;

    /// <summary>q · r.</summary>
    public readonly struct DotScore : IPairScore
    {
        /// <inheritdoc/>
        public static float Score(ReadOnlySpan<float> query, ReadOnlySpan<float> row)
        {
            var sum = 0f;
            for (var k = 0; k < row.Length; k++)
            {
                sum += query[k] * row[k];
            }

            return sum;
        }
    }

    /// <summary>‖q − r‖².</summary>
    public readonly struct SquaredDistanceScore : IPairScore
    {
        /// <inheritdoc/>
        public static float Score(ReadOnlySpan<float> query, ReadOnlySpan<float> row)
        {
            var sum = 0f;
            for (var k = 0; k < row.Length; k++)
            {
                var d = query[k] - row[k];
                sum += d * d;
            }

            return sum;
        }
    }
}
