using VectorShard.Core.Search;

namespace VectorShard.Core.Tests;

/// <summary>Splitting a scan into runs of chunks: every chunk scanned once, results in run order, failures rethrown.</summary>
public sealed class ChunkPartitionTests
{
    [Theory]
    [InlineData(1, 1)]
    [InlineData(7, 2)]
    [InlineData(100, 2)]
    [InlineData(5, 5)]
    [InlineData(64, 8)]
    public void Run_ScansEveryChunkOnce_InContiguousRuns_ReturnedInOrder(int chunks, int threads)
    {
        var runs = ChunkPartition.Run(chunks, threads, (first, end) => (first, end));

        Assert.Equal(threads, runs.Length);
        Assert.Equal(0, runs[0].first);
        Assert.Equal(chunks, runs[^1].end);
        for (var t = 1; t < threads; t++)
        {
            Assert.Equal(runs[t - 1].end, runs[t].first);
        }
    }

    [Fact]
    public void Run_RethrowsAFailureInAnyRun_AfterEveryRunHasFinished()
    {
        var finished = 0;
        var error = Assert.Throws<InvalidOperationException>(() => ChunkPartition.Run(40, 4, (first, end) =>
        {
            Thread.Sleep(first == 0 ? 50 : 0);
            Interlocked.Increment(ref finished);
            return first == 30 ? throw new InvalidOperationException($"run {first}") : first;
        }));

        Assert.Equal("run 30", error.Message);
        Assert.Equal(4, finished);
    }
}
