using System.Buffers.Binary;
using VectorShard.Core.Search;
using VectorShard.Core.Storage;
using Xunit;

namespace VectorShard.Core.Tests;

/// <summary>
/// Float16 shards: half-precision BLOBs, values read back as the half-rounded floats, norms of the rounded
/// vectors, every search path (image blocks, batches, threads, quantized, filtered, across shards) against a
/// double-precision reference over the rounded vectors, the range check, persistence and file size.
/// </summary>
public sealed class Float16StorageTests : IDisposable
{
    private static readonly DistanceMetric[] Metrics = [DistanceMetric.Cosine, DistanceMetric.L2, DistanceMetric.Dot];

    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    public static TheoryData<DistanceMetric> AllMetrics() => new(Metrics);

    private static float RoundToHalf(float x) => (float)(Half)x;

    private static Shard NewShard(int dimension, DistanceMetric metric, string? path = null) =>
        Shard.Create(path ?? MemoryShard.NewPath(), new ShardOptions(dimension, metric, Precision: StoragePrecision.Float16));

    [Fact]
    public void Blob_IsTwoLittleEndianBytesPerComponent_AndDecodesToTheRoundedFloats()
    {
        float[] vector = [1f, -2f, 0.1f, 65504f, -65504f, 1e-7f, 3.14159f, 0f];
        var bytes = VectorBlob.ToBytes(vector, StoragePrecision.Float16);

        Assert.Equal(2 * vector.Length, bytes.Length);
        for (var i = 0; i < vector.Length; i++)
        {
            Assert.Equal(BitConverter.HalfToUInt16Bits((Half)vector[i]), BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(2 * i)));
        }

