using System.Numerics.Tensors;

namespace VectorShard.Core.Search;

/// <summary>
/// The distance of a stored vector to a query, per metric, on TensorPrimitives (SIMD chosen by the
/// runtime). Cosine uses the stored norm, so each candidate costs one dot product.
/// </summary>
public static class DistanceFunction
{
    /// <summary>The distance under <paramref name="metric"/>; lower is nearer.</summary>
    public static float Compute(DistanceMetric metric, ReadOnlySpan<float> query, float queryNorm,
        ReadOnlySpan<float> vector, float vectorNorm) => metric switch
    {
        // Rounding can take an exact match a hair below zero; a distance never is.
        DistanceMetric.Cosine => MathF.Max(0f, 1f - TensorPrimitives.Dot(query, vector) / (queryNorm * vectorNorm)),
        DistanceMetric.L2 => TensorPrimitives.Distance(query, vector),
        // 0 − x rather than −x: an orthogonal pair is +0, not −0.
        DistanceMetric.Dot => 0f - TensorPrimitives.Dot(query, vector),
        _ => throw new ArgumentOutOfRangeException(nameof(metric), metric, null),
    };
}
