using System.Collections.Concurrent;
using VectorShard.Core.Search;

namespace VectorShard.Core.Tests;

/// <summary>
/// Splitting a scan into runs of chunks: every chunk scanned once, each thread's runs in order into one state of its own,
/// failures rethrown.
/// </summary>
public sealed class ChunkPartitionTests
{
    [Theory]
    [InlineData(1, 1)]
    [InlineData(7, 2)]
    [InlineData(100, 2)]
    [InlineData(5, 5)]
    [InlineData(64, 8)]
    public void Run_ScansEveryChunkOnce_EachThreadsRunsInOrder_IntoOneStateAThread(int chunks, int threads)
    {
        var started = 0;
        var states = ChunkPartition.Run(chunks, threads, () =>
        {
            Interlocked.Increment(ref started);
            return new List<(int First, int End)>();
        }, (runs, first, end) => runs.Add((first, end)));

        Assert.InRange(states.Length, 1, threads);
        Assert.Equal(states.Length, started);
        var all = states.SelectMany(s => s).OrderBy(r => r.First).ToList();
        Assert.Equal(threads == 1 ? 1 : Math.Min(chunks, threads * ChunkPartition.RunsPerThread), all.Count);
        Assert.Equal(0, all[0].First);
        Assert.Equal(chunks, all[^1].End);
        for (var r = 1; r < all.Count; r++)
        {
            Assert.Equal(all[r - 1].End, all[r].First);
            Assert.True(all[r].First < all[r].End, "every run has a chunk");
        }

        foreach (var runs in states)
        {
            Assert.NotEmpty(runs);
            Assert.Equal(runs.OrderBy(r => r.First), runs);
        }
    }

    [Fact]
    public void Run_OnOneThread_IsOneRunOnTheCallingThread()
    {
        var caller = Environment.CurrentManagedThreadId;
        var seen = new ConcurrentBag<int>();
        var states = ChunkPartition.Run(12, 1, () => new List<(int, int)>(), (runs, first, end) =>
        {
            seen.Add(Environment.CurrentManagedThreadId);
            runs.Add((first, end));
        });

        Assert.Equal([(0, 12)], Assert.Single(states));
        Assert.Equal([caller], seen);
    }

    [Fact]
    public void Run_RethrowsAFailureInAnyRun_AfterEveryRunHasFinished()
    {
        var finished = 0;
        var error = Assert.Throws<InvalidOperationException>(() => ChunkPartition.Run(40, 4, () => new object(), (_, first, end) =>
        {
            Thread.Sleep(first == 0 ? 50 : 0);
            Interlocked.Increment(ref finished);
            if (first == 30)
            {
                throw new InvalidOperationException($"run {first}");
            }
        }));

        Assert.Equal("run 30", error.Message);
        Assert.Equal(4 * ChunkPartition.RunsPerThread, finished);
    }
}
