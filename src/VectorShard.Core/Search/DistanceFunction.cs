using System.Numerics.Tensors;

namespace VectorShard.Core.Search;

/// <summary>
/// Distances per metric, in the ranking form the scans compare: a kernel's score (a dot product, or a
/// squared Euclidean distance for L2) becomes a distance where lower is nearer. L2 ranks by the squared
/// distance and takes the root only of the k kept (<see cref="Finish"/>).
/// </summary>
public static class DistanceFunction
{
    /// <summary>The score a kernel computes for this metric: q·v, or ‖q − v‖² for L2.</summary>
    public static float Score(DistanceMetric metric, ReadOnlySpan<float> query, ReadOnlySpan<float> vector)
    {
        if (metric != DistanceMetric.L2)
        {
            return TensorPrimitives.Dot(query, vector);
        }

        var distance = TensorPrimitives.Distance(query, vector);
        return distance * distance;
    }

    /// <summary>The ranking distance for a score; lower is nearer.</summary>
    public static float FromScore(DistanceMetric metric, float score, float queryNorm, float vectorNorm) => metric switch
    {
        // Rounding can take an exact match a hair below zero; a distance never is.
        DistanceMetric.Cosine => MathF.Max(0f, 1f - score / (queryNorm * vectorNorm)),
        DistanceMetric.L2 => score,
        // 0 − x rather than −x: an orthogonal pair is +0, not −0.
        DistanceMetric.Dot => 0f - score,
        _ => throw new ArgumentOutOfRangeException(nameof(metric), metric, null),
    };

    /// <summary>A user's maximum distance in ranking form.</summary>
    public static float RankingLimit(DistanceMetric metric, float maxDistance) =>
        metric == DistanceMetric.L2 && maxDistance > 0 ? maxDistance * maxDistance : maxDistance;

    /// <summary>The kept neighbours nearest first, with L2 distances turned from squared into Euclidean.</summary>
    public static (long Id, float Distance)[] Finish(DistanceMetric metric, TopK best)
    {
        var sorted = best.ToSortedArray();
        if (metric == DistanceMetric.L2)
        {
            for (var i = 0; i < sorted.Length; i++)
            {
                sorted[i].Distance = MathF.Sqrt(sorted[i].Distance);
            }
        }

        return sorted;
    }
}
