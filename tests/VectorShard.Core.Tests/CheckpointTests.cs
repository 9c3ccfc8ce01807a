namespace VectorShard.Core.Tests;

/// <summary>
/// Background WAL checkpoints: a bulk write to a WAL shard reaches the database file while the shard stays
/// open, without the writer's own autocheckpoint (1000 pages, 64 MiB at these rows' 64 KiB pages) coming due.
/// </summary>
public sealed class CheckpointTests : IDisposable
{
    private const int Dimension = 384;
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    // 12,000 rows of 384 float32 components: 18 MB, past a quarter of the 64 MiB autocheckpoint.
    private static List<VectorInput> Rows(int count, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count)
            .Select(i => new VectorInput($"k{seed}-{i}", Enumerable.Range(0, Dimension).Select(_ => (float)random.NextDouble() - 0.5f).ToArray()))
            .ToList();
    }

    [Fact]
    public void BulkWrite_ReachesTheDatabaseFile_WhileTheShardStaysOpen()
    {
        var path = _temp.File("balanced.vshard");
        using var shard = Shard.Create(path, new ShardOptions(Dimension, DistanceMetric.L2));
        var before = new FileInfo(path).Length;

        shard.Add(Rows(12_000, 1));

        var vectorBytes = 12_000L * Dimension * sizeof(float);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (new FileInfo(path).Length < vectorBytes && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(20);
        }

        Assert.True(before < vectorBytes / 10, $"new shard file {before} bytes");
        Assert.True(new FileInfo(path).Length >= vectorBytes, $"database file {new FileInfo(path).Length} bytes, vectors {vectorBytes}");
        Assert.Equal(12_000, shard.Describe().Count);
    }

    [Fact]
    public void ClosingDuringABackgroundCheckpoint_LosesNothing()
    {
        var path = _temp.File("close.vshard");
        var rows = Rows(12_000, 2);
        using (var shard = Shard.Create(path, new ShardOptions(Dimension, DistanceMetric.L2)))
        {
            shard.Add(rows);
        }

        Assert.False(File.Exists(path + "-wal"));
        using var reopened = Shard.Open(path);
        Assert.Equal(12_000, reopened.Describe().Count);
        Assert.Equal(rows[^1].Vector, reopened.GetByKeys([rows[^1].Key!])[0].Vector);
    }

    [Fact]
    public void ProfileChange_ToAnExclusiveLock_AfterABulkWrite_StillWrites()
    {
        var path = _temp.File("exclusive.vshard");
        using var shard = Shard.Create(path, new ShardOptions(Dimension, DistanceMetric.L2));
        shard.Add(Rows(12_000, 3));

        var info = shard.SetTuning(ShardProfile.Exclusive, ShardWorkload.None);
        shard.Add(Rows(12_000, 4));

        Assert.Equal("EXCLUSIVE", info.Pragmas!.LockingMode);
        Assert.Equal(24_000, shard.Describe().Count);
    }
}
