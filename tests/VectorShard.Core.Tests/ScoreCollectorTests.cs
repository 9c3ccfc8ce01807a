using VectorShard.Core.Search;

namespace VectorShard.Core.Tests;

/// <summary>
/// The vectorized collection of scores into a top-k (and the merge of split scans' partial results) against
/// the plain row-by-row loop it replaces: the same neighbours, the same distances, whatever the ties.
/// </summary>
public sealed class ScoreCollectorTests
{
    public static TheoryData<DistanceMetric, int, bool> Cases()
    {
        var data = new TheoryData<DistanceMetric, int, bool>();
        foreach (var metric in Enum.GetValues<DistanceMetric>())
        {
            foreach (var rows in (int[])[0, 1, 3, 4, 5, 17, 1000])
            {
                data.Add(metric, rows, true);
                data.Add(metric, rows, false);
            }
        }

        return data;
    }

    // What the scans did before: each row's distance computed and offered when within the limit and the k-th best.
    private static (long Id, float Distance)[] RowByRow(DistanceMetric metric, float[] scores, float queryNorm, float[] norms, long[] ids,
        float limit, int k)
    {
        var best = new TopK(k);
        for (var i = 0; i < scores.Length; i++)
        {
            var distance = DistanceFunction.FromScore(metric, scores[i], queryNorm, norms[i]);
            if (distance <= limit && distance <= best.Bound)
            {
                best.Add(ids[i], distance);
            }
        }

        return best.ToSortedArray();
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Collect_KeepsWhatTheRowByRowLoopKeeps(DistanceMetric metric, int rows, bool manyTies)
    {
        var random = new Random(rows * 7 + (int)metric + (manyTies ? 1000 : 0));
        // Ties: scores drawn from a few values, so that the k-th best is shared by many rows and ids decide.
        float[] pool = [0.25f, 0.5f, 0.5f, 0.75f, -0.5f, 1f];
        var scores = Enumerable.Range(0, rows).Select(_ => manyTies ? pool[random.Next(pool.Length)] : (float)(random.NextDouble() * 4 - 2)).ToArray();
        var norms = Enumerable.Range(0, rows).Select(_ => manyTies ? 1f : (float)(0.5 + random.NextDouble())).ToArray();
        var ids = Enumerable.Range(0, rows).Select(i => (long)(rows - i)).ToArray();
        const float queryNorm = 1.25f;

        foreach (var k in (int[])[1, 3, 10])
        {
            foreach (var limit in (float[])[float.PositiveInfinity, 0.5f])
            {
                var collected = new TopK(k);
                ScoreCollector.Collect(metric, scores, queryNorm, norms, ids, limit, collected);

                Assert.Equal(RowByRow(metric, scores, queryNorm, norms, ids, limit, k), collected.ToSortedArray());
            }
        }
    }

    [Fact]
    public void Collect_InSeveralBlocks_EqualsOneBlock()
    {
        // The scans call it block by block against the same top-k: the threshold carried between calls must not lose rows.
        var random = new Random(5);
        var scores = Enumerable.Range(0, 999).Select(_ => (float)random.NextDouble()).ToArray();
        var norms = Enumerable.Range(0, 999).Select(_ => (float)(0.9 + random.NextDouble() * 0.2)).ToArray();
        var ids = Enumerable.Range(1, 999).Select(i => (long)i).ToArray();

        var whole = new TopK(10);
        ScoreCollector.Collect(DistanceMetric.Cosine, scores, 1f, norms, ids, float.PositiveInfinity, whole);
        var blocks = new TopK(10);
        for (var start = 0; start < scores.Length; start += 37)
        {
            var length = Math.Min(37, scores.Length - start);
            ScoreCollector.Collect(DistanceMetric.Cosine, scores.AsSpan(start, length), 1f, norms.AsSpan(start, length), ids.AsSpan(start, length),
                float.PositiveInfinity, blocks);
        }

        Assert.Equal(whole.ToSortedArray(), blocks.ToSortedArray());
    }

    [Fact]
    public void Merge_OfPartialResults_EqualsOneTopKOverEverything()
    {
        var random = new Random(9);
        var items = Enumerable.Range(1, 500).Select(i => ((long)i, (float)random.Next(50))).ToArray();
        var everything = new TopK(12);
        var left = new TopK(12);
        var right = new TopK(12);
        foreach (var (id, distance) in items)
        {
            everything.Add(id, distance);
            (id % 2 == 0 ? left : right).Add(id, distance);
        }

        left.Merge(right);

        Assert.Equal(everything.ToSortedArray(), left.ToSortedArray());
    }
}
