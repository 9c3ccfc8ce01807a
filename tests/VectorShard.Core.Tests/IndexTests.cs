using System.Security.Cryptography;

namespace VectorShard.Core.Tests;

/// <summary>
/// The seed indexes: which exist per profile and workload, how SetTuning and a first write reconcile them,
/// that the SQL paths really use them (EXPLAIN QUERY PLAN), and that they never change a result.
/// </summary>
public sealed class IndexTests : IDisposable
{
    private const string Norm = "idx_vectors_norm";
    private const string Confidence = "idx_vectors_confidence";
    private const string CreatedNorm = "idx_vectors_created_norm";
    private static readonly string[] All = [Confidence, CreatedNorm, Norm];
    private static readonly string[] Minimal = [CreatedNorm];

    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    /// <summary>The rule, written out independently of IndexPlan.</summary>
    private static string[] Expected(ShardProfile profile, WorkloadKind kind) => kind switch
    {
        WorkloadKind.ReadHeavy => All,
        WorkloadKind.WriteHeavy => Minimal,
        _ => profile == ShardProfile.UltraFast ? Minimal : All,
    };

    private static ShardWorkload WorkloadOf(WorkloadKind kind) => kind switch
    {
        WorkloadKind.None => ShardWorkload.None,
        WorkloadKind.Mixed => new ShardWorkload(kind, 50),
        _ => new ShardWorkload(kind, 500),
    };

    public static TheoryData<ShardProfile, WorkloadKind> Tunings()
    {
        var data = new TheoryData<ShardProfile, WorkloadKind>();
        foreach (var profile in Enum.GetValues<ShardProfile>())
        {
            foreach (var kind in Enum.GetValues<WorkloadKind>())
            {
                data.Add(profile, kind);
            }
        }

        return data;
    }

    private static string[] IndexesInFile(string path)
    {
        using var connection = RawSqlite.Open(path);
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT name FROM sqlite_schema WHERE type = 'index' AND name LIKE 'idx_%' ORDER BY name";
        using var reader = command.ExecuteReader();
        var names = new List<string>();
        while (reader.Read())
        {
            names.Add(reader.GetString(0));
        }

        return [.. names];
    }

    private static Dictionary<string, object?> Meta(params (string Name, object? Value)[] fields) => fields.ToDictionary(f => f.Name, f => f.Value);

    [Theory]
    [MemberData(nameof(Tunings))]
    public void Create_MakesThePlannedIndexes_ShownOnTheShardAndInTheFile(ShardProfile profile, WorkloadKind kind)
    {
        var expected = Expected(profile, kind);
        Assert.Equal(expected, IndexPlan.For(profile, WorkloadOf(kind)).Order(StringComparer.Ordinal));

        var path = _temp.File("plan.vshard");
        using (var shard = Shard.Create(path, new ShardOptions(3, DistanceMetric.L2, profile, WorkloadOf(kind))))
        {
            Assert.Equal(expected, shard.Describe().Indexes);
            shard.Add([new VectorInput("a", [1, 2, 3], Meta(("confidence", 0.5)))]);
            Assert.Equal(expected, shard.Describe().Indexes);
        }

        Assert.Equal(expected, IndexesInFile(path));
    }

    [Fact]
    public void InMemoryShard_HasTheUltraFastPlan_AndTakesReadHeavy()
    {
        using var shard = Shard.Create(MemoryShard.NewPath(), new ShardOptions(2, DistanceMetric.L2));
        Assert.Equal(Minimal, shard.Describe().Indexes);

        Assert.Equal(All, shard.SetTuning(ShardProfile.UltraFast, new ShardWorkload(WorkloadKind.ReadHeavy, 100)).Indexes);
        Assert.Equal(Minimal, shard.SetTuning(ShardProfile.UltraFast, ShardWorkload.None).Indexes);
    }

