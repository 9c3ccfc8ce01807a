using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace VectorShard.Core.Search;

/// <summary>
/// Turns a block of kernel scores into top-k candidates. Almost every row of a scan loses to the current
/// k-th best, so the test runs on several scores per instruction against a threshold in score form; only
/// rows that pass it get their distance computed (<see cref="DistanceFunction.FromScore"/>) and offered to the
/// heap, which decides exactly as a row-by-row loop would. The threshold is slightly loose (never tight), so
/// it can only let through rows the heap then rejects.
/// </summary>
public static class ScoreCollector
{
    // Cosine's threshold is a cosine (|cos| ≤ 1): float rounding of score ÷ norm is far below this.
    private const float CosineSlack = 1e-5f;

    /// <summary>
    /// Offers every row whose distance is within <paramref name="limit"/> and the current k-th best of
    /// <paramref name="best"/>: scores[i] is the kernel's score for the row with norms[i] and ids[i].
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Collect(DistanceMetric metric, ReadOnlySpan<float> scores, float queryNorm, ReadOnlySpan<float> norms,
        ReadOnlySpan<long> ids, float limit, TopK best)
    {
        var bound = MathF.Min(limit, best.Bound);
        var i = 0;
        if (Vector128.IsHardwareAccelerated)
        {
            var threshold = Vector128.Create(Threshold(metric, bound, queryNorm));
            for (; i <= scores.Length - Vector128<float>.Count; i += Vector128<float>.Count)
            {
                var score = Vector128.Create(scores.Slice(i, Vector128<float>.Count));
                var passing = metric switch
                {
                    DistanceMetric.L2 => Vector128.LessThanOrEqual(score, threshold),
                    DistanceMetric.Dot => Vector128.GreaterThanOrEqual(score, threshold),
                    _ => Vector128.GreaterThanOrEqual(score / Vector128.Create(norms.Slice(i, Vector128<float>.Count)), threshold),
                };
                var lanes = passing.ExtractMostSignificantBits();
                if (lanes == 0)
                {
                    continue;
                }

                for (; lanes != 0; lanes &= lanes - 1)
                {
                    var row = i + BitOperations.TrailingZeroCount(lanes);
                    bound = Offer(metric, scores[row], queryNorm, norms[row], ids[row], limit, bound, best);
                }

                threshold = Vector128.Create(Threshold(metric, bound, queryNorm));
            }
        }

        for (; i < scores.Length; i++)
        {
            bound = Offer(metric, scores[i], queryNorm, norms[i], ids[i], limit, bound, best);
        }
    }

    private static float Offer(DistanceMetric metric, float score, float queryNorm, float norm, long id, float limit, float bound, TopK best)
    {
        var distance = DistanceFunction.FromScore(metric, score, queryNorm, norm);
        if (distance > bound)
        {
            return bound;
        }

        best.Add(id, distance);
        return MathF.Min(limit, best.Bound);
    }

    /// <summary>
    /// The bound in the form the vector test compares: L2 the squared distance itself; Dot the score (distance
    /// is −score); Cosine score ÷ ‖v‖ (distance is 1 − score ÷ (‖q‖‖v‖)), loosened by <see cref="CosineSlack"/>.
    /// </summary>
    private static float Threshold(DistanceMetric metric, float bound, float queryNorm) => metric switch
    {
        _ when float.IsPositiveInfinity(bound) => metric == DistanceMetric.L2 ? float.PositiveInfinity : float.NegativeInfinity,
        DistanceMetric.L2 => bound,
        DistanceMetric.Dot => -bound,
        _ => (1f - bound - CosineSlack) * queryNorm,
    };
}
