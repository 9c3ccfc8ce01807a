using System.Text.Json;

namespace VectorShard.Core.Tests;

/// <summary>
/// Shard.Search against a naive double-precision reference computed here: every metric, dimensions that
/// are and are not multiples of the SIMD width, k below and above the row count, MaxDistance and filters.
/// </summary>
public sealed class SearchOracleTests : IClassFixture<OracleFixture>, IDisposable
{
    private static readonly DistanceMetric[] Metrics = [DistanceMetric.Cosine, DistanceMetric.L2, DistanceMetric.Dot];

    // 3 and 17 leave SIMD tails (Vector<float>.Count is 8 here, 16 with Vector512); 128 is whole vectors.
    private static readonly int[] Dimensions = [3, 17, 128];

    private readonly OracleFixture _fixture;
    private readonly TempDirectory _temp = new();

    public SearchOracleTests(OracleFixture fixture) => _fixture = fixture;

    public void Dispose() => _temp.Dispose();

    public static TheoryData<DistanceMetric, int> Cases()
    {
        var data = new TheoryData<DistanceMetric, int>();
        foreach (var metric in Metrics)
        {
            foreach (var dimension in Dimensions)
            {
                data.Add(metric, dimension);
            }
        }

        return data;
    }

    public static TheoryData<DistanceMetric> AllMetrics() => new(Metrics);