    [Fact]
    public void SetTuning_DropsAndCreates_KeepsOtherIndexesAndTheData()
    {
        var path = _temp.File("reconcile.vshard");
        using (var shard = Shard.Create(path, new ShardOptions(3, DistanceMetric.L2, ShardProfile.Balanced)))
        {
            shard.Add([new VectorInput("a", [1, 2, 3], Meta(("confidence", 0.9))), new VectorInput("b", [3, 2, 1])]);
        }

        RawSqlite.Execute(path, "CREATE INDEX user_own ON vectors (shard_version)");
        using (var shard = Shard.Open(path))
        {
            Assert.Equal([Confidence, CreatedNorm, Norm, "user_own"], shard.Describe().Indexes);
            var before = ShardSnapshot.Take(shard);

            var written = shard.SetTuning(ShardProfile.Balanced, new ShardWorkload(WorkloadKind.WriteHeavy, 5000));
            Assert.Equal([CreatedNorm, "user_own"], written.Indexes);

            var back = shard.SetTuning(ShardProfile.Durable, new ShardWorkload(WorkloadKind.Mixed, 30));
            Assert.Equal([Confidence, CreatedNorm, Norm, "user_own"], back.Indexes);

            var fast = shard.SetTuning(ShardProfile.UltraFast, ShardWorkload.None);
            Assert.Equal([CreatedNorm, "user_own"], fast.Indexes);
            Assert.Equal(before.Replace("profile=Balanced", "profile=UltraFast"), ShardSnapshot.Take(shard));
        }

        Assert.Equal([CreatedNorm], IndexesInFile(path));
        using var reopened = Shard.Open(path);
        Assert.Equal([CreatedNorm, "user_own"], reopened.Describe().Indexes);
        Assert.Equal("a", reopened.Search([0, 0, 1], new SearchOptions(1, Filter: new MetadataFilter(Meta(("confidence", 0.9)))))[0].Key);
    }

    [Fact]
    public void OlderFile_GetsItsPlanOnTheFirstWrite_NotOnOpenOrSearch()
    {
        var path = _temp.File("older.vshard");
        using (var shard = Shard.Create(path, new ShardOptions(3, DistanceMetric.L2, ShardProfile.Balanced)))
        {
            shard.Add([new VectorInput("a", [1, 2, 3])]);
        }

        // A file written before indexes existed.
        RawSqlite.Execute(path, $"DROP INDEX {Norm}; DROP INDEX {Confidence}; DROP INDEX {CreatedNorm}");
        using var reopened = Shard.Open(path);
        Assert.Empty(reopened.Describe().Indexes);
        reopened.Search([1, 2, 3], new SearchOptions(1));
        reopened.Search([1, 2, 3], new SearchOptions(1, Filter: new MetadataFilter(Meta(("confidence", 1)))));
        Assert.Empty(reopened.Describe().Indexes);

        reopened.Add([new VectorInput("b", [3, 2, 1])]);
        Assert.Equal(All, reopened.Describe().Indexes);
        Assert.Equal(2, reopened.Describe().Count);
    }

    [Fact]
    public void ReadOnlyOlderFile_IsSearchedWithoutIndexes_AndLeftByteForByteUnchanged()
    {
        var path = _temp.File("readonly.vshard");
        using (var shard = Shard.Create(path, new ShardOptions(3, DistanceMetric.L2, ShardProfile.Durable)))
        {
            shard.Add([new VectorInput("a", [1, 2, 3], Meta(("confidence", 0.7))), new VectorInput("b", [3, 2, 1])]);
        }

        RawSqlite.Execute(path, $"DROP INDEX {Norm}; DROP INDEX {Confidence}; PRAGMA journal_mode = DELETE");
        File.SetAttributes(path, File.GetAttributes(path) | FileAttributes.ReadOnly);
        var hash = SHA256.HashData(File.ReadAllBytes(path));

        using (var shard = Shard.Open(path))
        {
            Assert.True(shard.IsReadOnly);
            Assert.Equal([CreatedNorm], shard.Describe().Indexes);
            Assert.Equal("a", shard.Search([3, 2, 1], new SearchOptions(1, 10, new MetadataFilter(Meta(("confidence", 0.7)))))[0].Key);
            ShardAssert.Throws("ShardReadOnly", ShardErrorCategory.PermissionDenied, () => shard.Add([new VectorInput("c", [1, 1, 1])]));
            ShardAssert.Throws("ShardReadOnly", ShardErrorCategory.PermissionDenied, () => shard.RemoveOlderThan(DateTimeOffset.MaxValue));
            ShardAssert.Throws("ShardReadOnly", ShardErrorCategory.PermissionDenied,
                () => shard.SetTuning(ShardProfile.Balanced, new ShardWorkload(WorkloadKind.ReadHeavy, 10)));
            Assert.Equal([CreatedNorm], shard.Describe().Indexes);
        }

        Assert.Equal(hash, SHA256.HashData(File.ReadAllBytes(path)));
    }

