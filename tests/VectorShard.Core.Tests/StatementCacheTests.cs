using Microsoft.Data.Sqlite;
using VectorShard.Core.Search;
using VectorShard.Core.Storage;
using Xunit;

namespace VectorShard.Core.Tests;

/// <summary>The prepared-statement cache: reuse, LRU bound, transactions, and its hit rate in steady use.</summary>
public sealed class StatementCacheTests
{
    [Fact]
    public void Get_ReusesTheCommand_AndEvictsTheLeastRecentlyUsedBeyondCapacity()
    {
        using var connection = new SqliteConnection("Data Source=:memory:");
        connection.Open();
        using var cache = new StatementCache(connection, capacity: 2);

        var a = cache.Get("SELECT 1");
        Assert.Same(a, cache.Get("SELECT 1"));
        cache.Get("SELECT 2");
        cache.Get("SELECT 1");          // a is now the most recent
        cache.Get("SELECT 3");          // evicts SELECT 2
        Assert.Same(a, cache.Get("SELECT 1"));
        Assert.NotNull(cache.Get("SELECT 2"));

        Assert.Equal(new StatementCacheStats(3, 4, 2, 2), cache.Stats);
        Assert.Equal(3.0 / 7, cache.Stats.HitRate, 6);
    }

    [Fact]
    public void GetRaw_ReusesTheStatement_CountsLikeCommands_AndKeepsItApartFromTheCommandOfTheSameSql()
    {
        using var connection = new SqliteConnection("Data Source=:memory:");
        connection.Open();
        using var cache = new StatementCache(connection, capacity: 2);

        RawStatement raw;
        using (var lease = cache.GetRaw("SELECT 41 + 1"))
        {
            raw = lease.Statement;
            Assert.True(raw.Step());
            Assert.Equal(42L, raw.Int64(0));
        }

        // The lease reset it: it runs again from the start.
        Assert.Same(raw, cache.GetRaw("SELECT 41 + 1").Statement);
        Assert.True(raw.Step());
        Assert.Equal(42L, raw.Int64(0));
        raw.Reset();
        Assert.Equal(42L, cache.Get("SELECT 41 + 1").ExecuteScalar()); // a command, not the raw statement
        cache.GetRaw("SELECT 2");                                          // evicts the raw SELECT 41 + 1
        Assert.NotSame(raw, cache.GetRaw("SELECT 41 + 1").Statement);

        Assert.Equal(new StatementCacheStats(1, 4, 2, 2), cache.Stats);
    }

    [Fact]
    public void RawWrites_AfterAFailedRow_LeaveNoTransactionOpen()
    {
        using var shard = Shard.Create(MemoryShard.NewPath(), new ShardOptions(2, DistanceMetric.L2));
        shard.Add([new VectorInput("a", [1, 2])]);
        Assert.Throws<VectorShardException>(() => shard.Add([new VectorInput("b", [3, 4]), new VectorInput("a", [5, 6])]));

        // The cached insert was reset when the batch failed: the next batch commits, and only it was added.
        shard.Add([new VectorInput("c", [7, 8])]);
        Assert.Equal(new[] { "a", "c" }, shard.GetByKeys(["a", "b", "c"]).Select(r => r.Key!).ToArray());
        Assert.Equal(2L, shard.Describe().Count);
    }

    [Fact]
    public void Commands_RunInTheOpenTransaction_AndOutsideItAfterwards()
    {
        using var connection = new SqliteConnection("Data Source=:memory:");
        connection.Open();
        using var cache = new StatementCache(connection);
        cache.Get("CREATE TABLE t (x)").ExecuteNonQuery();
        var insert = cache.Get("INSERT INTO t VALUES ($x)", p => p.Add("$x", SqliteType.Integer));

        using (var transaction = cache.BeginTransaction())
        {
            insert.Parameters["$x"].Value = 1;
            cache.Get("INSERT INTO t VALUES ($x)").ExecuteNonQuery();
            transaction.Rollback();
        }

        insert = cache.Get("INSERT INTO t VALUES ($x)");
        insert.Parameters["$x"].Value = 2;
        insert.ExecuteNonQuery();
        Assert.Equal(2L, cache.Get("SELECT sum(x) FROM t").ExecuteScalar());
    }

    [Fact]
    public void SteadySearches_HitTheCache_AtLeast99PercentOfTheTime()
    {
        using var shard = Shard.Create(MemoryShard.NewPath(), new ShardOptions(4, DistanceMetric.L2));
        shard.Add(Enumerable.Range(0, 50).Select(i => new VectorInput($"k{i}", [i, 1, 2, 3])).ToArray());
        shard.Search([0, 1, 2, 3], new SearchOptions(3)); // warm-up: first use of each statement
        var before = shard.Describe().StatementCache!;

        for (var i = 0; i < 500; i++)
        {
            shard.Search([i % 50, 1, 2, 3], new SearchOptions(3));
        }

        var after = shard.Describe().StatementCache!;
        var hits = after.Hits - before.Hits;
        var misses = after.Misses - before.Misses;
        Assert.True(hits > 0);
        Assert.True(hits / (double)(hits + misses) >= 0.99, $"{hits} hits, {misses} misses");
    }
}
