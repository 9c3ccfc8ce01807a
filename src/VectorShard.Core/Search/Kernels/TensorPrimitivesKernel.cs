using System.Numerics.Tensors;

namespace VectorShard.Core.Search.Kernels;

/// <summary>
/// The library baseline: one System.Numerics.Tensors.TensorPrimitives call per (query, row) pair. The library picks
/// its own instruction set (the widest the runtime accelerates), so <see cref="Backend"/> reports the best backend
/// this CPU supports. Squared distance is Distance² (the library has no squared distance; the square root and
/// the square cost two roundings). The many-query methods block rows like the hand-written kernels do
/// (<see cref="PairwiseKernel{TDot, TSquared}"/>) but cannot share registers between queries.
/// Kept for the kernel benchmark and as a cross-check in the tests.
/// </summary>
public sealed class TensorPrimitivesKernel : PairwiseKernel<TensorPrimitivesKernel.DotScore, TensorPrimitivesKernel.SquaredDistanceScore>
{
    /// <summary>The one instance (the kernel has no state).</summary>
    public static readonly TensorPrimitivesKernel Instance = new();

    private TensorPrimitivesKernel()
    {
    }

    /// <inheritdoc/>
    public override SimdBackend Backend => VectorKernels.Best;

    /// <summary>q · r.</summary>
    public readonly struct DotScore : IPairScore
    {
        /// <inheritdoc/>
        public static float Score(ReadOnlySpan<float> query, ReadOnlySpan<float> row) => TensorPrimitives.Dot(query, row);
    }

    /// <summary>‖q − r‖².</summary>
    public readonly struct SquaredDistanceScore : IPairScore
    {
        /// <inheritdoc/>
        public static float Score(ReadOnlySpan<float> query, ReadOnlySpan<float> row)
        {
            var distance = TensorPrimitives.Distance(query, row);
            return distance * distance;
        }
    }
}
