namespace VectorShard.Core.Tests;

/// <summary>Batches written in the background, one at a time: results and errors come back in order, at the next call.</summary>
public sealed class OverlappedBatchWriterTests
{
    private static VectorInput[] Rows(string prefix, int count, int dimension = 3) =>
        Enumerable.Range(0, count).Select(i => new VectorInput($"{prefix}{i}", Enumerable.Repeat((float)(i + 1), dimension).ToArray())).ToArray();

    [Fact]
    public void EachSubmit_ReturnsThePreviousBatchesRecords_AndCompleteTheLast()
    {
        using var shard = Shard.Create(MemoryShard.NewPath(), new ShardOptions(3, DistanceMetric.L2));
        using var writer = new OverlappedBatchWriter(shard, replaceExisting: false);

        Assert.Empty(writer.Submit(Rows("a", 3), 0));
        var first = writer.Submit(Rows("b", 2), 3);
        var second = writer.Complete();

        Assert.Equal(["a0", "a1", "a2"], first.Select(r => r.Key));
        Assert.Equal(["b0", "b1"], second.Select(r => r.Key));
        Assert.Empty(writer.Complete());
        Assert.Equal(5, shard.Describe().Count);
    }

    [Fact]
    public void AFailedBatch_ThrowsAtTheNextSubmit_AndTheBatchAfterItIsNotWritten()
    {
        using var shard = Shard.Create(MemoryShard.NewPath(), new ShardOptions(3, DistanceMetric.L2));
        using var writer = new OverlappedBatchWriter(shard, replaceExisting: false);
        writer.Submit(Rows("ok", 2), 0);
        writer.Submit([new VectorInput(null, [1, 2, 3]), new VectorInput(null, [1, 2])], 2);

        var error = ShardAssert.Throws("DimensionMismatch", ShardErrorCategory.InvalidArgument, () => writer.Submit(Rows("late", 2), 4));

        Assert.Contains("#4", error.Message);
        Assert.Empty(writer.Complete());
        Assert.Equal(["ok0", "ok1"], shard.GetAll().Select(r => r.Key));
    }

    [Fact]
    public void Dispose_WaitsForTheBatchInFlight_AndDropsItsError()
    {
        using var shard = Shard.Create(MemoryShard.NewPath(), new ShardOptions(3, DistanceMetric.L2));
        var writer = new OverlappedBatchWriter(shard, replaceExisting: false);
        writer.Submit(Rows("a", 500), 0);
        writer.Dispose();
        Assert.Equal(500, shard.Describe().Count);

        var failing = new OverlappedBatchWriter(shard, replaceExisting: false);
        failing.Submit(Rows("a", 1), 0);
        failing.Dispose();
        Assert.Equal(500, shard.Describe().Count);
    }
}
