namespace VectorShard.Core.Tests;

/// <summary>
/// A batch is all or nothing: one bad row anywhere fails it with the right error and leaves the shard — in
/// memory and on disk after reopening — exactly as it was.
/// </summary>
public sealed class TransactionTests : IDisposable
{
    private const int Dimension = 4;
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    /// <summary>A bad row, the ErrorId it must raise and that error's category.</summary>
    public static TheoryData<string, string, ShardErrorCategory> BadRows() => new()
    {
        { "too many components", "DimensionMismatch", ShardErrorCategory.InvalidArgument },
        { "too few components", "DimensionMismatch", ShardErrorCategory.InvalidArgument },
        { "NaN", "NonFiniteComponent", ShardErrorCategory.InvalidArgument },
        { "+Infinity", "NonFiniteComponent", ShardErrorCategory.InvalidArgument },
        { "-Infinity", "NonFiniteComponent", ShardErrorCategory.InvalidArgument },
        { "empty", "EmptyVector", ShardErrorCategory.InvalidArgument },
        { "zero vector (cosine)", "ZeroVector", ShardErrorCategory.InvalidArgument },
        { "norm overflows float32", "NormOverflow", ShardErrorCategory.InvalidArgument },
        { "key already in shard", "DuplicateKey", ShardErrorCategory.ResourceExists },
        { "key twice in batch", "DuplicateKeyInBatch", ShardErrorCategory.InvalidArgument },
        { "unsupported metadata type", "UnsupportedMetadata", ShardErrorCategory.InvalidType },
        { "unsupported metadata nested in a list", "UnsupportedMetadata", ShardErrorCategory.InvalidType },
        { "NaN metadata", "UnsupportedMetadata", ShardErrorCategory.InvalidType },
        { "infinite metadata", "UnsupportedMetadata", ShardErrorCategory.InvalidType },
    };

    /// <summary>Five rows with fresh keys, the third of them bad in the named way.</summary>
    private static VectorInput[] BatchWithBadRow(string bad)
    {
        var batch = Enumerable.Range(0, 5)
            .Select(i => new VectorInput($"new{i}", [i + 1, 2, 3, 4], new Dictionary<string, object?> { ["i"] = (long)i }))
            .ToArray();
        batch[2] = bad switch
        {
            "too many components" => new VectorInput("bad", [1, 2, 3, 4, 5]),
            "too few components" => new VectorInput("bad", [1, 2, 3]),
            "NaN" => new VectorInput("bad", [1, float.NaN, 3, 4]),
            "+Infinity" => new VectorInput("bad", [1, 2, float.PositiveInfinity, 4]),
            "-Infinity" => new VectorInput("bad", [float.NegativeInfinity, 2, 3, 4]),
            "empty" => new VectorInput("bad", []),
            "zero vector (cosine)" => new VectorInput("bad", [0, 0, 0, 0]),
            "norm overflows float32" => new VectorInput("bad", [3e38f, 3e38f, 1, 1]),
            "key already in shard" => new VectorInput("old1", [1, 2, 3, 4]),
            "key twice in batch" => new VectorInput("new0", [1, 2, 3, 4]),
            "unsupported metadata type" => new VectorInput("bad", [1, 2, 3, 4], new Dictionary<string, object?> { ["x"] = new object() }),
            "unsupported metadata nested in a list" => new VectorInput("bad", [1, 2, 3, 4],
                new Dictionary<string, object?> { ["x"] = new List<object?> { 1, new Dictionary<string, object?> { ["y"] = TimeSpan.Zero } } }),
            "NaN metadata" => new VectorInput("bad", [1, 2, 3, 4], new Dictionary<string, object?> { ["x"] = double.NaN }),
            "infinite metadata" => new VectorInput("bad", [1, 2, 3, 4], new Dictionary<string, object?> { ["x"] = float.PositiveInfinity }),
            _ => throw new ArgumentOutOfRangeException(nameof(bad)),
        };
        return batch;
    }

    private Shard CreateWithRows(string path)
    {
        var shard = Shard.Create(path, new ShardOptions(Dimension, DistanceMetric.Cosine));
        shard.Add(Enumerable.Range(0, 3).Select(i => new VectorInput($"old{i}", [1, i, 0, 1],
            new Dictionary<string, object?> { ["old"] = (long)i, ["tag"] = "before" })).ToArray());
        shard.Remove([shard.GetByKeys(["old2"]).Single().Id]); // so the version is not just the count
        shard.Add([new VectorInput("old2", [2, 2, 2, 2])]);
        return shard;
    }

    [Theory]
    [MemberData(nameof(BadRows))]
    public void BadRowInTheMiddle_FailsTheWholeBatch_AndChangesNothing(string bad, string errorId, ShardErrorCategory category)
    {
        var path = _temp.File("tx.vshard");
        string before;
        using (var shard = CreateWithRows(path))
        {
            before = ShardSnapshot.Take(shard);

            ShardAssert.Throws(errorId, category, () => shard.Add(BatchWithBadRow(bad)));

            Assert.Equal(before, ShardSnapshot.Take(shard));
            Assert.Empty(shard.GetByKeys(["new0", "new1", "bad"]));
        }

        using (var reopened = Shard.Open(path))
        {
            Assert.Equal(before, ShardSnapshot.Take(reopened));

            // The shard still takes writes, and the version continues from where it was.
            var version = reopened.Describe().Version;
            var written = reopened.Add([new VectorInput("after", [1, 1, 1, 1])]);
            Assert.Equal(version + 1, written[0].Version);
        }
    }

