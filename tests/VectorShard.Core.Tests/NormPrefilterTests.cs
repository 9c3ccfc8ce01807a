using VectorShard.Core.Search;
using VectorShard.Core.Storage;
using Xunit;

namespace VectorShard.Core.Tests;

/// <summary>The norm prefilter: the planner's choice, the bound, and results unchanged where it prunes.</summary>
public sealed class NormPrefilterTests
{
    [Theory]
    [InlineData(DistanceMetric.L2)]
    [InlineData(DistanceMetric.Dot)]
    public void WideNorms_AreSortedAndPruned_WithoutChangingAnyResult(DistanceMetric metric)
    {
        var random = new Random(21);
        using var shard = Shard.Create(MemoryShard.NewPath(), new ShardOptions(32, metric));
        // Norms from 0.25 to 4 (RandomData scales), over many chunks.
        var stored = shard.Add(Enumerable.Range(0, 20_000).Select(_ => new VectorInput(null, RandomData.Vector(random, 32))).ToArray());
        var queries = Enumerable.Range(0, 12).Select(_ => RandomData.Vector(random, 32)).ToArray();

        foreach (var query in queries)
        {
            var found = shard.Search(query, new SearchOptions(10, MaxThreads: 1));
            var expected = Reference.Rank(metric, query, stored.Select(r => (r.Id, r.Vector))).Take(10).ToList();
            Assert.Equal(expected.Select(e => e.Id), found.Select(r => r.Id));
        }

        // Writes after the sort keep the chunk bounds safe.
        var late = shard.Add([new VectorInput("late", queries[0])]);
        if (metric == DistanceMetric.L2)
        {
            Assert.Equal("late", shard.Search(queries[0], new SearchOptions(1))[0].Key);
        }
        shard.Remove([late[0].Id, stored[5].Id]);
        var again = shard.Search(queries[1], new SearchOptions(10, MaxThreads: 1));
        var remaining = stored.Where(r => r.Id != stored[5].Id).Select(r => (r.Id, r.Vector));
        Assert.Equal(Reference.Rank(metric, queries[1], remaining).Take(10).Select(e => e.Id), again.Select(r => r.Id));
    }

    [Fact]
    public void Planner_UsesItForWideNorms_AndSkipsUnitVectorsAndCosine()
    {
        using var temp = new TempDirectory();
        var random = new Random(4);
        var wide = Enumerable.Range(0, 5000).Select(_ => RandomData.Vector(random, 64)).ToArray();
        var unit = wide.Select(v => v.Select(x => x / (float)Reference.Norm(v)).ToArray()).ToArray();

        var wideImage = LoadImage(temp.File("wide.vshard"), wide);
        var unitImage = LoadImage(temp.File("unit.vshard"), unit);

        Assert.True(NormPrefilter.Worthwhile(wideImage, DistanceMetric.L2));
        Assert.True(NormPrefilter.Worthwhile(wideImage, DistanceMetric.Dot));
        Assert.False(NormPrefilter.Worthwhile(wideImage, DistanceMetric.Cosine));
        Assert.True(unitImage.RelativeNormSpread() < 1e-4);
        Assert.False(NormPrefilter.Worthwhile(unitImage, DistanceMetric.L2));

        // Sorting puts each chunk in a narrow band of norms.
        wideImage.SortByNorm();
        Assert.True(wideImage.IsSortedByNorm);
        var ranges = Enumerable.Range(0, wideImage.ChunkCount).Select(wideImage.GetChunkNormRange).ToArray();
        Assert.All(ranges.Zip(ranges.Skip(1)), pair => Assert.True(pair.First.Max <= pair.Second.Min));
    }

    private static VectorImage LoadImage(string path, float[][] vectors)
    {
        using (var shard = Shard.Create(path, new ShardOptions(vectors[0].Length, DistanceMetric.L2)))
        {
            shard.Add(vectors.Select(v => new VectorInput(null, v)).ToArray());
        }

        using var connection = RawSqlite.Open(path);
        return VectorImage.Load(connection, vectors[0].Length);
    }

    [Theory]
    [InlineData(DistanceMetric.L2, 1f, 3f, 4f, 3.9f, true)]     // gap 2 → 4 > 3.9
    [InlineData(DistanceMetric.L2, 1f, 3f, 4f, 4.1f, false)]
    [InlineData(DistanceMetric.L2, 2f, 1f, 3f, 0.01f, false)]   // the query's norm is inside the range
    [InlineData(DistanceMetric.Dot, 2f, 1f, 3f, -6.5f, true)]   // −q·v ≥ −6 > −6.5
    [InlineData(DistanceMetric.Dot, 2f, 1f, 3f, -5.5f, false)]
    [InlineData(DistanceMetric.Cosine, 2f, 10f, 30f, 0f, false)]
    public void RulesOut_FollowsTheNormBound(DistanceMetric metric, float queryNorm, float min, float max, float bound, bool expected) =>
        Assert.Equal(expected, NormPrefilter.RulesOut(metric, queryNorm, min, max, bound));
}