    [Theory]
    [MemberData(nameof(Cases))]
    public void Search_MatchesReference_ForEveryK(DistanceMetric metric, int dimension)
    {
        var data = _fixture.Get(metric, dimension);
        for (var q = 0; q < data.Queries.Count; q++)
        {
            var query = data.Queries[q];
            var reference = data.Rank(query);
            foreach (var k in (int[])[1, 5, 50])
            {
                var results = data.Shard.Search(query, new SearchOptions(k), queryIndex: q);
                AssertMatches(data, query, q, results, reference, k, $"{metric} dim {dimension} query {q} k {k}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(AllMetrics))]
    public void Search_KAboveCount_ReturnsEveryRowInReferenceOrder(DistanceMetric metric)
    {
        // Dimension 3 has the most near-ties over a full ranking of 2000 rows.
        const int dimension = 3;
        var data = _fixture.Get(metric, dimension);
        var query = data.Queries[0];
        var results = data.Shard.Search(query, new SearchOptions(OracleData.RowCount + 500));
        AssertMatches(data, query, 0, results, data.Rank(query), OracleData.RowCount, $"{metric} dim {dimension} all rows");
    }

    [Theory]
    [MemberData(nameof(AllMetrics))]
    public void Search_InMemoryShard_MatchesReference(DistanceMetric metric)
    {
        var data = _fixture.Get(metric, 17, inMemory: true);
        Assert.True(data.Shard.IsInMemory);
        for (var q = 0; q < data.Queries.Count; q++)
        {
            var query = data.Queries[q];
            var results = data.Shard.Search(query, new SearchOptions(50), q);
            AssertMatches(data, query, q, results, data.Rank(query), 50, $"in-memory {metric} query {q}");
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Search_MaxDistance_KeepsExactlyTheRowsWithinIt(DistanceMetric metric, int dimension)
    {
        var data = _fixture.Get(metric, dimension);
        var checkedQueries = 0;
        for (var q = 0; q < data.Queries.Count; q++)
        {
            var query = data.Queries[q];
            var reference = data.Rank(query);

            // Cut where the reference has its widest gap among ranks 10..40, so float rounding cannot move a row across.
            var cut = Enumerable.Range(10, 31).MaxBy(c => reference[c].Distance - reference[c - 1].Distance);
            var low = reference[cut - 1].Distance;
            var high = reference[cut].Distance;
            if (high - low <= 4 * data.Tolerance(query, high))
            {
                continue;
            }

            checkedQueries++;
            var threshold = (float)((low + high) / 2);
            var context = $"{metric} dim {dimension} query {q} threshold {threshold}";
            AssertMatches(data, query, q, data.Shard.Search(query, new SearchOptions(50, threshold), q), reference, cut, context);
            AssertMatches(data, query, q, data.Shard.Search(query, new SearchOptions(5, threshold), q), reference, 5, context + " k 5");

            var belowAll = (float)(reference[0].Distance - 10 * data.Tolerance(query, reference[0].Distance) - 1e-3);
            Assert.Empty(data.Shard.Search(query, new SearchOptions(50, belowAll), q));
        }

        Assert.True(checkedQueries >= 3, $"only {checkedQueries} queries had a clear threshold gap");
    }

    /// <summary>Filter conditions by name: equality on string, long, int, bool, double, dotted paths, and null.</summary>
    private static readonly Dictionary<string, Dictionary<string, object?>> FilterCases = new()
    {
        ["string"] = new() { ["color"] = "red" },
        ["long"] = new() { ["bucket"] = 3L },
        ["int"] = new() { ["bucket"] = 5 },
        ["bool true"] = new() { ["even"] = true },
        ["bool false"] = new() { ["even"] = false },
        ["nested string"] = new() { ["source.lang"] = "de" },
        ["nested long"] = new() { ["source.page"] = 4L },
        ["double"] = new() { ["score"] = 2.5 },
        ["whole double"] = new() { ["score"] = 2.0 },
        ["null matches missing or null"] = new() { ["opt"] = null },
        ["null on a path nobody has"] = new() { ["source.nothing.here"] = null },
        ["two conditions"] = new() { ["color"] = "blue", ["even"] = false },
        ["three conditions"] = new() { ["color"] = "green", ["source.lang"] = "en", ["opt"] = null },
        ["no match"] = new() { ["color"] = "purple" },
        ["type mismatch"] = new() { ["color"] = 1L },
        ["empty"] = new(),
    };

    [Theory]
    [MemberData(nameof(AllMetrics))]
    public void Search_Filter_MatchesReference(DistanceMetric metric)
    {
        // Filtering happens in SQL before any distance is computed, so one dimension (with a SIMD tail) suffices.
        const int dimension = 17;
        var data = _fixture.Get(metric, dimension);
        foreach (var (name, conditions) in FilterCases)
        {
            var filter = new MetadataFilter(conditions);
            // A random query with k = every row (the whole filtered set), and a stored vector with small k.
            foreach (var (q, ks) in (ReadOnlySpan<(int, int[])>)[(0, [OracleData.RowCount]), (5, [1, 5, 50])])
            {
                var query = data.Queries[q];
                var reference = data.Rank(query, row => FilterMatches(row.Metadata, conditions));
                foreach (var k in ks)
                {
                    var results = data.Shard.Search(query, new SearchOptions(k, Filter: filter), q);
                    AssertMatches(data, query, q, results, reference, Math.Min(k, reference.Count),
                        $"{metric} dim {dimension} filter '{name}' query {q} k {k}");
                }
            }
        }
    }

    [Fact]
    public void Filter_SanityOfTheReferencePredicate()
    {
        // Guards the oracle itself: each filter case selects a plausible share of the 2000 rows.
        var data = _fixture.Get(DistanceMetric.L2, 3);
        int Count(string name) => data.Rows.Count(r => FilterMatches(r.Metadata, FilterCases[name]));
        Assert.InRange(Count("string"), 500, 700);
        Assert.InRange(Count("bool true"), 900, 1000);
        Assert.InRange(Count("null matches missing or null"), 1000, 1700);
        Assert.Equal(OracleData.RowCount, Count("null on a path nobody has"));
        Assert.Equal(OracleData.RowCount, Count("empty"));
        Assert.Equal(0, Count("no match"));
        Assert.Equal(0, Count("type mismatch"));
    }

    [Theory]
    [MemberData(nameof(AllMetrics))]
    public void Oracle_RejectsWrongResults(DistanceMetric metric)
    {
        // Guards the comparison itself: each corruption of a correct answer must be caught.
        var data = _fixture.Get(metric, 17);
        var query = data.Queries[1];
        var reference = data.Rank(query);
        var good = data.Shard.Search(query, new SearchOptions(10), 1);
        AssertMatches(data, query, 1, good, reference, 10, "good");

        SearchResult With(SearchResult r, int? rank = null, long? id = null, float? distance = null)
        {
            var row = data.ById[id ?? r.Id];
            return new SearchResult(r.QueryIndex, rank ?? r.Rank, row.Id, row.Key, distance ?? r.Distance, row.Metadata, r.ShardPath);
        }

        var farthest = reference[^1].Id;
        var corruptions = new Dictionary<string, SearchResult[]>
        {
            ["one missing"] = good.Take(9).ToArray(),
            ["first dropped"] = good.Skip(1).Select((r, i) => With(r, rank: i + 1)).ToArray(),
            ["swapped"] = good.Select((r, i) => i == 3 ? With(good[6], rank: 4) : i == 6 ? With(good[3], rank: 7) : r).ToArray(),
            ["distance off by 0.1%"] = good.Select((r, i) => i == 4 ? With(r, distance: r.Distance + Math.Abs(r.Distance) * 1e-3f + 1e-3f) : r).ToArray(),
            ["wrong row at the right distance"] = good.Select((r, i) => i == 9 ? With(r, id: farthest) : r).ToArray(),
            ["wrong rank"] = good.Select((r, i) => i == 2 ? With(r, rank: 5) : r).ToArray(),
        };
        foreach (var (name, wrong) in corruptions)
        {
            var caught = Record.Exception(() => AssertMatches(data, query, 1, wrong, reference, 10, name));
            Assert.True(caught is Xunit.Sdk.XunitException, $"the oracle accepted: {name}");
        }
    }

    [Theory]
    [MemberData(nameof(AllMetrics))]
    public void Search_EqualDistances_AreOrderedById(DistanceMetric metric)
    {
        using var shard = Shard.Create(_temp.File("ties.vshard"), new ShardOptions(5, metric));
        var random = new Random(5);
        var tied = new[] { 0.5f, -1.25f, 2f, 0.75f, 1f };
        var batch = new List<VectorInput>();
        for (var i = 0; i < 30; i++)
        {
            // Every third row is the same vector; the others are random.
            batch.Add(new VectorInput($"r{i}", i % 3 == 1 ? (float[])tied.Clone() : RandomData.Vector(random, 5)));
        }

        var ids = shard.Add(batch).Where((_, i) => i % 3 == 1).Select(r => r.Id).ToArray();

        // The 10 copies are all at exactly the same distance from any query.
        var query = metric == DistanceMetric.Dot ? tied.Select(x => x * 100f).ToArray() : tied;

        // Among all results, the copies come as one run, by id.
        var all = shard.Search(query, new SearchOptions(30));
        var copies = all.Where(r => ids.Contains(r.Id)).ToArray();
        Assert.Equal(10, copies.Length);
        Assert.Single(copies.Select(r => r.Distance).Distinct());
        Assert.Equal(ids, copies.Select(r => r.Id));
        var first = all.ToList().FindIndex(r => ids.Contains(r.Id));
        Assert.Equal(ids, all.Skip(first).Take(10).Select(r => r.Id));

        // Cutting through the tie keeps the lowest ids (for Cosine and L2 the copies are the nearest rows).
        if (metric != DistanceMetric.Dot)
        {
            Assert.Equal(0, first);
        }

        var cut = shard.Search(query, new SearchOptions(first + 4));
        Assert.Equal(ids.Take(4), cut.Skip(first).Select(r => r.Id));
    }

    [Fact]
    public void Search_MaxDistance_IsInclusive()
    {
        using var shard = Shard.Create(_temp.File("inclusive.vshard"), new ShardOptions(3, DistanceMetric.L2));
        shard.Add([new VectorInput("five", [3, 4, 0]), new VectorInput("six", [0, 6, 0]), new VectorInput("one", [1, 0, 0])]);

        var results = shard.Search([0, 0, 0], new SearchOptions(10, MaxDistance: 5f));

        Assert.Equal(["one", "five"], results.Select(r => r.Key));
        Assert.Equal([1f, 5f], results.Select(r => r.Distance));
    }

    [Fact]
    public void Search_ResultCarriesKeyMetadataRankPathAndQueryIndex()
    {
        var path = _temp.File("fields.vshard");
        using var shard = Shard.Create(path, new ShardOptions(2, DistanceMetric.L2));
        shard.Add([
            new VectorInput("a", [1, 0], new Dictionary<string, object?> { ["n"] = 1L }),
            new VectorInput(null, [2, 0], null),
            new VectorInput("c", [3, 0], new Dictionary<string, object?> { ["tag"] = "far" }),
        ]);

        var results = shard.Search([0, 0], new SearchOptions(3), queryIndex: 7);

        Assert.Equal([1, 2, 3], results.Select(r => r.Rank));
        Assert.All(results, r => Assert.Equal(7, r.QueryIndex));
        Assert.All(results, r => Assert.Equal(path, r.ShardPath));
        Assert.Equal(["a", null, "c"], results.Select(r => r.Key));
        Assert.Equal(1L, results[0].Metadata!["n"]);
        Assert.Null(results[1].Metadata);
        Assert.Equal("far", results[2].Metadata!["tag"]);
        Assert.Equal([1f, 2f, 3f], results.Select(r => r.Distance));
    }

    [Theory]
    [InlineData(SearchQuantization.None)]
    [InlineData(SearchQuantization.Int8)]
    public void Search_KeysAndMetadataFollowWritesMadeAfterTheFirstSearch(SearchQuantization quantization)
    {
        using var shard = Shard.Create(_temp.File($"labels-{quantization}.vshard"), new ShardOptions(2, DistanceMetric.L2));
        var options = new SearchOptions(10, Quantization: quantization);
        var stored = shard.Add([
            new VectorInput("a", [1, 0], new Dictionary<string, object?> { ["n"] = 1L }),
            new VectorInput("b", [2, 0]),
            new VectorInput(null, [3, 0], new Dictionary<string, object?> { ["tag"] = "x" }),
            new VectorInput("d", [4, 0]),
        ]);
        Assert.Equal(["a", "b", null, "d"], shard.Search([0, 0], options).Select(r => r.Key));

        // Metadata dropped from one row and given to another, a new row, and a removal from the middle (the last row moves into its place).
        shard.Add([
            new VectorInput("a", [1, 0]),
            new VectorInput("b", [2, 0], new Dictionary<string, object?> { ["n"] = 2L }),
            new VectorInput("e", [0.5f, 0], new Dictionary<string, object?> { ["e"] = true }),
        ], replaceExisting: true);
        shard.Remove([stored[2].Id]);

        var results = shard.Search([0, 0], options);
        Assert.Equal(["e", "a", "b", "d"], results.Select(r => r.Key));
        Assert.Equal(["{\"e\":true}", "null", "{\"n\":2}", "null"], results.Select(r => JsonSerializer.Serialize(r.Metadata)));
    }

    [Fact]
    public void Search_EmptyShard_ReturnsNothing()
    {
        using var shard = Shard.Create(MemoryShard.NewPath(), new ShardOptions(4));
        Assert.Empty(shard.Search([1, 2, 3, 4], new SearchOptions(5)));
    }

    [Fact]
    public void Search_RemovedRows_AreNotFound()
    {
        using var shard = Shard.Create(_temp.File("removed.vshard"), new ShardOptions(2, DistanceMetric.L2));
        var records = shard.Add([new VectorInput("a", [0, 0]), new VectorInput("b", [1, 0]), new VectorInput("c", [2, 0])]);
        shard.Remove([records[0].Id]);

        Assert.Equal(["b", "c"], shard.Search([0, 0], new SearchOptions(10)).Select(r => r.Key));
    }

    [Fact]
    public void Search_HugeK_ReturnsEveryRow()
    {
        using var shard = Shard.Create(_temp.File("hugek.vshard"), new ShardOptions(2, DistanceMetric.L2));
        shard.Add([new VectorInput("a", [0, 0]), new VectorInput("b", [1, 0])]);

        Assert.Equal(["a", "b"], shard.Search([0, 0], new SearchOptions(int.MaxValue)).Select(r => r.Key));
    }

    [Fact]
    public void Add_NormAboveTheLimit_IsNormOverflow_SoEveryDistanceStaysFinite()
    {
        using var shard = Shard.Create(MemoryShard.NewPath(), new ShardOptions(2, DistanceMetric.L2));
        ShardAssert.Throws("NormOverflow", ShardErrorCategory.InvalidArgument, () => shard.Add([new VectorInput("big", [1.5e19f, 0])]));

        // Just under the limit, the farthest pair's distance is still finite and right.
        shard.Add([new VectorInput("near", [0.9e18f, 0]), new VectorInput("far", [-0.9e18f, 0])]);
        var results = shard.Search([0.9e18f, 0], new SearchOptions(2, MaxDistance: 1e19f));
        Assert.Equal(["near", "far"], results.Select(r => r.Key));
        Assert.Equal(1.8e18, results[1].Distance, 1.8e18 * 1e-6);
    }

    [Fact]
    public void Cosine_TinyVectors_AreNormUnderflow_AndSmallOnesKeepTheirAngle()
    {
        using var shard = Shard.Create(MemoryShard.NewPath(), new ShardOptions(2, DistanceMetric.Cosine));

        // Not all zeros, so not ZeroVector: too short to measure an angle.
        ShardAssert.Throws("NormUnderflow", ShardErrorCategory.InvalidArgument, () => shard.Add([new VectorInput("tiny", [1e-25f, 1e-25f])]));

        shard.Add([new VectorInput("a", [3e-9f, 4e-9f]), new VectorInput("b", [4e-9f, 3e-9f])]);
        var results = shard.Search([3e-9f, 4e-9f], new SearchOptions(3));
        var b = results.Single(r => r.Key == "b");
        Assert.Equal(1 - 24.0 / 25.0, b.Distance, 1e-5); // as for [3, 4] and [4, 3]
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(int.MinValue)]
    public void Search_KBelowOne_IsInvalidK(int k)
    {
        using var shard = Shard.Create(MemoryShard.NewPath(), new ShardOptions(2, DistanceMetric.L2));
        shard.Add([new VectorInput("a", [0, 0])]);
        ShardAssert.Throws("InvalidK", ShardErrorCategory.InvalidArgument, () => shard.Search([0, 0], new SearchOptions(k)));
    }

    [Fact]
    public void Search_BadQueries_AreRejected()
    {
        using var shard = Shard.Create(MemoryShard.NewPath(), new ShardOptions(3, DistanceMetric.Cosine));
        shard.Add([new VectorInput("a", [1, 0, 0])]);

        ShardAssert.Throws("DimensionMismatch", ShardErrorCategory.InvalidArgument, () => shard.Search([1, 0], new SearchOptions()));
        ShardAssert.Throws("EmptyVector", ShardErrorCategory.InvalidArgument, () => shard.Search([], new SearchOptions()));
        ShardAssert.Throws("NonFiniteComponent", ShardErrorCategory.InvalidArgument, () => shard.Search([1, float.NaN, 0], new SearchOptions()));
        ShardAssert.Throws("NonFiniteComponent", ShardErrorCategory.InvalidArgument, () => shard.Search([1, 0, float.NegativeInfinity], new SearchOptions()));
        ShardAssert.Throws("ZeroVector", ShardErrorCategory.InvalidArgument, () => shard.Search([0, 0, 0], new SearchOptions()));
    }

    [Theory]
    [InlineData(DistanceMetric.L2)]
    [InlineData(DistanceMetric.Dot)]
    public void Search_ZeroVectors_AreFineOutsideCosine(DistanceMetric metric)
    {
        using var shard = Shard.Create(MemoryShard.NewPath(), new ShardOptions(2, metric));
        shard.Add([new VectorInput("zero", [0, 0]), new VectorInput("one", [1, 1])]);

        var results = shard.Search([0, 0], new SearchOptions(2));

        Assert.Equal(2, results.Count);
        Assert.Equal(0f, results[0].Distance);
        Assert.Equal("zero", results[0].Key);
    }

    [Theory]
    [InlineData("")]
    [InlineData("  ")]
    [InlineData("a..b")]
    [InlineData(".a")]
    [InlineData("a.")]
    [InlineData("a\"b")]
    public void Filter_BadFieldNames_AreInvalidFilter(string field) =>
        ShardAssert.Throws("InvalidFilter", ShardErrorCategory.InvalidArgument,
            () => new MetadataFilter(new Dictionary<string, object?> { [field] = "x" }));

    [Fact]
    public void Filter_ValuesThatCannotBeCompared_AreInvalidFilter()
    {
        foreach (var value in (object[])[DateTime.UtcNow, new[] { 1, 2 }, new Dictionary<string, object?>(), new object()])
        {
            ShardAssert.Throws("InvalidFilter", ShardErrorCategory.InvalidArgument,
                () => new MetadataFilter(new Dictionary<string, object?> { ["field"] = value }));
        }
    }

    /// <summary>Checks one result list against the reference ranking.</summary>
    private static void AssertMatches(OracleData data, float[] query, int queryIndex, IReadOnlyList<SearchResult> actual,
        List<(long Id, double Distance)> reference, int expectedCount, string context)
    {
        Assert.True(expectedCount == actual.Count, $"{context}: {actual.Count} results, expected {expectedCount}");
        Assert.True(actual.Select(r => r.Id).Distinct().Count() == actual.Count, $"{context}: duplicate ids");
        for (var i = 0; i < actual.Count; i++)
        {
            var result = actual[i];
            var at = $"{context}, rank {i + 1}";
            Assert.Equal(queryIndex, result.QueryIndex);
            Assert.Equal(i + 1, result.Rank);
            Assert.True(data.ById.TryGetValue(result.Id, out var row), $"{at}: unknown id {result.Id}");
            Assert.Equal(row!.Key, result.Key);
            Assert.Equal(data.Shard.Path, result.ShardPath);
            Assert.Equal(data.MetadataJsonOf(row.Id), JsonSerializer.Serialize(result.Metadata));

            // The distance sequence matches the reference's within tolerance ...
            var expected = reference[i].Distance;
            var tolerance = data.Tolerance(query, expected);
            Assert.True(Math.Abs(result.Distance - expected) <= tolerance,
                $"{at}: distance {result.Distance:R}, reference {expected:R} (tolerance {tolerance:E2})");

            // ... the row returned really lies at that distance (so near-ties may swap, nothing else) ...
            var own = Reference.Distance(data.Metric, query, row.Vector);
            Assert.True(Math.Abs(own - expected) <= 2 * tolerance,
                $"{at}: id {result.Id} is at {own:R}, but rank {i + 1} of the reference is at {expected:R}");

            // ... results are sorted, equal distances by id ...
            if (i > 0)
            {
                var previous = actual[i - 1];
                Assert.True(previous.Distance < result.Distance || (previous.Distance == result.Distance && previous.Id < result.Id),
                    $"{at}: out of order after ({previous.Id}, {previous.Distance:R})");
            }

            // ... and where the reference has no near-tie around this rank, the very same id.
            var clearBefore = i == 0 || expected - reference[i - 1].Distance > 2 * tolerance;
            var clearAfter = i + 1 >= reference.Count || reference[i + 1].Distance - expected > 2 * tolerance;
            if (clearBefore && clearAfter)
            {
                Assert.True(reference[i].Id == result.Id, $"{at}: id {result.Id}, reference id {reference[i].Id} (untied)");
            }
        }
    }

    /// <summary>The reference semantics of MetadataFilter, evaluated on the metadata the test wrote.</summary>
    private static bool FilterMatches(IReadOnlyDictionary<string, object?>? metadata, IReadOnlyDictionary<string, object?> conditions)
    {
        foreach (var (field, wanted) in conditions)
        {
            object? value = metadata;
            var found = true;
            foreach (var segment in field.Split('.'))
            {
                if (value is IReadOnlyDictionary<string, object?> map && map.TryGetValue(segment, out var next))
                {
                    value = next;
                }
                else
                {
                    found = false;
                    break;
                }
            }

            if (wanted is null)
            {
                if (found && value is not null)
                {
                    return false;
                }

                continue;
            }

            if (!found || value is null || !SameJsonValue(value, wanted))
            {
                return false;
            }
        }

        return true;
    }

    private static bool SameJsonValue(object stored, object wanted) => (stored, wanted) switch
    {
        (string a, string b) => string.Equals(a, b, StringComparison.Ordinal),
        (bool a, bool b) => a == b,
        (bool or string, _) or (_, bool or string) => false,
        _ => Convert.ToDouble(stored, System.Globalization.CultureInfo.InvariantCulture) ==
             Convert.ToDouble(wanted, System.Globalization.CultureInfo.InvariantCulture),
    };
}