    /// <summary>The bad rows that are bad in an upsert batch too (existing or repeated keys are what upserts are for).</summary>
    public static TheoryData<string, string, ShardErrorCategory> BadRowsForUpsert()
    {
        var data = new TheoryData<string, string, ShardErrorCategory>();
        foreach (var row in BadRows())
        {
            if (row[1] is not ("DuplicateKey" or "DuplicateKeyInBatch"))
            {
                data.Add((string)row[0], (string)row[1], (ShardErrorCategory)row[2]);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(BadRowsForUpsert))]
    public void BadRowInAnUpsertBatch_LeavesTheRowsItWouldHaveReplaced(string bad, string errorId, ShardErrorCategory category)
    {
        var path = _temp.File("tx-upsert.vshard");
        string before;
        using (var shard = CreateWithRows(path))
        {
            before = ShardSnapshot.Take(shard);
            var batch = BatchWithBadRow(bad);
            batch[0] = new VectorInput("old0", [9, 9, 9, 9], new Dictionary<string, object?> { ["tag"] = "after" });
            batch[4] = new VectorInput("old1", [8, 8, 8, 8]);

            ShardAssert.Throws(errorId, category, () => shard.Add(batch, replaceExisting: true));

            Assert.Equal(before, ShardSnapshot.Take(shard));
        }

        using var reopened = Shard.Open(path);
        Assert.Equal(before, ShardSnapshot.Take(reopened));
        Assert.Equal("before", reopened.GetByKeys(["old0"]).Single().Metadata!["tag"]);
    }

    [Fact]
    public void BadRowAtTheEndOfALargeBatch_RollsBackEverything()
    {
        var path = _temp.File("tx-large.vshard");
        using var shard = CreateWithRows(path);
        var before = ShardSnapshot.Take(shard);
        var batch = Enumerable.Range(0, 3000).Select(i => new VectorInput($"n{i}", [1, 2, 3, i + 1])).ToList();
        batch.Add(new VectorInput("old0", [1, 2, 3, 4])); // fails in SQLite, after 3000 rows were inserted

        ShardAssert.Throws("DuplicateKey", ShardErrorCategory.ResourceExists, () => shard.Add(batch));

        Assert.Equal(before, ShardSnapshot.Take(shard));
    }

    [Fact]
    public void ErrorNamesTheOffendingRow()
    {
        using var shard = Shard.Create(MemoryShard.NewPath(), new ShardOptions(Dimension, DistanceMetric.L2));
        shard.Add([new VectorInput("taken", [1, 2, 3, 4])]);

        var keyed = ShardAssert.Throws("DimensionMismatch", ShardErrorCategory.InvalidArgument,
            () => shard.Add([new VectorInput("ok", [1, 2, 3, 4]), new VectorInput("short", [1, 2])]));
        Assert.Contains("'short'", keyed.Message);
        Assert.Equal("'short'", keyed.TargetObject);

        var unkeyed = ShardAssert.Throws("NonFiniteComponent", ShardErrorCategory.InvalidArgument,
            () => shard.Add([new VectorInput(null, [1, 2, 3, 4]), new VectorInput(null, [1, 2, float.NaN, 4])]));
        Assert.Contains("#2", unkeyed.Message);
        Assert.Contains("index 2", unkeyed.Message);

        var duplicate = ShardAssert.Throws("DuplicateKey", ShardErrorCategory.ResourceExists,
            () => shard.Add([new VectorInput("taken", [1, 2, 3, 4])]));
        Assert.Equal("taken", duplicate.TargetObject);
    }

    [Fact]
    public void Upsert_RepeatedKeyInOneBatch_LastOneWins()
    {
        using var shard = Shard.Create(MemoryShard.NewPath(), new ShardOptions(1, DistanceMetric.L2));
        var written = shard.Add([new VectorInput("k", [1]), new VectorInput("k", [2])], replaceExisting: true);

        Assert.Equal(written[0].Id, written[1].Id);
        var info = shard.Describe();
        Assert.Equal(1, info.Count);
        Assert.Equal(2, info.Version);
        Assert.Equal([2f], shard.GetByKeys(["k"]).Single().Vector);
    }

    [Fact]
    public void FailedBatch_DoesNotBlockLaterWriters()
    {
        var path = _temp.File("tx-after.vshard");
        using (var shard = CreateWithRows(path))
        {
            Assert.Throws<VectorShardException>(() => shard.Add(BatchWithBadRow("key already in shard")));
            shard.Add([new VectorInput("next", [1, 2, 3, 4])]);
            shard.Remove([shard.GetByKeys(["old0"]).Single().Id]);
        }

        // Nothing is left locked or half-written: another connection writes at once.
        RawSqlite.Execute(path, "UPDATE shard_info SET value = value WHERE name = 'version'");
        using var reopened = Shard.Open(path);
        Assert.Equal(["old1", "old2", "next"], reopened.GetAll().Select(r => r.Key));
    }
}