    // ---- The SQL paths use the indexes ----

    private static string Plan(Shard shard, float[] query, SearchOptions options)
    {
        var (sql, parameters) = ExactScan.Query(shard.Header.Metric, (float)Reference.Norm(query), options.MaxDistance, options.Filter, options.CreatedAfter);
        return string.Join(" | ", shard.ExplainQueryPlan(sql, parameters));
    }

    [Fact]
    public void FilterOnConfidence_SeeksThePartialIndex()
    {
        using var shard = Shard.Create(_temp.File("conf.vshard"), new ShardOptions(3, DistanceMetric.Cosine));
        var onConfidence = new SearchOptions(5, Filter: new MetadataFilter(Meta(("confidence", 0.9))));
        var withKind = new SearchOptions(5, Filter: new MetadataFilter(Meta(("kind", "doc"), ("confidence", 1))));
        var nested = new SearchOptions(5, Filter: new MetadataFilter(Meta(("src.confidence", 0.9))));
        var nullConfidence = new SearchOptions(5, Filter: new MetadataFilter(Meta(("confidence", null))));

        // A seek on the expression (a whole scan of the partial index would show as SCAN).
        Assert.Equal($"SEARCH vectors USING INDEX {Confidence} (<expr>=?)", Plan(shard, [1, 2, 3], onConfidence));
        Assert.Equal($"SEARCH vectors USING INDEX {Confidence} (<expr>=?)", Plan(shard, [1, 2, 3], withKind));
        // Not the same expression, or not implied by the index's WHERE: a scan.
        Assert.DoesNotContain(Confidence, Plan(shard, [1, 2, 3], nested));
        Assert.DoesNotContain(Confidence, Plan(shard, [1, 2, 3], nullConfidence));

        shard.SetTuning(ShardProfile.Balanced, new ShardWorkload(WorkloadKind.WriteHeavy, 100));
        Assert.Equal("SCAN vectors", Plan(shard, [1, 2, 3], onConfidence));
    }

    [Theory]
    [InlineData(DistanceMetric.L2, 2f, "norm>? AND norm<?")]
    [InlineData(DistanceMetric.Dot, -5f, "norm>?")]
    public void FilterWithThreshold_SeeksANormRange(DistanceMetric metric, float threshold, string range)
    {
        using var shard = Shard.Create(_temp.File("norm.vshard"), new ShardOptions(3, metric));
        var options = new SearchOptions(5, threshold, new MetadataFilter(Meta(("kind", "doc"))));

        Assert.Equal($"SEARCH vectors USING INDEX {Norm} ({range})", Plan(shard, [1, 2, 3], options));
        // No threshold (or cosine): no norm bound, nothing to seek.
        Assert.Equal("SCAN vectors", Plan(shard, [1, 2, 3], options with { MaxDistance = float.PositiveInfinity }));
    }

    [Fact]
    public void CosineThreshold_HasNoNormBound()
    {
        using var shard = Shard.Create(_temp.File("cos.vshard"), new ShardOptions(3, DistanceMetric.Cosine));
        Assert.Equal("SCAN vectors", Plan(shard, [1, 2, 3], new SearchOptions(5, 0.1f, new MetadataFilter(Meta(("kind", "doc"))))));
    }

