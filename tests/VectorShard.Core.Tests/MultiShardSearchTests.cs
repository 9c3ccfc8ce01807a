using VectorShard.Core.Search;
using VectorShard.Core.Storage;
using Xunit;

namespace VectorShard.Core.Tests;

/// <summary>Search across several shards: one global top-k, equal to searching their union.</summary>
public sealed class MultiShardSearchTests
{
    [Theory]
    [InlineData(DistanceMetric.Cosine)]
    [InlineData(DistanceMetric.L2)]
    [InlineData(DistanceMetric.Dot)]
    public void SearchMany_AcrossShards_EqualsTheReferenceOverTheirUnion(DistanceMetric metric)
    {
        var random = new Random(11);
        var shards = Enumerable.Range(0, 3).Select(_ => Shard.Create(MemoryShard.NewPath(), new ShardOptions(24, metric))).ToArray();
        try
        {
            var stored = shards.SelectMany(shard => shard.Add(Enumerable.Range(0, 400)
                .Select(i => new VectorInput(null, RandomData.Vector(random, 24))).ToArray())).ToArray();
            var queries = Enumerable.Range(0, 5).Select(_ => RandomData.Vector(random, 24)).ToArray();

            var results = MultiShardSearch.SearchMany(shards, queries, new SearchOptions(10));

            for (var q = 0; q < queries.Length; q++)
            {
                var expected = stored.Select(r => (r.ShardPath, r.Id, Distance: Reference.Distance(metric, queries[q], r.Vector)))
                    .OrderBy(r => r.Distance).Take(10).ToArray();
                Assert.Equal(Enumerable.Range(1, 10), results[q].Select(r => r.Rank));
                Assert.Equal(expected.Select(e => (e.ShardPath, e.Id)), results[q].Select(r => (r.ShardPath, r.Id)));
                Assert.All(results[q].Zip(expected), p => Assert.Equal(p.Second.Distance, p.First.Distance, Math.Max(1e-4, Math.Abs(p.Second.Distance) * 1e-4)));
            }
        }
        finally
        {
            foreach (var shard in shards)
            {
                shard.Dispose();
            }
        }
    }

    [Fact]
    public void SearchMany_OverShardsOfDifferentMetrics_IsIncompatibleShards()
    {
        using var cosine = Shard.Create(MemoryShard.NewPath(), new ShardOptions(2, DistanceMetric.Cosine));
        using var l2 = Shard.Create(MemoryShard.NewPath(), new ShardOptions(2, DistanceMetric.L2));
        var error = ShardAssert.Throws("IncompatibleShards", ShardErrorCategory.InvalidArgument,
            () => MultiShardSearch.SearchMany([cosine, l2], [[1, 0]], new SearchOptions(1)));
        Assert.Equal(l2.Path, error.TargetObject);
    }
}