        Assert.Equal(vector.Select(RoundToHalf), VectorBlob.ToFloats(bytes, StoragePrecision.Float16));
        Assert.Equal(0x3C00, BinaryPrimitives.ReadUInt16LittleEndian(bytes)); // 1.0 in IEEE half
    }

    [Fact]
    public void Add_StoresHalfRoundedValues_AndEveryReadReturnsExactlyThem()
    {
        var path = _temp.File("round.vshard");
        float[] tricky = [0.1f, 1f / 3, -2.0004883f, 1e-7f, 6e-8f, 2049f, 65504f, -0.3f];
        var random = new Random(1);
        var inputs = new List<VectorInput> { new("tricky", tricky) };
        inputs.AddRange(Enumerable.Range(0, 50).Select(i => new VectorInput($"r{i}", RandomData.Vector(random, tricky.Length))));
        float[][] expected = inputs.Select(v => v.Vector.Select(RoundToHalf).ToArray()).ToArray();

        using (var shard = NewShard(tricky.Length, DistanceMetric.L2, path))
        {
            var records = shard.Add(inputs);
            for (var i = 0; i < inputs.Count; i++)
            {
                Assert.Equal(expected[i], records[i].Vector);
                // The norm is the rounded vector's (in double, then float), not the input's.
                Assert.Equal((float)Reference.Norm(expected[i]), records[i].Norm);
            }

            Assert.NotEqual(tricky, records[0].Vector);
        }

        Assert.Equal(2L * tricky.Length, RawSqlite.Scalar(path, "SELECT min(length(vector)) FROM vectors"));
        Assert.Equal(2L * tricky.Length, RawSqlite.Scalar(path, "SELECT max(length(vector)) FROM vectors"));
        using var reopened = Shard.Open(path);
        var byKey = reopened.GetByKeys(inputs.Select(v => v.Key!)).ToArray();
        var byId = reopened.GetByIds(byKey.Select(r => r.Id)).ToArray();
        var all = reopened.GetAll(pageSize: 7).ToArray();
        for (var i = 0; i < inputs.Count; i++)
        {
            Assert.Equal(expected[i], byKey[i].Vector);
            Assert.Equal(expected[i], byId[i].Vector);
            Assert.Equal(expected[i], all[i].Vector);
            Assert.Equal((float)Reference.Norm(expected[i]), all[i].Norm);
        }
    }

    [Fact]
    public void HalfRounding_OfUnitVectors_StaysWithinHalfPrecision()
    {
        var random = new Random(2);
        using var shard = NewShard(384, DistanceMetric.Cosine);
        var inputs = Enumerable.Range(0, 200).Select(_ =>
        {
            var v = RandomData.Vector(random, 384);
            var norm = (float)Reference.Norm(v);
            return new VectorInput(null, v.Select(x => x / norm).ToArray());
        }).ToArray();
        var records = shard.Add(inputs);

        var worstRelative = 0.0;
        for (var i = 0; i < inputs.Length; i++)
        {
            var input = inputs[i].Vector;
            var stored = shard.GetByIds([records[i].Id])[0].Vector;
            for (var c = 0; c < input.Length; c++)
            {
                // Half has 11 significant bits: round-to-nearest errs by at most 2^-11 of the value (2^-25 absolute among subnormals).
                var error = Math.Abs((double)stored[c] - input[c]);
                Assert.True(error <= Math.Max(Math.Abs(input[c]) * Math.Pow(2, -11), Math.Pow(2, -25)), $"row {i} component {c}: {input[c]:R} stored as {stored[c]:R}");
            }

            var difference = Math.Sqrt(input.Zip(stored, (a, b) => ((double)a - b) * ((double)a - b)).Sum());
            worstRelative = Math.Max(worstRelative, difference / Reference.Norm(input));
        }

        Assert.True(worstRelative <= 1e-3, $"worst relative error {worstRelative:E3}");
        Assert.True(worstRelative > 0, "the values were not rounded at all");
    }

    [Theory]
    [MemberData(nameof(AllMetrics))]
    public void Search_MatchesTheReferenceOverTheRoundedVectors_AndFollowsWrites(DistanceMetric metric)
    {
        // 6000 rows of 100: two chunks of halves (5242 rows each; L2 and Dot sort them by norm), and blocks of
        // 64 rows that divide neither chunk evenly.
        const int dimension = 100;
        var random = new Random(10 + (int)metric);
        using var shard = NewShard(dimension, metric, _temp.File($"search-{metric}.vshard"));
        var stored = new Dictionary<long, (string Key, float[] Vector)>();
        foreach (var record in shard.Add(Enumerable.Range(0, 6000).Select(i => new VectorInput($"k{i}", RandomData.Vector(random, dimension))).ToArray()))
        {
            stored[record.Id] = (record.Key!, record.Vector);
        }

        var queries = Enumerable.Range(0, 10).Select(_ => RandomData.Vector(random, dimension)).ToList();
        queries.Add(stored.Values.ElementAt(123).Vector);
        AssertSearches(shard, metric, queries, stored);

        // The image follows adds, upserts and removals.
        var added = shard.Add([new VectorInput("added", queries[0])]);
        var replaced = shard.Add([new VectorInput("k7", RandomData.Vector(random, dimension))], replaceExisting: true);
        var removed = shard.Remove(stored.Keys.Take(40).ToArray());
        stored[added[0].Id] = ("added", added[0].Vector);
        stored[replaced[0].Id] = ("k7", replaced[0].Vector);
        foreach (var id in removed)
        {
            stored.Remove(id);
        }

        Assert.Equal(40, removed.Count);
        AssertSearches(shard, metric, queries, stored);
    }

    [Fact]
    public void Search_OnSeveralThreads_MatchesTheReference()
    {
        // Above ChunkPartition.ParallelThresholdBytes (of float32 rows) the scan splits into runs of chunks, one buffer per thread.
        const int dimension = 128;
        var random = new Random(12);
        using var shard = NewShard(dimension, DistanceMetric.L2);
        var stored = shard.Add(Enumerable.Range(0, (int)(ChunkPartition.ParallelThresholdBytes / sizeof(float) / dimension) + 1000)
                .Select(i => new VectorInput(null, RandomData.Vector(random, dimension))).ToArray())
            .ToDictionary(r => r.Id, r => ("", r.Vector));
        var queries = Enumerable.Range(0, 3).Select(_ => RandomData.Vector(random, dimension)).ToList();
        AssertSearches(shard, DistanceMetric.L2, queries, stored, new SearchOptions(10, MaxThreads: 2), keys: false);
    }

    [Theory]
    [InlineData(DistanceMetric.Cosine, SearchQuantization.Int8)]
    [InlineData(DistanceMetric.L2, SearchQuantization.Int8)]
    [InlineData(DistanceMetric.Dot, SearchQuantization.Binary)]
    [InlineData(DistanceMetric.L2, SearchQuantization.Binary)]
    public void QuantizedSearch_WithEveryRowRescored_EqualsTheExactSearch(DistanceMetric metric, SearchQuantization quantization)
    {
        var random = new Random(13);
        using var shard = NewShard(40, metric);
        shard.Add(Enumerable.Range(0, 600).Select(i => new VectorInput($"r{i}", RandomData.Vector(random, 40))).ToArray());
        var query = RandomData.Vector(random, 40);
        var everything = new SearchOptions(10, Quantization: quantization, Oversample: 1000);
        AssertSame(shard.Search(query, new SearchOptions(10)), shard.Search(query, everything));

        // Codes built before a write follow it.
        shard.Add([new VectorInput("new", query)]);
        AssertSame(shard.Search(query, new SearchOptions(10)), shard.Search(query, everything));
    }

    [Theory]
    [InlineData(SearchQuantization.Int8, 0.95)]
    [InlineData(SearchQuantization.Int4, 0.95)]
    [InlineData(SearchQuantization.Binary, 0.9)] // 96 sign bits say less than 96 int4 codes
    public void QuantizedSearch_WithItsDefaultOversample_FindsTheExactNeighbours(SearchQuantization quantization, double minimumRecall)
    {
        var random = new Random(14);
        var centers = Enumerable.Range(0, 50).Select(_ => RandomData.Vector(random, 96)).ToArray();
        float[] Near(float[] center) => center.Select(x => x + (float)(RandomData.Gaussian(random) * 0.5)).ToArray();
        using var shard = NewShard(96, DistanceMetric.Cosine);
        shard.Add(Enumerable.Range(0, 2000).Select(i => new VectorInput(null, Near(centers[i % 50]))).ToArray());
        var queries = Enumerable.Range(0, 10).Select(i => Near(centers[i * 5])).ToArray();

        var exact = shard.SearchMany(queries, new SearchOptions(10));
        var quantized = shard.SearchMany(queries, new SearchOptions(10, Quantization: quantization));

        var recall = exact.Zip(quantized, (e, q) => e.Select(r => r.Id).Intersect(q.Select(r => r.Id)).Count()).Sum() / 100.0;
        Assert.True(recall >= minimumRecall, $"recall@10 = {recall:F3}");
    }

    [Theory]
    [MemberData(nameof(AllMetrics))]
    public void FilteredSearch_DecodesHalfBlobs_AndMatchesTheReference(DistanceMetric metric)
    {
        const int dimension = 33;
        var random = new Random(15);
        using var shard = NewShard(dimension, metric);
        var records = shard.Add(Enumerable.Range(0, 900).Select(i => new VectorInput($"k{i}", RandomData.Vector(random, dimension),
            new Dictionary<string, object?> { ["topic"] = i % 3 == 0 ? "a" : "b" })).ToArray());
        var admitted = records.Where((_, i) => i % 3 == 0).ToDictionary(r => r.Id, r => (r.Key!, r.Vector));
        var filter = new MetadataFilter(new Dictionary<string, object?> { ["topic"] = "a" });

        var queries = Enumerable.Range(0, 4).Select(_ => RandomData.Vector(random, dimension)).ToList();
        queries.Add(admitted.Values.First().Vector);
        AssertSearches(shard, metric, queries, admitted, new SearchOptions(15, Filter: filter));
    }

    [Theory]
    [MemberData(nameof(AllMetrics))]
    public void SearchAcrossFloat32AndFloat16Shards_MatchesTheReferenceOverTheirUnion(DistanceMetric metric)
    {
        var random = new Random(16);
        using var single = Shard.Create(MemoryShard.NewPath(), new ShardOptions(24, metric));
        using var half = NewShard(24, metric);
        var stored = new[] { single, half }.SelectMany(shard => shard.Add(Enumerable.Range(0, 400)
            .Select(i => new VectorInput(null, RandomData.Vector(random, 24))).ToArray())).ToArray();
        var queries = Enumerable.Range(0, 4).Select(_ => RandomData.Vector(random, 24)).ToArray();

        var results = MultiShardSearch.SearchMany([single, half], queries, new SearchOptions(10));

        for (var q = 0; q < queries.Length; q++)
        {
            var expected = stored.Select(r => (r.ShardPath, r.Id, Distance: Reference.Distance(metric, queries[q], r.Vector)))
                .OrderBy(r => r.Distance).Take(10).ToArray();
            Assert.Equal(expected.Select(e => (e.ShardPath, e.Id)), results[q].Select(r => (r.ShardPath, r.Id)));
            Assert.All(results[q].Zip(expected), p => Assert.Equal(p.Second.Distance, p.First.Distance, Math.Max(1e-4, Math.Abs(p.Second.Distance) * 1e-4)));
            Assert.Contains(results[q], r => r.ShardPath == half.Path);
        }
    }

    [Fact]
    public void Float16File_IsAboutHalfTheSizeOfFloat32()
    {
        const int dimension = 384;
        var random = new Random(17);
        var inputs = Enumerable.Range(0, 5000).Select(_ => new VectorInput(null, RandomData.Vector(random, dimension))).ToArray();
        long SizeOf(StoragePrecision precision)
        {
            var path = _temp.File($"size-{precision}.vshard");
            using (var shard = Shard.Create(path, new ShardOptions(dimension, DistanceMetric.L2, Precision: precision)))
            {
                foreach (var batch in inputs.Chunk(1000))
                {
                    shard.Add(batch);
                }
            }

            // Closing checkpoints the WAL into the file.
            return new FileInfo(path).Length;
        }

        var single = SizeOf(StoragePrecision.Float32);
        var half = SizeOf(StoragePrecision.Float16);
        Assert.True(single > 5000L * dimension * 4, $"Float32 file {single} bytes");
        Assert.True((double)half / single < 0.6, $"Float16 {half} bytes, Float32 {single} bytes: ratio {(double)half / single:F3}");
    }

    [Fact]
    public void Precision_IsStored_AndKeptAfterReopening()
    {
        var path = _temp.File("persist.vshard");
        using (var shard = NewShard(3, DistanceMetric.L2, path))
        {
            Assert.Equal(StoragePrecision.Float16, shard.Header.Precision);
            Assert.Equal(StoragePrecision.Float16, shard.Describe().Precision);
            shard.Add([new VectorInput("a", [0.1f, 0.2f, 0.3f])]);
        }

        Assert.Equal(1, RawSqlite.Scalar(path, "SELECT count(*) FROM shard_info WHERE name = 'precision' AND value = 'Float16'"));
        using var reopened = Shard.Open(path);
        Assert.Equal(StoragePrecision.Float16, reopened.Header.Precision);
        Assert.Equal(StoragePrecision.Float16, reopened.Describe().Precision);
        Assert.Equal([RoundToHalf(0.1f), RoundToHalf(0.2f), RoundToHalf(0.3f)], reopened.GetByKeys(["a"])[0].Vector);
        Assert.Equal("a", reopened.Search([0.1f, 0.2f, 0.3f], new SearchOptions(1))[0].Key);

        using var single = Shard.Create(MemoryShard.NewPath(), new ShardOptions(3));
        Assert.Equal(StoragePrecision.Float32, single.Describe().Precision);
    }

    [Fact]
    public void ShardWithoutAPrecisionRow_OpensAsFloat32()
    {
        // Shards written before float16 storage have no 'precision' row.
        var path = _temp.File("older.vshard");
        using (var shard = Shard.Create(path, new ShardOptions(2, DistanceMetric.L2)))
        {
            shard.Add([new VectorInput("a", [0.1f, 3f]), new VectorInput("b", [1f, 1f])]);
        }

        RawSqlite.Execute(path, "DELETE FROM shard_info WHERE name = 'precision'");
        Assert.Equal(0, RawSqlite.Scalar(path, "SELECT count(*) FROM shard_info WHERE name = 'precision'"));

        using var older = Shard.Open(path);
        Assert.Equal(StoragePrecision.Float32, older.Header.Precision);
        Assert.Equal(StoragePrecision.Float32, older.Describe().Precision);
        Assert.Equal([0.1f, 3f], older.GetByKeys(["a"])[0].Vector);
        Assert.Equal("b", older.Search([1f, 1.1f], new SearchOptions(1))[0].Key);
    }

    [Theory]
    [InlineData("Float64")]
    [InlineData("7")]
    public void ShardWithAnUnknownPrecision_IsNotAShard(string value)
    {
        var path = _temp.File("damaged.vshard");
        Shard.Create(path, new ShardOptions(2)).Dispose();
        RawSqlite.Execute(path, $"UPDATE shard_info SET value = '{value}' WHERE name = 'precision'");
        ShardAssert.Throws("NotAShard", ShardErrorCategory.InvalidData, () => Shard.Open(path));
    }

    [Fact]
    public void UnknownPrecisionOption_IsRefused()
    {
        var error = ShardAssert.Throws("UnknownPrecision", ShardErrorCategory.InvalidArgument,
            () => Shard.Create(_temp.File("unknown.vshard"), new ShardOptions(2, Precision: (StoragePrecision)9)));
        Assert.False(File.Exists(_temp.File("unknown.vshard")));
        Assert.Equal((StoragePrecision)9, error.TargetObject);
    }

    [Theory]
    [InlineData(65505f)]
    [InlineData(-70000f)]
    [InlineData(1e30f)]
    public void OutOfHalfRange_IsVectorOutOfRange_NamingRowAndComponent_AndLeavesTheShardUnchanged(float value)
    {
        using var shard = NewShard(3, DistanceMetric.L2, _temp.File("range.vshard"));
        shard.Add([new VectorInput("kept", [1, 2, 3])]);
        var before = ShardSnapshot.Take(shard);

        var error = ShardAssert.Throws("VectorOutOfRange", ShardErrorCategory.InvalidData,
            () => shard.Add([new VectorInput("fine", [4, 5, 6]), new VectorInput("bad", [1, 2, value]), new VectorInput(null, [7, 8, 9])]));

        Assert.Contains("'bad'", error.Message);
        Assert.Contains("index 2", error.Message);
        Assert.Contains("65504", error.Message);
        Assert.Equal(value, error.TargetObject);
        Assert.Equal(before, ShardSnapshot.Take(shard));

        // A keyless row is named by its position.
        var positional = ShardAssert.Throws("VectorOutOfRange", ShardErrorCategory.InvalidData,
            () => shard.Add([new VectorInput(null, [4, 5, 6]), new VectorInput(null, [value, 0, 0])]));
        Assert.Contains("#2", positional.Message);
        Assert.Contains("index 0", positional.Message);
        Assert.Equal(before, ShardSnapshot.Take(shard));
    }

    [Fact]
    public void HalfRangeLimits_AreStored_AndFloat32ShardsKeepLargerValues()
    {
        using var half = NewShard(2, DistanceMetric.L2);
        Assert.Equal([65504f, -65504f], half.Add([new VectorInput("max", [65504f, -65504f])])[0].Vector);

        using var single = Shard.Create(MemoryShard.NewPath(), new ShardOptions(2, DistanceMetric.L2));
        Assert.Equal([70000f, -1e10f], single.Add([new VectorInput("big", [70000f, -1e10f])])[0].Vector);
    }

    [Fact]
    public void CosineVector_ThatRoundsToZero_IsZeroVector()
    {
        // 1e-9 is below half's smallest subnormal (6e-8): stored, the vector would have no direction.
        using var shard = NewShard(2, DistanceMetric.Cosine);
        ShardAssert.Throws("ZeroVector", ShardErrorCategory.InvalidArgument, () => shard.Add([new VectorInput("tiny", [1e-9f, -1e-9f])]));
        Assert.Equal(0, shard.Describe().Count);
    }

    // Each query through Shard.SearchMany (one batch, so query groups are exercised) and Shard.Search
    // against the double-precision ranking of the stored (rounded) vectors.
    private static void AssertSearches(Shard shard, DistanceMetric metric, IReadOnlyList<float[]> queries,
        IReadOnlyDictionary<long, (string Key, float[] Vector)> stored, SearchOptions? options = null, bool keys = true)
    {
        options ??= new SearchOptions(20);
        var batch = shard.SearchMany(queries, options);
        var meanNorm = stored.Values.Average(r => Reference.Norm(r.Vector));
        for (var q = 0; q < queries.Count; q++)
        {
            var reference = Reference.Rank(metric, queries[q], stored.Select(r => (r.Key, r.Value.Vector)));
            var scale = metric switch
            {
                DistanceMetric.Cosine => 0.1,
                DistanceMetric.L2 => 0.01 * Reference.Norm(queries[q]),
                _ => 0.1 * Reference.Norm(queries[q]) * meanNorm,
            };
            foreach (var results in (IReadOnlyList<SearchResult>[])[batch[q], shard.Search(queries[q], options, q)])
            {
                Assert.Equal(Math.Min(options.K, reference.Count), results.Count);
                for (var i = 0; i < results.Count; i++)
                {
                    var at = $"{metric} query {q} rank {i + 1}";
                    var expected = reference[i].Distance;
                    var tolerance = 1e-4 * Math.Max(Math.Abs(expected), scale);
                    Assert.True(Math.Abs(results[i].Distance - expected) <= tolerance, $"{at}: distance {results[i].Distance:R}, reference {expected:R}");
                    Assert.True(stored.TryGetValue(results[i].Id, out var row), $"{at}: unknown id {results[i].Id}");
                    Assert.True(Math.Abs(Reference.Distance(metric, queries[q], row.Vector) - expected) <= 2 * tolerance, $"{at}: id {results[i].Id} is not at that distance");
                    if (keys)
                    {
                        Assert.Equal(row.Key, results[i].Key);
                    }

                    var untied = (i == 0 || expected - reference[i - 1].Distance > 2 * tolerance)
                        && (i + 1 >= reference.Count || reference[i + 1].Distance - expected > 2 * tolerance);
                    if (untied)
                    {
                        Assert.Equal(reference[i].Id, results[i].Id);
                    }
                }
            }
        }
    }

    private static void AssertSame(IReadOnlyList<SearchResult> expected, IReadOnlyList<SearchResult> actual)
    {
        Assert.Equal(expected.Select(r => r.Id), actual.Select(r => r.Id));
        Assert.All(expected.Zip(actual), pair => Assert.Equal(pair.First.Distance, pair.Second.Distance, Math.Max(1e-6, Math.Abs(pair.First.Distance) * 1e-5)));
    }
}