    [Fact]
    public void SearchSinceATime_SeeksTheCreatedAtIndex()
    {
        using var shard = Shard.Create(_temp.File("since.vshard"), new ShardOptions(3, DistanceMetric.L2, ShardProfile.Balanced,
            new ShardWorkload(WorkloadKind.WriteHeavy, 1000)));
        var since = new SearchOptions(5, CreatedAfter: DateTimeOffset.UtcNow);

        Assert.Equal($"SEARCH vectors USING INDEX {CreatedNorm} (created_at>?)", Plan(shard, [1, 2, 3], since));
        // With a threshold too, the norm bound is checked in the same index before the row is read.
        Assert.Equal($"SEARCH vectors USING INDEX {CreatedNorm} (created_at>?)", Plan(shard, [1, 2, 3], since with { MaxDistance = 1 }));
    }

    [Fact]
    public void PruneByAge_ReadsOnlyTheCompositeIndex()
    {
        using var shard = Shard.Create(_temp.File("prune.vshard"), new ShardOptions(3, DistanceMetric.L2, ShardProfile.UltraFast));
        Assert.Equal($"SEARCH vectors USING COVERING INDEX {CreatedNorm} (created_at<?)",
            string.Join(" | ", shard.ExplainQueryPlan(VectorRemover.OlderThanSql, [1L])));
    }

    [Fact]
    public void RemoveOlderThan_RemovesExactlyTheOlderRows_AndSearchesNoLongerFindThem()
    {
        using var shard = Shard.Create(_temp.File("age.vshard"), new ShardOptions(2, DistanceMetric.L2));
        var old = shard.Add([new VectorInput("old1", [1, 0]), new VectorInput("old2", [0, 1])]);
        Assert.Equal("old1", shard.Search([1, 0], new SearchOptions(1))[0].Key);
        Thread.Sleep(5);
        var fresh = shard.Add([new VectorInput("new1", [1, 0.1f])]);
        var cutoff = fresh[0].CreatedAt;

        var removed = shard.RemoveOlderThan(cutoff);

        Assert.Equal(old.Select(r => r.Id), removed.Order());
        Assert.Equal(["new1"], shard.GetAll().Select(r => r.Key));
        Assert.Equal(5, shard.Describe().Version);
        Assert.Equal(["new1"], shard.Search([1, 0], new SearchOptions(5)).Select(r => r.Key));
        Assert.Empty(shard.RemoveOlderThan(cutoff));
        Assert.Equal(fresh.Select(r => r.Id), shard.RemoveOlderThan(cutoff.AddTicks(10)));
    }

    // ---- Results never change ----

    private static readonly Dictionary<string, object?>[] Filters =
    [
        Meta(("confidence", 0.5)),
        Meta(("confidence", 1)),
        Meta(("kind", "b"), ("confidence", 0.25)),
        Meta(("kind", "a")),
        Meta(("confidence", null)),
    ];

