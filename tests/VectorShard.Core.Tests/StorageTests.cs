using System.Collections;
using System.Numerics.Tensors;

namespace VectorShard.Core.Tests;

/// <summary>What goes in comes back: vectors bit for bit, keys, metadata, timestamps and versions.</summary>
public sealed class StorageTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private static readonly float[][] SpecialVectors =
    [
        [-0f, 0f, 1f, -1f, 0.1f, 1f / 3f],
        [float.Epsilon, -float.Epsilon, 1e-40f, -1.17549421E-38f /* largest subnormal */, 1.17549435E-38f /* smallest normal */, 5f],
        [1e15f, -1e15f, 123456.789f, -0.000123f, float.MaxValue / 1e21f /* near the norm limit */, 2f],
        [0f, -0f, 0f, -0f, 0f, 0f],
    ];

    [Fact]
    public void Vectors_RoundTripBitExact_ThroughEveryReadPathAndReopen()
    {
        var path = _temp.File("bits.vshard");
        long[] ids;
        using (var shard = Shard.Create(path, new ShardOptions(6, DistanceMetric.L2)))
        {
            var written = shard.Add(SpecialVectors.Select((v, i) => new VectorInput($"v{i}", (float[])v.Clone())).ToArray());
            ids = written.Select(r => r.Id).ToArray();
            AssertBits(shard.GetByKeys(["v0", "v1", "v2", "v3"]));
            AssertBits(shard.GetByIds(ids));
            AssertBits(shard.GetAll().ToArray());
        }

        using (var reopened = Shard.Open(path))
        {
            AssertBits(reopened.GetByIds(ids));
            AssertBits(reopened.GetAll().ToArray());
        }

        static void AssertBits(IReadOnlyList<VectorRecord> records)
        {
            Assert.Equal(SpecialVectors.Length, records.Count);
            for (var i = 0; i < records.Count; i++)
            {
                Assert.Equal($"v{i}", records[i].Key);
                Assert.Equal(SpecialVectors[i].Select(BitConverter.SingleToInt32Bits), records[i].Vector.Select(BitConverter.SingleToInt32Bits));
                // The norm is computed in double and rounded once.
                Assert.Equal((float)Math.Sqrt(SpecialVectors[i].Sum(x => (double)x * x)), records[i].Norm);
            }
        }
    }

    [Fact]
    public void Norm_IsTheEuclideanLength()
    {
        using var shard = Shard.Create(MemoryShard.NewPath(), new ShardOptions(3, DistanceMetric.Cosine));
        shard.Add([new VectorInput("a", [3, 4, 12]), new VectorInput("b", [1, 1, 1])]);

        var records = shard.GetByKeys(["a", "b"]);

        Assert.Equal(13f, records[0].Norm);
        Assert.Equal(Math.Sqrt(3), records[1].Norm, 1e-6);
    }

    [Fact]
    public void Keys_RoundTrip_AndLookupsFollowTheOrderGiven()
    {
        using var shard = Shard.Create(_temp.File("keys.vshard"), new ShardOptions(1, DistanceMetric.L2));
        string?[] keys = ["plain", "", "with space", "ключ-🔑", "quote'\"", null, null, "CASE", "case"];
        var written = shard.Add(keys.Select((k, i) => new VectorInput(k, [i])).ToArray());

        Assert.Equal(keys, written.Select(r => r.Key));
        Assert.Equal(written.Select(r => r.Id).Order(), written.Select(r => r.Id));
        Assert.Equal(keys, shard.GetAll().Select(r => r.Key));

        // By key: in the order asked, missing keys left out, keys case-sensitive.
        var found = shard.GetByKeys(["case", "missing", "ключ-🔑", "", "CASE"]);
        Assert.Equal(["case", "ключ-🔑", "", "CASE"], found.Select(r => r.Key));
        Assert.Equal([8f, 3f, 1f, 7f], found.Select(r => r.Vector[0]));

        // By id: in the order asked, missing ids left out; keyless rows come back with a null key.
        var byId = shard.GetByIds([written[6].Id, 999_999, written[0].Id]);
        Assert.Equal([null, "plain"], byId.Select(r => r.Key));
        Assert.Empty(shard.GetByKeys([]));
        Assert.Empty(shard.GetByIds([]));
    }

    [Fact]
    public void Metadata_RoundTripsAsJsonValues()
    {
        var when = new DateTime(2024, 2, 29, 13, 14, 15, DateTimeKind.Utc).AddTicks(1234567);
        var offset = new DateTimeOffset(2023, 12, 31, 23, 59, 58, TimeSpan.FromHours(2));
        var guid = Guid.Parse("0f8fad5b-d9cb-469f-a165-70867728950e");
        var metadata = new Dictionary<string, object?>
        {
            ["text"] = "hé \"quoted\"\nline 🔑",
            ["empty"] = "",
            ["int"] = 42,
            ["long"] = long.MaxValue,
            ["negative"] = -7L,
            ["byte"] = (byte)200,
            ["double"] = 2.5,
            ["wholeDouble"] = 3.0,
            ["float"] = 0.25f,
            ["decimal"] = 1.5m,
            ["tiny"] = 1e-300,
            ["true"] = true,
            ["false"] = false,
            ["nothing"] = null,
            ["char"] = 'c',
            ["date"] = when,
            ["offset"] = offset,
            ["guid"] = guid,
            ["enum"] = DistanceMetric.Dot,
            ["list"] = new List<object?> { 1, "two", false, null, new[] { 3L, 4L } },
            ["nested"] = new Dictionary<string, object?>
            {
                ["inner"] = new Dictionary<string, object?> { ["deep"] = "yes", ["n"] = 1L },
                ["tags"] = new[] { "a", "b" },
            },
            ["hashtable"] = new Hashtable { ["h"] = 1 },
        };

        var path = _temp.File("meta.vshard");
        using (var shard = Shard.Create(path, new ShardOptions(2, DistanceMetric.L2)))
        {
            shard.Add([new VectorInput("m", [1, 2], metadata), new VectorInput("none", [1, 2]),
                new VectorInput("empty", [1, 2], new Dictionary<string, object?>())]);
        }

        using var reopened = Shard.Open(path);
        var records = reopened.GetByKeys(["m", "none", "empty"]);
        var m = records[0].Metadata!;

        Assert.Equal(metadata.Keys, m.Keys);
        Assert.Equal("hé \"quoted\"\nline 🔑", m["text"]);
        Assert.Equal("", m["empty"]);
        Assert.Equal(42L, m["int"]);
        Assert.Equal(long.MaxValue, m["long"]);
        Assert.Equal(-7L, m["negative"]);
        Assert.Equal(200L, m["byte"]);
        Assert.Equal(2.5, m["double"]);
        Assert.Equal(3L, m["wholeDouble"]); // whole numbers come back as long
        Assert.Equal(0.25, m["float"]);
        Assert.Equal(1.5, m["decimal"]);
        Assert.Equal(1e-300, m["tiny"]);
        Assert.Equal(true, m["true"]);
        Assert.Equal(false, m["false"]);
        Assert.True(m.ContainsKey("nothing"));
        Assert.Null(m["nothing"]);
        Assert.Equal("c", m["char"]);
        Assert.Equal("2024-02-29T13:14:15.1234567Z", m["date"]);
        Assert.Equal("2023-12-31T23:59:58.0000000+02:00", m["offset"]);
        Assert.Equal("0f8fad5b-d9cb-469f-a165-70867728950e", m["guid"]);
        Assert.Equal("Dot", m["enum"]);

        var list = Assert.IsType<object?[]>(m["list"]);
        Assert.Equal(5, list.Length);
        Assert.Equal(1L, list[0]);
        Assert.Equal("two", list[1]);
        Assert.Equal(false, list[2]);
        Assert.Null(list[3]);
        Assert.Equal(new object?[] { 3L, 4L }, Assert.IsType<object?[]>(list[4]));

        var nested = Assert.IsAssignableFrom<IReadOnlyDictionary<string, object?>>(m["nested"]);
        var inner = Assert.IsAssignableFrom<IReadOnlyDictionary<string, object?>>(nested["inner"]);
        Assert.Equal("yes", inner["deep"]);
        Assert.Equal(1L, inner["n"]);
        Assert.Equal(new object?[] { "a", "b" }, Assert.IsType<object?[]>(nested["tags"]));
        Assert.Equal(1L, Assert.IsAssignableFrom<IReadOnlyDictionary<string, object?>>(m["hashtable"])["h"]);

        Assert.Null(records[1].Metadata);
        Assert.Empty(records[2].Metadata!);
    }

    [Fact]
    public void CreatedAt_IsNowInMicroseconds_AndNeverGoesBack()
    {
        using var shard = Shard.Create(_temp.File("time.vshard"), new ShardOptions(1, DistanceMetric.L2));
        var stamps = new List<DateTimeOffset>();
        for (var batch = 0; batch < 5; batch++)
        {
            var before = DateTimeOffset.UtcNow;
            var written = shard.Add([new VectorInput($"a{batch}", [1]), new VectorInput($"b{batch}", [2])]);
            var after = DateTimeOffset.UtcNow;

            var stored = shard.GetByIds(written.Select(r => r.Id));
            Assert.All(stored, r =>
            {
                Assert.Equal(TimeSpan.Zero, r.CreatedAt.Offset);
                Assert.Equal(0, r.CreatedAt.UtcTicks % 10); // microsecond precision
                Assert.InRange(r.CreatedAt, before.AddTicks(-10), after);
            });
            Assert.Equal(written.Select(r => r.CreatedAt), stored.Select(r => r.CreatedAt));
            stamps.AddRange(stored.Select(r => r.CreatedAt));
            Thread.Sleep(2);
        }

        Assert.Equal(stamps.Order(), stamps);
        Assert.True(stamps[^1] > stamps[0]);
    }

    [Fact]
    public void Version_AdvancesByOnePerRowWrittenOrRemoved()
    {
        var path = _temp.File("version.vshard");
        using (var shard = Shard.Create(path, new ShardOptions(2, DistanceMetric.L2)))
        {
            Assert.Equal(0, shard.Describe().Version);

            var first = shard.Add([new VectorInput("a", [1, 0]), new VectorInput("b", [2, 0]), new VectorInput(null, [3, 0])]);
            Assert.Equal([1L, 2L, 3L], first.Select(r => r.Version));
            Assert.Equal([1L, 2L, 3L], shard.GetAll().Select(r => r.Version));
            Assert.Equal(3, shard.Describe().Version);

            var second = shard.Add([new VectorInput("c", [4, 0]), new VectorInput("d", [5, 0])]);
            Assert.Equal([4L, 5L], second.Select(r => r.Version));
            Assert.Equal(5, shard.Describe().Version);

            // Two existing ids, one missing, one repeated: only rows really removed count.
            Assert.Equal([first[0].Id, second[1].Id], shard.Remove([first[0].Id, 123_456, second[1].Id, first[0].Id]));
            var info = shard.Describe();
            Assert.Equal(7, info.Version);
            Assert.Equal(3, info.Count);

            Assert.Empty(shard.Remove([987_654]));
            Assert.Empty(shard.Remove([]));
            Assert.Empty(shard.Add([]));
            Assert.Equal(7, shard.Describe().Version);

            var third = shard.Add([new VectorInput("e", [6, 0])]);
            Assert.Equal(8, third[0].Version);
        }

        using var reopened = Shard.Open(path);
        Assert.Equal(8, reopened.Describe().Version);
        Assert.Equal(4, reopened.Describe().Count);
        Assert.Equal([2L, 3L, 4L, 8L], reopened.GetAll().Select(r => r.Version));
    }

    [Fact]
    public void Upsert_KeepsTheIdAndReplacesVectorMetadataVersionAndTime()
    {
        using var shard = Shard.Create(_temp.File("upsert.vshard"), new ShardOptions(2, DistanceMetric.L2));
        var original = shard.Add([
            new VectorInput("a", [1, 1], new Dictionary<string, object?> { ["v"] = 1L }),
            new VectorInput("b", [2, 2], new Dictionary<string, object?> { ["v"] = 2L }),
        ]);
        Thread.Sleep(2);

        var updated = shard.Add([
            new VectorInput("b", [-2, 5], new Dictionary<string, object?> { ["v"] = 20L, ["new"] = true }),
            new VectorInput("c", [3, 3]),
            new VectorInput("a", [-1, -1]),
        ], replaceExisting: true);

        Assert.Equal(original[1].Id, updated[0].Id);
        Assert.Equal(original[0].Id, updated[2].Id);
        Assert.DoesNotContain(updated[1].Id, original.Select(r => r.Id));
        Assert.Equal([3L, 4L, 5L], updated.Select(r => r.Version));

        var info = shard.Describe();
        Assert.Equal(3, info.Count);
        Assert.Equal(5, info.Version);

        var b = shard.GetByKeys(["b"]).Single();
        Assert.Equal(original[1].Id, b.Id);
        Assert.Equal([-2f, 5f], b.Vector);
        Assert.Equal(MathF.Sqrt(29), b.Norm, 1e-6f);
        Assert.Equal(20L, b.Metadata!["v"]);
        Assert.Equal(true, b.Metadata["new"]);
        Assert.Equal(3, b.Version);
        Assert.True(b.CreatedAt > original[1].CreatedAt);

        var a = shard.GetByKeys(["a"]).Single();
        Assert.Equal([-1f, -1f], a.Vector);
        Assert.Null(a.Metadata); // replaced by none
        Assert.Equal(5, a.Version);

        // The search sees the new vector, not the old one.
        Assert.Equal("b", shard.Search([-2, 5], new SearchOptions(1))[0].Key);
    }

    [Fact]
    public void Upsert_WithoutKey_AlwaysInserts()
    {
        using var shard = Shard.Create(MemoryShard.NewPath(), new ShardOptions(1, DistanceMetric.L2));
        shard.Add([new VectorInput(null, [1])], replaceExisting: true);
        shard.Add([new VectorInput(null, [1])], replaceExisting: true);
        Assert.Equal(2, shard.Describe().Count);
    }

    [Fact]
    public void Remove_DropsExactlyThoseRows()
    {
        using var shard = Shard.Create(_temp.File("remove.vshard"), new ShardOptions(1, DistanceMetric.L2));
        var written = shard.Add(Enumerable.Range(0, 20).Select(i => new VectorInput($"k{i}", [i])).ToArray());
        var doomed = written.Where((_, i) => i % 3 == 0).Select(r => r.Id).ToArray();

        Assert.Equal(doomed.Length, shard.Remove(doomed).Count);

        Assert.Equal(20 - doomed.Length, shard.Describe().Count);
        Assert.Empty(shard.GetByIds(doomed));
        Assert.Equal(written.Select(r => r.Id).Except(doomed), shard.GetAll().Select(r => r.Id));
        Assert.Empty(shard.GetByKeys(["k0", "k3"]));

        // A removed key may be added again.
        shard.Add([new VectorInput("k0", [100])]);
        Assert.Equal([100f], shard.GetByKeys(["k0"]).Single().Vector);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(10)]
    [InlineData(1000)]
    public void GetAll_PagesThroughEveryRowInIdOrder(int pageSize)
    {
        using var shard = Shard.Create(MemoryShard.NewPath(), new ShardOptions(1, DistanceMetric.L2));
        var written = shard.Add(Enumerable.Range(0, 50).Select(i => new VectorInput($"k{i}", [i])).ToArray());
        shard.Remove([written[0].Id, written[25].Id]);

        var all = shard.GetAll(pageSize).ToArray();

        Assert.Equal(written.Select(r => r.Id).Where(id => id != written[0].Id && id != written[25].Id), all.Select(r => r.Id));
    }

    [Fact]
    public void Describe_ReportsTheShard()
    {
        var path = _temp.File("describe.vshard");
        using var shard = Shard.Create(path, new ShardOptions(5, DistanceMetric.Dot, ShardProfile.Durable, new ShardWorkload(WorkloadKind.Mixed, 30)));
        shard.Add([new VectorInput("a", [1, 2, 3, 4, 5])]);

        var info = shard.Describe();

        Assert.Equal(path, info.Path);
        Assert.False(info.IsInMemory);
        Assert.False(info.IsReference);
        Assert.Equal(5, info.Dimension);
        Assert.Equal(DistanceMetric.Dot, info.Metric);
        Assert.Equal(ShardProfile.Durable, info.Profile);
        Assert.Equal(new ShardWorkload(WorkloadKind.Mixed, 30), info.Workload);
        Assert.Equal(1, info.Count);
        Assert.Equal(1, info.Version);
        Assert.Equal(ShardLimits.FormatVersion, info.FormatVersion);
        var onDisk = new FileInfo(path).Length + (File.Exists(path + "-wal") ? new FileInfo(path + "-wal").Length : 0);
        Assert.Equal(onDisk, info.SizeBytes);
        Assert.True(info.SizeBytes > 0);
        Assert.Equal(path, info.ToString());

        using var memory = Shard.Create(MemoryShard.NewPath(), new ShardOptions(5));
        Assert.True(memory.Describe().IsInMemory);
        Assert.Equal(0, memory.Describe().SizeBytes);
    }

    [Fact]
    public void ConcurrentWriters_LoseNothing()
    {
        using var shard = Shard.Create(_temp.File("parallel.vshard"), new ShardOptions(4, DistanceMetric.L2));
        Parallel.For(0, 8, new ParallelOptions { MaxDegreeOfParallelism = 4 }, t =>
        {
            for (var b = 0; b < 10; b++)
            {
                shard.Add(Enumerable.Range(0, 5).Select(i => new VectorInput($"t{t}-b{b}-{i}", [t, b, i, 1])).ToArray());
                _ = shard.Search([t, b, 0, 1], new SearchOptions(3));
            }
        });

        var info = shard.Describe();
        Assert.Equal(400, info.Count);
        Assert.Equal(400, info.Version);
        Assert.Equal(Enumerable.Range(1, 400).Select(v => (long)v), shard.GetAll().Select(r => r.Version).Order());
    }

    [Theory]
    [InlineData(1)]
    [InlineData(ShardLimits.MaxDimension)]
    public void Dimension_AtTheLimits_Works(int dimension)
    {
        using var shard = Shard.Create(MemoryShard.NewPath(), new ShardOptions(dimension, DistanceMetric.L2));
        var vector = Enumerable.Range(0, dimension).Select(i => (float)(i % 7)).ToArray();
        shard.Add([new VectorInput("v", vector)]);
        Assert.Equal(vector, shard.GetByKeys(["v"]).Single().Vector);
        Assert.Equal(0f, shard.Search(vector, new SearchOptions(1))[0].Distance);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-3)]
    [InlineData(ShardLimits.MaxDimension + 1)]
    public void Dimension_OutOfRange_IsInvalidDimension(int dimension)
    {
        var path = _temp.File("bad-dimension.vshard");
        ShardAssert.Throws("InvalidDimension", ShardErrorCategory.InvalidArgument, () => Shard.Create(path, new ShardOptions(dimension)));
        Assert.False(File.Exists(path));
    }
}
