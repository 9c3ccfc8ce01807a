using VectorShard.Core.Search.Kernels;
using VectorShard.Core.Search;
using VectorShard.Core.Storage;
using Xunit;
using Xunit.Abstractions;

namespace VectorShard.Core.Tests;

/// <summary>Int8 and 4-bit codes, sign bits, and the quantized search: prescan, exact rescoring, recall, and coherence with writes.</summary>
public sealed class QuantizedSearchTests(ITestOutputHelper output)
{
    [Fact]
    public void Quantize_GivesTheCodesOfRoundingEachComponent_AtEveryLength()
    {
        // Lengths that end inside and on the vectorized steps of 32, with components on exact ties (x.5 steps).
        var random = new Random(8);
        for (var length = 1; length <= 100; length++)
        {
            var vector = RandomData.Vector(random, length);
            vector[random.Next(length)] = 1.27f;
            for (var i = 0; i < length; i += 3)
            {
                vector[i] = (random.Next(-120, 120) + 0.5f) / 100f;
            }

            var codes = new sbyte[length];
            var scale = Int8Codes.Quantize(vector, codes);
            var expected = vector.Select(x => (sbyte)Math.Clamp(MathF.Round(x * (1f / scale)), -127f, 127f));
            Assert.Equal(expected, codes);
        }
    }

