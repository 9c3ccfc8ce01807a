using VectorShard.Core.Search;
using VectorShard.Core.Storage;
using Xunit;

namespace VectorShard.Core.Tests;

/// <summary>
/// Batched search (SearchMany) against one-by-one search and the naive reference, and the in-memory image
/// the scan reads kept in step with writes: this shard's own, and another connection's.
/// </summary>
public sealed class BatchSearchTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    public static TheoryData<DistanceMetric, int, int> Batches()
    {
        var data = new TheoryData<DistanceMetric, int, int>();
        foreach (var metric in Enum.GetValues<DistanceMetric>())
        {
            foreach (var queries in new[] { 1, 3, 8, 9, 20 })
            {
                data.Add(metric, queries, metric == DistanceMetric.Dot ? 33 : 100);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Batches))]
    public void SearchMany_MatchesTheReference_ForEveryQueryOfTheBatch(DistanceMetric metric, int queryCount, int dimension)
    {
        var random = new Random(queryCount * 31 + dimension);
        using var shard = Shard.Create(MemoryShard.NewPath(), new ShardOptions(dimension, metric));
        // More rows than one image chunk holds, so the scan crosses chunk borders.
        var rows = Enumerable.Range(0, 3000).Select(i => new VectorInput($"r{i}", RandomData.Vector(random, dimension))).ToArray();
        var stored = shard.Add(rows);
        var queries = Enumerable.Range(0, queryCount).Select(_ => RandomData.Vector(random, dimension)).ToArray();

        var batch = shard.SearchMany(queries, new SearchOptions(7), firstQueryIndex: 5);

        Assert.Equal(queryCount, batch.Count);
        for (var q = 0; q < queryCount; q++)
        {
            var expected = Reference.Rank(metric, queries[q], stored.Select(r => (r.Id, r.Vector))).Take(7).ToList();
            Assert.All(batch[q], r => Assert.Equal(5 + q, r.QueryIndex));
            Assert.Equal(Enumerable.Range(1, 7), batch[q].Select(r => r.Rank));
            Assert.Equal(expected.Select(e => e.Id), batch[q].Select(r => r.Id));
            Assert.All(batch[q].Zip(expected), pair => Assert.Equal(pair.Second.Distance, pair.First.Distance, Math.Max(1e-4, Math.Abs(pair.Second.Distance) * 1e-4)));
            Assert.Equal(shard.Search(queries[q], new SearchOptions(7)).Select(r => r.Id), batch[q].Select(r => r.Id));
        }
    }

    [Theory]
    [InlineData(DistanceMetric.Cosine)]
    [InlineData(DistanceMetric.L2)]
    public void LargeShard_ScannedByTwoThreads_GivesTheSameAnswersAsOne(DistanceMetric metric)
    {
        const int dimension = 256;
        var random = new Random(99);
        using var shard = Shard.Create(MemoryShard.NewPath(), new ShardOptions(dimension, metric));
        // Above ChunkPartition.ParallelThresholdBytes, so the scan splits across threads.
        var rows = (int)(ChunkPartition.ParallelThresholdBytes / sizeof(float) / dimension) + 1000;
        var stored = shard.Add(Enumerable.Range(0, rows).Select(_ => new VectorInput(null, RandomData.Vector(random, dimension))).ToArray());
        var queries = Enumerable.Range(0, 3).Select(_ => RandomData.Vector(random, dimension)).ToArray();

        var one = shard.SearchMany(queries, new SearchOptions(5, MaxThreads: 1));
        var two = shard.SearchMany(queries, new SearchOptions(5, MaxThreads: 2));

        for (var q = 0; q < queries.Length; q++)
        {
            Assert.Equal(one[q].Select(r => (r.Id, r.Distance)), two[q].Select(r => (r.Id, r.Distance)));
            var expected = Reference.Rank(metric, queries[q], stored.Select(r => (r.Id, r.Vector))).Take(5).Select(e => e.Id);
            Assert.Equal(expected, two[q].Select(r => r.Id));
        }
    }

    [Fact]
    public void SearchMany_WithABadQuery_FailsNamingIt_AndSearchesNothing()
    {
        using var shard = Shard.Create(MemoryShard.NewPath(), new ShardOptions(2, DistanceMetric.L2));
        shard.Add([new VectorInput("a", [0, 0])]);
        var error = ShardAssert.Throws("DimensionMismatch", ShardErrorCategory.InvalidArgument,
            () => shard.SearchMany([[0, 0], [1, 2, 3]], new SearchOptions(1), firstQueryIndex: 10));
        Assert.Contains("query #12", error.Message);
    }

    [Fact]
    public void Image_FollowsAddsUpsertsAndRemovalsAfterTheFirstSearch()
    {
        using var shard = Shard.Create(MemoryShard.NewPath(), new ShardOptions(2, DistanceMetric.L2));
        var first = shard.Add([new VectorInput("a", [0, 0]), new VectorInput("b", [10, 0]), new VectorInput("c", [20, 0])]);
        Assert.Equal("a", shard.Search([1, 0], new SearchOptions(1)).Single().Key); // builds the image

        shard.Add([new VectorInput("d", [1, 0])]);
        Assert.Equal("d", shard.Search([1, 0], new SearchOptions(1)).Single().Key);

        shard.Add([new VectorInput("b", [1.5f, 0])], replaceExisting: true);
        Assert.Equal(["b", "d", "a"], shard.Search([1.4f, 0], new SearchOptions(3)).Select(r => r.Key));

        // Removing the first row moves the last one into its place.
        shard.Remove([first[0].Id]);
        Assert.Equal(["d", "b", "c"], shard.Search([0, 0], new SearchOptions(10)).Select(r => r.Key));
        Assert.Equal(3, shard.Describe().Count);
    }

    [Fact]
    public void Image_IsReadAgain_WhenAnotherConnectionWrites()
    {
        var path = _temp.File("shared.vshard");
        using var mine = Shard.Create(path, new ShardOptions(2, DistanceMetric.L2));
        mine.Add([new VectorInput("a", [5, 0])]);
        Assert.Equal("a", mine.Search([0, 0], new SearchOptions(1)).Single().Key);

        using (var other = Shard.Open(path))
        {
            other.Add([new VectorInput("b", [1, 0])]);
        }

        Assert.Equal(["b", "a"], mine.Search([0, 0], new SearchOptions(2)).Select(r => r.Key));
    }

    [Theory]
    [InlineData(ShardProfile.Balanced)]
    [InlineData(ShardProfile.Durable)]
    public void Image_OfAWalShard_IsCheckedWithoutSql_UntilAnotherConnectionCommits(ShardProfile profile)
    {
        var path = _temp.File("watched.vshard");
        using var mine = Shard.Create(path, new ShardOptions(2, DistanceMetric.L2, profile));
        mine.Add([new VectorInput("a", [5, 0])]);
        Assert.Equal(["a"], Keys(mine));
        Assert.Equal(["a"], Keys(mine));

        // Nothing committed: the searches step no statement (the wal-index header stands in for data_version).
        AssertSearchesStepNoStatement(mine, ["a"]);

        using var other = Shard.Open(path);
        other.Add([new VectorInput("b", [1, 0])]);
        Assert.Equal(["b", "a"], Keys(mine));

        // A checkpoint that empties the WAL, then a commit that starts it again from its first frame.
        using (var raw = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={path}"))
        {
            raw.Open();
            using var checkpoint = raw.CreateCommand();
            checkpoint.CommandText = "PRAGMA wal_checkpoint(TRUNCATE)";
            checkpoint.ExecuteNonQuery();
        }

        Assert.Equal(["b", "a"], Keys(mine));
        var c = other.Add([new VectorInput("c", [2, 0])]);
        Assert.Equal(["b", "c", "a"], Keys(mine));

        other.Remove([c[0].Id]);
        Assert.Equal(["b", "a"], Keys(mine));

        // This shard's own writes keep the image in step as before.
        mine.Add([new VectorInput("d", [0, 0])]);
        Assert.Equal(["d", "b", "a"], Keys(mine));
        Assert.Equal(["d", "b", "a"], Keys(mine));
    }

    [Theory]
    [InlineData(ShardProfile.Exclusive)]
    [InlineData(ShardProfile.UltraFast)]
    public void Image_OfAnExclusivelyLockedShard_IsNeverCheckedAgain(ShardProfile profile)
    {
        // The connection holds its lock from the first read on, so no other connection can commit.
        using var shard = Shard.Create(_temp.File($"{profile}.vshard"), new ShardOptions(2, DistanceMetric.L2, profile));
        shard.Add([new VectorInput("a", [5, 0])]);
        Assert.Equal(["a"], Keys(shard));
        AssertSearchesStepNoStatement(shard, ["a"]);
        shard.Add([new VectorInput("b", [1, 0])]);
        Assert.Equal(["b", "a"], Keys(shard));
    }

    private static IEnumerable<string?> Keys(Shard shard) => shard.Search([0, 0], new SearchOptions(5)).Select(r => r.Key);

    // Twenty searches, each finding the keys, step no statement of the shard's: only Describe's own, as many each time.
    private static void AssertSearchesStepNoStatement(Shard shard, string[] keys)
    {
        var first = Steps();
        var describing = Steps() - first;
        var before = Steps();
        for (var i = 0; i < 20; i++)
        {
            Assert.Equal(keys, Keys(shard));
        }

        Assert.Equal(describing, Steps() - before);

        long Steps() => shard.Describe().StatementCache! is var stats ? stats.Hits + stats.Misses : 0;
    }

    [Fact]
    public void Image_SurvivesAProfileChange()
    {
        var path = _temp.File("profile.vshard");
        using var shard = Shard.Create(path, new ShardOptions(2, DistanceMetric.L2));
        shard.Add([new VectorInput("a", [3, 0])]);
        Assert.Single(shard.Search([0, 0], new SearchOptions(5)));

        shard.SetTuning(ShardProfile.Durable, ShardWorkload.None);
        shard.Add([new VectorInput("b", [1, 0])]);

        Assert.Equal(["b", "a"], shard.Search([0, 0], new SearchOptions(5)).Select(r => r.Key));
    }
}
