using VectorShard.Core.Search;
using VectorShard.Core.Storage;
using Xunit;
using Xunit.Abstractions;

namespace VectorShard.Core.Tests;

/// <summary>Int8 codes and the quantized search: prescan, exact rescoring, recall, and coherence with writes.</summary>
public sealed class QuantizedSearchTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(1)]
    [InlineData(15)]
    [InlineData(16)]
    [InlineData(33)]
    [InlineData(100)]
    [InlineData(1536)]
    public void Dot_OfCodes_EqualsTheScalarSum(int length)
    {
        var random = new Random(length);
        var a = Enumerable.Range(0, length).Select(_ => (sbyte)random.Next(-127, 128)).ToArray();
        var b = Enumerable.Range(0, length).Select(_ => (sbyte)random.Next(-127, 128)).ToArray();
        Assert.Equal(a.Zip(b, (x, y) => x * y).Sum(), Int8Codes.Dot(a, b));
    }

    [Fact]
    public void Quantize_KeepsEveryComponentWithinHalfAStep()
    {
        var random = new Random(3);
        var vector = RandomData.Vector(random, 300);
        var codes = new sbyte[300];
        var scale = Int8Codes.Quantize(vector, codes);
        Assert.Equal(vector.Max(MathF.Abs) / 127f, scale, 6);
        Assert.All(Enumerable.Range(0, 300), i => Assert.True(MathF.Abs(vector[i] - codes[i] * scale) <= scale / 2 + 1e-6f));
        Assert.Equal(1f, Int8Codes.Quantize(new float[4], new sbyte[4]));
    }

    [Theory]
    [InlineData(DistanceMetric.Cosine)]
    [InlineData(DistanceMetric.L2)]
    [InlineData(DistanceMetric.Dot)]
    public void Quantized_WithEveryRowRescored_IsExact_AndFollowsWrites(DistanceMetric metric)
    {
        var random = new Random(5);
        using var shard = Shard.Create(MemoryShard.NewPath(), new ShardOptions(40, metric));
        var stored = shard.Add(Enumerable.Range(0, 300).Select(i => new VectorInput($"r{i}", RandomData.Vector(random, 40))).ToArray());
        var query = RandomData.Vector(random, 40);
        var everything = new SearchOptions(10, Quantization: SearchQuantization.Int8, Oversample: 1000);
        AssertSame(shard.Search(query, new SearchOptions(10)), shard.Search(query, everything));

        // The codes follow adds, upserts and removals made after they were built.
        shard.Add([new VectorInput("new", query)]);
        shard.Add([new VectorInput("r3", RandomData.Vector(random, 40))], replaceExisting: true);
        shard.Remove([stored[0].Id, stored[299].Id]);
        AssertSame(shard.Search(query, new SearchOptions(10)), shard.Search(query, everything));
        if (metric != DistanceMetric.Dot)
        {
            // The query itself, added after the codes were built, is found first (under Dot a longer vector may win).
            Assert.Equal("new", shard.Search(query, everything with { Oversample = 4 })[0].Key);
        }
    }

    [Theory]
    [InlineData(DistanceMetric.Cosine)]
    [InlineData(DistanceMetric.L2)]
    public void Quantized_WithOversample4_FindsAlmostEveryExactNeighbour(DistanceMetric metric)
    {
        var random = new Random(8);
        using var shard = Shard.Create(MemoryShard.NewPath(), new ShardOptions(128, metric));
        shard.Add(Enumerable.Range(0, 5000).Select(_ => new VectorInput(null, RandomData.Vector(random, 128))).ToArray());
        var queries = Enumerable.Range(0, 20).Select(_ => RandomData.Vector(random, 128)).ToArray();

        var exact = shard.SearchMany(queries, new SearchOptions(10));
        var quantized = shard.SearchMany(queries, new SearchOptions(10, Quantization: SearchQuantization.Int8, Oversample: 4));

        var found = exact.Zip(quantized, (e, q) => e.Select(r => r.Id).Intersect(q.Select(r => r.Id)).Count()).Sum();
        var recall = found / 200.0;
        output.WriteLine($"recall@10 = {recall:F3}");
        Assert.True(recall >= 0.95, $"recall@10 = {recall:F3}");
        // What the rescoring returns is exact: a neighbour both found has the same distance in both.
        foreach (var (e, q) in exact.Zip(quantized))
        {
            Assert.All(q.Join(e, r => r.Id, r => r.Id, (a, b) => (a.Distance, b.Distance)), pair => AssertClose(pair.Item2, pair.Item1));
        }
    }

    // The same neighbours in the same order; distances equal up to float summation order (the exact scan
    // scores rows in blocks, the rescoring one at a time).
    private static void AssertSame(IReadOnlyList<SearchResult> expected, IReadOnlyList<SearchResult> actual)
    {
        Assert.Equal(expected.Select(r => r.Id), actual.Select(r => r.Id));
        Assert.All(expected.Zip(actual), pair => AssertClose(pair.First.Distance, pair.Second.Distance));
    }

    private static void AssertClose(float expected, float actual) =>
        Assert.Equal(expected, actual, Math.Max(1e-6, Math.Abs(expected) * 1e-5));
}