    [Fact]
    public void Residual_IsTheCodesDistanceFromTheRow_NeverBelowIt()
    {
        var random = new Random(12);
        foreach (var length in (int[])[1, 7, 16, 17, 96, 385, 1536])
        {
            var vector = RandomData.Vector(random, length);
            var codes = new sbyte[length];
            var scale = Int8Codes.Quantize(vector, codes);
            var exact = Math.Sqrt(vector.Select((x, i) => Math.Pow(x - (double)scale * codes[i], 2)).Sum());
            var residual = Int8Codes.Residual(vector, codes, scale);
            Assert.InRange(residual, exact, exact * (1 + 1.0 / 1024));
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(15)]
    [InlineData(16)]
    [InlineData(33)]
    [InlineData(64)]
    [InlineData(96)]
    [InlineData(100)]
    [InlineData(384)]
    [InlineData(1536)]
    public void DotRows_OfCodes_EqualsTheScalarSumOfEveryRow(int length)
    {
        // Two groups of four rows and one more.
        const int rows = 9;
        var random = new Random(length);
        var query = Enumerable.Range(0, length).Select(_ => (sbyte)random.Next(-127, 128)).ToArray();
        var block = Enumerable.Range(0, rows * length).Select(_ => (sbyte)random.Next(-127, 128)).ToArray();
        var results = new int[rows];

        Int8Codes.DotRows(Int8Codes.Widen(query), block, length, results);

        for (var row = 0; row < rows; row++)
        {
            Assert.Equal(query.Select((x, i) => x * block[row * length + i]).Sum(), results[row]);
        }
    }

    [Theory]
    [MemberData(nameof(TileLengths))]
    public void DotRowsMany_OfWideQueries_EqualsTheScalarSumOfEveryPair(int length)
    {
        var random = new Random(length);
        var top = Int8Codes.WideQueryMax(length);
        var queries = Enumerable.Range(0, 9 * length).Select(_ => (short)random.Next(-top, top + 1)).ToArray();
        var rows = Enumerable.Range(0, 9 * length).Select(_ => (sbyte)random.Next(-127, 128)).ToArray();
        AssertEveryPairsSum(length, i => queries[i], rows, (queryCount, rowCount, results) =>
            Int8Codes.DotRowsMany(queries.AsSpan(0, queryCount * length), queryCount, rows.AsSpan(0, rowCount * length), length, results));
    }

    // Row lengths for the tile kernels: shorter than a step, a step and either side of one, several steps with a tail, W1's.
    public static TheoryData<int> TileLengths() => new() { 1, 31, 32, 33, 96, 100, 1536 };

    // Up to nine queries and nine rows (whole tiles of four by four, short ones on either side, a single query): every
    // result the kernel writes equals the scalar sum of its query's and row's products.
    private static void AssertEveryPairsSum(int length, Func<int, int> queryCode, sbyte[] rows, Action<int, int, int[]> kernel)
    {
        foreach (var (queryCount, rowCount) in new[] { (1, 9), (4, 4), (4, 8), (5, 9), (9, 3), (2, 1), (9, 9) })
        {
            var results = new int[queryCount * rowCount];
            kernel(queryCount, rowCount, results);
            for (var q = 0; q < queryCount; q++)
            {
                for (var row = 0; row < rowCount; row++)
                {
                    var expected = Enumerable.Range(0, length).Sum(i => queryCode(q * length + i) * rows[row * length + i]);
                    Assert.True(expected == results[q * rowCount + row], $"{queryCount} x {rowCount}: query {q}, row {row}");
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(TileLengths))]
    public void DotRowsManyNarrow_OfInt8Queries_EqualsTheScalarSumOfEveryPair(int length)
    {
        if (!Int8Codes.NarrowTiles)
        {
            Assert.Throws<PlatformNotSupportedException>(() => Int8Codes.DotRowsManyNarrow(new sbyte[length], 1, [0], new sbyte[length], length, new int[1]));
            return;
        }

        // As the wide tiles, with the extreme codes -127 and 127 among them (rows raised by 128 must not overflow).
        var random = new Random(length);
        var queries = Enumerable.Range(0, 9 * length).Select(i => (sbyte)(i % 11 == 0 ? -127 : random.Next(-127, 128))).ToArray();
        var rows = Enumerable.Range(0, 9 * length).Select(i => (sbyte)(i % 13 == 0 ? 127 : i % 17 == 0 ? -127 : random.Next(-127, 128))).ToArray();
        AssertEveryPairsSum(length, i => queries[i], rows, (queryCount, rowCount, results) =>
            Int8Codes.DotRowsManyNarrow(queries.AsSpan(0, queryCount * length), queryCount,
                Int8Codes.SumsOfCodes(queries.AsSpan(0, queryCount * length), queryCount, length), rows.AsSpan(0, rowCount * length), length, results));
    }

    [Fact]
    public void DotRows_AtTheExtremes_DoesNotOverflow()
    {
        var query = Enumerable.Repeat((sbyte)-127, 1536).ToArray();
        var rows = Enumerable.Repeat((sbyte)-127, 2 * 1536).ToArray();
        var results = new int[2];

        Int8Codes.DotRows(Int8Codes.Widen(query), rows, 1536, results);

        Assert.Equal([127 * 127 * 1536, 127 * 127 * 1536], results);
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
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(31)]
    [InlineData(32)]
    [InlineData(33)]
    [InlineData(64)]
    [InlineData(65)]
    [InlineData(127)]
    [InlineData(1536)]
    public void Int4DotRows_OfCodes_EqualsTheScalarSumOfEveryRow(int length)
    {
        // Below 32 or 64 components the rows take the scalar tail alone; above, the SIMD steps and then the tail.
        const int rows = 5;
        var random = new Random(length);
        var query = Enumerable.Range(0, length).Select(_ => (sbyte)random.Next(-127, 128)).ToArray();
        var vectors = Enumerable.Range(0, rows).Select(_ => RandomData.Vector(random, length)).ToArray();
        var bytes = Int4Codes.BytesFor(length);
        var packed = new byte[rows * bytes];
        for (var row = 0; row < rows; row++)
        {
            Int4Codes.Quantize(vectors[row], packed.AsSpan(row * bytes, bytes));
        }

        var results = new int[rows];
        Int4Codes.DotRows(Int4Codes.PrepareQuery(query), packed, results);

        for (var row = 0; row < rows; row++)
        {
            var codes = packed.AsSpan(row * bytes, bytes).ToArray();
            Assert.Equal(query.Select((x, i) => x * Int4Codes.CodeAt(codes, i)).Sum(), results[row]);
        }
    }

    [Fact]
    public void Int4Quantize_KeepsEveryComponentWithinHalfAStep_AndUsesEveryLevel()
    {
        var random = new Random(4);
        var vector = RandomData.Vector(random, 301);
        var packed = new byte[Int4Codes.BytesFor(301)];
        var scale = Int4Codes.Quantize(vector, packed);

        Assert.Equal(151, packed.Length);
        Assert.Equal(vector.Max(MathF.Abs) / 7f, scale, 6);
        var codes = Enumerable.Range(0, 301).Select(i => Int4Codes.CodeAt(packed, i)).ToArray();
        Assert.All(Enumerable.Range(0, 301), i => Assert.True(MathF.Abs(vector[i] - codes[i] * scale) <= scale / 2 + 1e-6f));
        Assert.Equal(7, codes.Max(Math.Abs));
        Assert.Equal(15, codes.Distinct().Count());
        Assert.Equal(1f, Int4Codes.Quantize(new float[4], new byte[2]));
    }

    [Fact]
    public void SignBits_CountDifferingSigns_AndEstimateTheAngle()
    {
        float[] a = [1, -1, 2, -3, 0.5f, 7, -2, 1, 1, 1, -1, 1, 1, -1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, -4, 4];
        var b = a.Select((x, i) => i % 3 == 0 ? -x : x).ToArray();
        var bitsA = new ulong[SignBits.WordsFor(a.Length)];
        var bitsB = new ulong[SignBits.WordsFor(b.Length)];
        SignBits.Encode(a, bitsA);
        SignBits.Encode(b, bitsB);

        Assert.Equal(2, bitsA.Length);
        Assert.Equal(a.Where((_, i) => i % 3 == 0).Count(), SignBits.Hamming(bitsA, bitsB));
        Assert.Equal(1f, SignBits.EstimatedCosine(0, 66), 6);
        Assert.Equal(-1f, SignBits.EstimatedCosine(66, 66), 6);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(63)]
    [InlineData(64)]
    [InlineData(65)]
    [InlineData(384)]
    [InlineData(1536)]
    [InlineData(2048)]
    [InlineData(4096)]
    public void SignBits_HammingRows_EqualsHammingOfEachRow(int dimension)
    {
        // 37 rows: four whole blocks and a part; 2048 and 4096 components fold the byte counts once and twice.
        var random = new Random(dimension);
        var words = SignBits.WordsFor(dimension);
        var query = new ulong[words];
        SignBits.Encode(RandomData.Vector(random, dimension), query);
        var vectors = Enumerable.Range(0, 37).Select(_ => RandomData.Vector(random, dimension)).ToArray();
        var rows = new ulong[SignBits.PaddedRows(37) * words];
        for (var r = 0; r < 37; r++)
        {
            SignBits.EncodeRow(vectors[r], rows, r);
        }

        var counts = new int[37];
        SignBits.HammingRows(query, rows, counts);

        Assert.Equal(vectors.Select(vector =>
        {
            var bits = new ulong[words];
            SignBits.Encode(vector, bits);
            return SignBits.Hamming(query, bits);
        }), counts);
        Assert.Throws<ArgumentException>(() => SignBits.HammingRows(query, rows.AsSpan(0, rows.Length - 1), counts));
    }

    [Theory]
    [InlineData(8, 1)]
    [InlineData(8, 3)]
    [InlineData(64, 1)]
    [InlineData(96, 20)]
    public void Binary_UnderCosine_RescoresTheRowsWithFewestDifferingSigns(int dimension, int oversample)
    {
        // The candidates are the K × oversample rows whose sign bits differ least from the query's, those at the
        // cut-off count taken in the order stored; the answer is the exact top K among them. With 8 dimensions
        // almost every count is a tie, and with an oversample of 1 the candidates are the answer, so the cut-off rule decides.
        const int k = 5;
        var random = new Random(dimension + oversample);
        using var shard = Shard.Create(MemoryShard.NewPath(), new ShardOptions(dimension, DistanceMetric.Cosine));
        var stored = shard.Add(Enumerable.Range(0, 700).Select(i => new VectorInput($"r{i}", RandomData.Vector(random, dimension))).ToArray());
        var query = RandomData.Vector(random, dimension);

        AssertRescoresTheFewestDifferingSigns(shard, stored, query, k, oversample);
    }

    [Theory]
    [InlineData("random")]
    [InlineData("ties")]
    [InlineData("planted")]
    public void Binary_UnderCosine_OnALargeShard_TakesTheSameCandidates_WhateverItsSampleOfCountsSays(string shape)
    {
        // 20,000 rows: the cut-off is sought among the rows at or below a bound from 2,048 evenly spaced rows
        // (every ninth). "ties": 8 dimensions, so the rows at or below the bound overflow their room; "planted": the
        // 16 sampled rows 0, 9, …, 135 share the query's signs (far from it all the same), so the bound is 0 and
        // too few rows reach it, while 5 rows one sign away are the nearest.
        const int k = 5;
        const int oversample = 4;
        var dimension = shape == "ties" ? 8 : 96;
        var random = new Random(shape.Length);
        var query = RandomData.Vector(random, dimension);
        var rows = Enumerable.Range(0, 20_000).Select(_ => RandomData.Vector(random, dimension)).ToArray();
        if (shape == "ties")
        {
            // No row among the first 12,000 has all the query's signs, so a list cut short at its room holds none.
            foreach (var row in rows.Take(12_000).Where(row => row.Zip(query).All(pair => pair.First > 0 == pair.Second > 0)))
            {
                row[0] = -row[0];
            }
        }

        if (shape == "planted")
        {
            for (var j = 0; j < 16; j++)
            {
                rows[9 * j] = query.Select(x => MathF.CopySign(0.1f + (float)random.NextDouble(), x)).ToArray();
            }

            for (var j = 0; j < 5; j++)
            {
                var near = (float[])query.Clone();
                near[j] = -near[j] * 0.01f;
                rows[1000 + 7 * j] = near;
            }
        }

        using var shard = Shard.Create(MemoryShard.NewPath(), new ShardOptions(dimension, DistanceMetric.Cosine));
        var stored = shard.Add(rows.Select((v, i) => new VectorInput($"r{i}", v)).ToArray());

        AssertRescoresTheFewestDifferingSigns(shard, stored, query, k, oversample);
    }

    // The candidates are the k × oversample rows whose sign bits differ least from the query's, those at the cut-off
    // count taken in the order stored; the answer is the exact top k among them (no 4-bit re-ranking below 5 × k).
    private static void AssertRescoresTheFewestDifferingSigns(Shard shard, IReadOnlyList<VectorRecord> stored, float[] query, int k, int oversample)
    {
        var queryBits = new ulong[SignBits.WordsFor(query.Length)];
        SignBits.Encode(query, queryBits);
        int Differing(float[] vector)
        {
            var bits = new ulong[queryBits.Length];
            SignBits.Encode(vector, bits);
            return SignBits.Hamming(queryBits, bits);
        }

        var expected = stored.Select((row, order) => (row, order, differing: Differing(row.Vector)))
            .OrderBy(c => c.differing).ThenBy(c => c.order).Take(k * oversample)
            .Select(c => (c.row.Id, Distance: CosineDistance(query, c.row.Vector)))
            .OrderBy(c => c.Distance).ThenBy(c => c.Id).Take(k).ToList();

        var actual = shard.Search(query, new SearchOptions(k, MaxThreads: 1, Quantization: SearchQuantization.Binary, Oversample: oversample));

        Assert.Equal(expected.Select(e => e.Id), actual.Select(r => r.Id));
        Assert.All(expected.Zip(actual), pair => AssertClose(pair.First.Distance, pair.Second.Distance));
    }

    private static float CosineDistance(float[] a, float[] b)
    {
        double dot = 0, na = 0, nb = 0;
        for (var i = 0; i < a.Length; i++)
        {
            dot += (double)a[i] * b[i];
            na += (double)a[i] * a[i];
            nb += (double)b[i] * b[i];
        }

        return (float)(1 - dot / Math.Sqrt(na * nb));
    }

    public static TheoryData<DistanceMetric, SearchQuantization> MetricsAndQuantizations()
    {
        var data = new TheoryData<DistanceMetric, SearchQuantization>();
        foreach (var metric in Enum.GetValues<DistanceMetric>())
        {
            data.Add(metric, SearchQuantization.Int8);
            data.Add(metric, SearchQuantization.Int4);
            data.Add(metric, SearchQuantization.Binary);
        }

        return data;
    }

    [Theory]
    [InlineData(20, true)]   // K × 20 sign-bit candidates, K × 4 of them rescored
    [InlineData(4, false)]   // a fifth of K × 4 is below K: every candidate is rescored, no 4-bit codes needed
    public void SignBits_ReRankTheirCandidatesOnFourBitCodes_WhenAFifthOfThemIsAtLeastK(int oversample, bool reRanks)
    {
        var random = new Random(12);
        using var temp = new TempDirectory();
        var path = temp.File("bits.vshard");
        var vectors = Enumerable.Range(0, 500).Select(_ => RandomData.Vector(random, 64)).ToArray();
        using (var shard = Shard.Create(path, new ShardOptions(64, DistanceMetric.Cosine)))
        {
            shard.Add(vectors.Select(v => new VectorInput(null, v)).ToArray());
        }

        using var connection = RawSqlite.Open(path);
        var image = VectorImage.Load(connection, 64);
        var query = RandomData.Vector(random, 64);
        var norm = MathF.Sqrt(query.Sum(x => x * x));
        var found = QuantizedScan.Run(image, DistanceMetric.Cosine, [query], [norm], 5, float.MaxValue, oversample,
            VectorKernels.Current, SearchQuantization.Binary)[0];

        Assert.Equal(5, found.Length);
        Assert.Equal(reRanks, image.HasCodes(SearchQuantization.Int4));
    }

    [Theory]
    [MemberData(nameof(MetricsAndQuantizations))]
    public void Quantized_WithEveryRowRescored_IsExact_AndFollowsWrites(DistanceMetric metric, SearchQuantization quantization)
    {
        var random = new Random(5);
        using var shard = Shard.Create(MemoryShard.NewPath(), new ShardOptions(40, metric));
        var stored = shard.Add(Enumerable.Range(0, 300).Select(i => new VectorInput($"r{i}", RandomData.Vector(random, 40))).ToArray());
        var query = RandomData.Vector(random, 40);
        var everything = new SearchOptions(10, Quantization: quantization, Oversample: 1000);
        AssertSame(shard.Search(query, new SearchOptions(10)), shard.Search(query, everything));

        // The codes follow adds, upserts and removals made after they were built.
        shard.Add([new VectorInput("new", query)]);
        shard.Add([new VectorInput("r3", RandomData.Vector(random, 40))], replaceExisting: true);
        shard.Remove([stored[0].Id, stored[299].Id]);
        AssertSame(shard.Search(query, new SearchOptions(10)), shard.Search(query, everything));
        if (metric != DistanceMetric.Dot)
        {
            // The query itself, added after the codes were built, is found first (under Dot a longer vector may win).
            Assert.Equal("new", shard.Search(query, everything with { Oversample = 20 })[0].Key);
        }
    }

    [Theory]
    [InlineData(SearchQuantization.Int8)]
    [InlineData(SearchQuantization.Int4)]
    [InlineData(SearchQuantization.Binary)]
    public void Quantized_OnALargeShard_SplitAcrossThreads_GivesTheSameAnswersAsOneThread(SearchQuantization quantization)
    {
        // Int8 codes above ChunkPartition.ParallelThresholdBytes, so the prescan splits across threads (sign bits
        // stay below it and run on one thread either way: the answers must still agree).
        const int dimension = 1024;
        var random = new Random(41);
        using var shard = Shard.Create(MemoryShard.NewPath(), new ShardOptions(dimension, DistanceMetric.L2));
        var rows = (int)(ChunkPartition.ParallelThresholdBytes / dimension) + 500;
        var stored = shard.Add(Enumerable.Range(0, rows).Select(_ => new VectorInput(null, RandomData.Vector(random, dimension))).ToArray());
        var queries = stored.Take(3).Select(r => r.Vector.Select(x => x + 0.01f).ToArray()).ToArray();

        var one = shard.SearchMany(queries, new SearchOptions(5, MaxThreads: 1, Quantization: quantization, Oversample: 4));
        var two = shard.SearchMany(queries, new SearchOptions(5, MaxThreads: 2, Quantization: quantization, Oversample: 4));

        for (var q = 0; q < queries.Length; q++)
        {
            Assert.Equal(one[q].Select(r => (r.Id, r.Distance)), two[q].Select(r => (r.Id, r.Distance)));
            Assert.Equal(stored[q].Id, two[q][0].Id);
        }
    }

    [Theory]
    [InlineData(DistanceMetric.Cosine, SearchQuantization.Int8, 4, 0.95)]
    [InlineData(DistanceMetric.L2, SearchQuantization.Int8, 4, 0.95)]
    [InlineData(DistanceMetric.Cosine, SearchQuantization.Int4, 8, 0.95)]
    [InlineData(DistanceMetric.L2, SearchQuantization.Int4, 8, 0.95)]
    [InlineData(DistanceMetric.Cosine, SearchQuantization.Int4, null, 0.95)]
    [InlineData(DistanceMetric.Cosine, SearchQuantization.Binary, null, 0.95)]
    [InlineData(DistanceMetric.Cosine, SearchQuantization.Binary, 20, 0.95)]
    [InlineData(DistanceMetric.L2, SearchQuantization.Binary, 20, 0.9)]
    public void Quantized_WithOversample_FindsAlmostEveryExactNeighbour(DistanceMetric metric, SearchQuantization quantization, int? oversample, double minimumRecall)
    {
        // Clustered like real embeddings (100 topics of 50 documents): a query's neighbours stand out from
        // the rest. On structureless random data, sign bits find far fewer of them at this oversampling.
        var random = new Random(8);
        var centers = Enumerable.Range(0, 100).Select(_ => RandomData.Vector(random, 128)).ToArray();
        float[] Near(float[] center) => center.Select(x => x + (float)(RandomData.Gaussian(random) * 0.5)).ToArray();
        using var shard = Shard.Create(MemoryShard.NewPath(), new ShardOptions(128, metric));
        shard.Add(Enumerable.Range(0, 5000).Select(i => new VectorInput(null, Near(centers[i % 100]))).ToArray());
        var queries = Enumerable.Range(0, 20).Select(i => Near(centers[i * 5])).ToArray();

        var exact = shard.SearchMany(queries, new SearchOptions(10));
        var quantized = shard.SearchMany(queries, new SearchOptions(10, Quantization: quantization, Oversample: oversample));

        var found = exact.Zip(quantized, (e, q) => e.Select(r => r.Id).Intersect(q.Select(r => r.Id)).Count()).Sum();
        var recall = found / 200.0;
        output.WriteLine($"recall@10 = {recall:F3}");
        Assert.True(recall >= minimumRecall, $"recall@10 = {recall:F3}");
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