    [Theory]
    [InlineData(DistanceMetric.L2)]
    [InlineData(DistanceMetric.Dot)]
    [InlineData(DistanceMetric.Cosine)]
    public void FilteredSearch_GivesTheSameResults_WithAndWithoutIndexes_AndMatchesTheReference(DistanceMetric metric)
    {
        var path = _temp.File($"oracle-{metric}.vshard");
        var random = new Random(17);
        var rows = new List<(VectorRecord Record, IReadOnlyDictionary<string, object?> Meta)>();
        var confidences = new object?[] { 0.5, 1.0, 0.25, null };
        DateTimeOffset middle = default;
        List<List<SearchResult>> withIndexes;
        var queries = Enumerable.Range(0, 6).Select(_ => RandomData.Vector(random, 8)).ToArray();
        using (var shard = Shard.Create(path, new ShardOptions(8, metric, ShardProfile.Balanced, new ShardWorkload(WorkloadKind.ReadHeavy, 100))))
        {
            for (var batch = 0; batch < 3; batch++)
            {
                var inputs = Enumerable.Range(0, 200).Select(i =>
                {
                    var meta = new Dictionary<string, object?> { ["kind"] = i % 3 == 0 ? "a" : "b" };
                    if (confidences[random.Next(confidences.Length)] is { } c)
                    {
                        meta["confidence"] = c;
                    }

                    return new VectorInput($"k{batch}-{i}", RandomData.Vector(random, 8), meta);
                }).ToList();
                var records = shard.Add(inputs);
                rows.AddRange(records.Select((r, i) => (r, (IReadOnlyDictionary<string, object?>)inputs[i].Metadata!)));
                if (batch == 1)
                {
                    middle = records[0].CreatedAt;
                }

                Thread.Sleep(3);
            }

            Assert.Equal(All, shard.Describe().Indexes);
            withIndexes = Searches(shard, queries, middle);
        }

        RawSqlite.Execute(path, $"DROP INDEX {Norm}; DROP INDEX {Confidence}; DROP INDEX {CreatedNorm}");
        using (var shard = Shard.Open(path))
        {
            Assert.Empty(shard.Describe().Indexes);
            var without = Searches(shard, queries, middle);
            Assert.Equal(withIndexes.Count, without.Count);
            for (var i = 0; i < without.Count; i++)
            {
                Assert.Equal(without[i].Select(r => (r.Id, r.Distance)), withIndexes[i].Select(r => (r.Id, r.Distance)));
            }
        }

        // Against the reference, with thresholds halfway between reference distances so rounding cannot matter.
        var nonEmpty = 0;
        var search = 0;
        foreach (var query in queries)
        {
            foreach (var filter in Filters)
            {
                foreach (var since in (DateTimeOffset?[])[null, middle])
                {
                    var admitted = rows.Where(r => Admits(filter, r.Meta) && (since is null || r.Record.CreatedAt >= since)).ToList();
                    var ranked = Reference.Rank(metric, query, admitted.Select(r => (r.Record.Id, r.Record.Vector)));
                    var threshold = ranked.Count > 3 ? (ranked[2].Distance + ranked[3].Distance) / 2 : double.PositiveInfinity;
                    foreach (var limit in (double[])[double.PositiveInfinity, threshold])
                    {
                        var expected = ranked.Where(r => r.Distance <= limit).Take(5).Select(r => r.Id).ToList();
                        Assert.Equal(expected, withIndexes[search++].Select(r => r.Id));
                        nonEmpty += expected.Count > 0 ? 1 : 0;
                    }
                }
            }
        }

        Assert.Equal(search, withIndexes.Count);
        Assert.True(nonEmpty > search / 2, "the searches must find something to compare");
    }

    private static List<List<SearchResult>> Searches(Shard shard, float[][] queries, DateTimeOffset middle)
    {
        var results = new List<List<SearchResult>>();
        var metric = shard.Header.Metric;
        foreach (var query in queries)
        {
            foreach (var filter in Filters)
            {
                foreach (var since in (DateTimeOffset?[])[null, middle])
                {
                    var options = new SearchOptions(5, Filter: new MetadataFilter(filter), CreatedAfter: since);
                    var unbounded = shard.Search(query, options).ToList();
                    results.Add(unbounded);
                    // The threshold the reference uses: halfway between its 3rd and 4th (recomputed there).
                    var all = shard.Search(query, options with { K = 4 });
                    var threshold = all.Count > 3 ? HalfwayReference(metric, query, shard, all[2].Id, all[3].Id) : float.PositiveInfinity;
                    results.Add(shard.Search(query, options with { MaxDistance = threshold }).ToList());
                }
            }
        }

        return results;
    }

    private static float HalfwayReference(DistanceMetric metric, float[] query, Shard shard, long third, long fourth)
    {
        var vectors = shard.GetByIds([third, fourth]).ToDictionary(r => r.Id, r => r.Vector);
        return (float)((Reference.Distance(metric, query, vectors[third]) + Reference.Distance(metric, query, vectors[fourth])) / 2);
    }

    private static bool Admits(Dictionary<string, object?> filter, IReadOnlyDictionary<string, object?> meta) =>
        filter.All(condition => (meta.TryGetValue(condition.Key, out var actual) ? actual : null) switch
        {
            null => condition.Value is null,
            string text => text.Equals(condition.Value),
            var number => condition.Value is not null and not string &&
                Convert.ToDouble(number, System.Globalization.CultureInfo.InvariantCulture) ==
                Convert.ToDouble(condition.Value, System.Globalization.CultureInfo.InvariantCulture),
        });
}
