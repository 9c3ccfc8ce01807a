namespace VectorShard.Core.Search;

/// <summary>
/// The norm prefilter: ‖q‖ and a chunk's norm range bound the distance of every row in it from below
/// (L2: |‖q‖ − ‖v‖| ≤ ‖q − v‖; Dot: q·v ≤ ‖q‖‖v‖), so a chunk whose bound is already worse than the k-th
/// best is skipped whole. The bound is exact, so results never change. It needs the image sorted by norm
/// and a wide spread of norms: embedding models emit unit vectors (spread ≈ 0), where nothing can be
/// pruned, so the planner leaves such shards, and every cosine shard, alone.
/// </summary>
public static class NormPrefilter
{
    /// <summary>The spread of norms (relative to the largest) below which the prefilter is not worth its sort.</summary>
    public const float MinRelativeSpread = 0.05f;

    /// <summary>Whether to sort <paramref name="image"/> by norm and prune by norm bounds for <paramref name="metric"/>.</summary>
    public static bool Worthwhile(VectorImage image, DistanceMetric metric) =>
        metric != DistanceMetric.Cosine && image.ChunkCount > 1 && image.RelativeNormSpread() >= MinRelativeSpread;

    /// <summary>
    /// Whether no row of a chunk with norms in [<paramref name="minNorm"/>, <paramref name="maxNorm"/>] can
    /// come within <paramref name="bound"/> (a ranking distance) of a query of norm <paramref name="queryNorm"/>.
    /// A little slack keeps float rounding in the kernels from ever pruning a row that belongs.
    /// </summary>
    public static bool RulesOut(DistanceMetric metric, float queryNorm, float minNorm, float maxNorm, float bound)
    {
        if (float.IsPositiveInfinity(bound) || minNorm > maxNorm)
        {
            return false;
        }

        if (metric == DistanceMetric.L2)
        {
            var gap = MathF.Max(0f, MathF.Max(minNorm - queryNorm, queryNorm - maxNorm));
            return gap * gap - bound > 1e-5f * (queryNorm * queryNorm + maxNorm * maxNorm);
        }

        // Dot ranks by −q·v ≥ −‖q‖·max‖v‖.
        return metric == DistanceMetric.Dot && -queryNorm * maxNorm - bound > 1e-5f * queryNorm * maxNorm;
    }

    /// <summary>
    /// The range of norms a row needs to come within <paramref name="maxDistance"/> of a query of norm
    /// <paramref name="queryNorm"/>, for SQL (the norm index): L2 [‖q‖ − t, ‖q‖ + t]; Dot with t &lt; 0,
    /// ‖v‖ ≥ −t / ‖q‖. Null bounds where there is none (cosine, no threshold). Widened a little so that float
    /// rounding never excludes a row the scan would keep.
    /// </summary>
    public static (double? Min, double? Max) NormRange(DistanceMetric metric, float queryNorm, float maxDistance)
    {
        if (!float.IsFinite(maxDistance))
        {
            return (null, null);
        }

        double q = queryNorm, t = maxDistance;
        if (metric == DistanceMetric.L2 && t >= 0)
        {
            var slack = 1e-3 * (q + t) + 1e-6;
            return (q - t - slack > 0 ? q - t - slack : null, q + t + slack);
        }

        return metric == DistanceMetric.Dot && t < 0 ? (-t / q * (1 - 1e-3), null) : (null, null);
    }
}
