using VectorShard.Core.Search;
using VectorShard.Core.Search.Kernels;
using VectorShard.Core.Storage;
using Xunit;

namespace VectorShard.Core.Tests;

/// <summary>
/// Exact search that bounds distances from int8 codes and rescores only the rows that could rank (BoundedScan) must
/// give the full float32 scan's answer bit for bit. The data is chosen so that the codes cannot rank it: rows nearly
/// equidistant from the query (differences of 1e-4, against int8 errors near 1e-2), duplicates (ties by id), rows
/// dominated by one component (coarse codes) and, outside cosine, zero vectors. A bound that were too tight would drop
/// true neighbours here.
/// </summary>
public sealed class BoundedScanTests : IDisposable
{
    private const int RowCount = 3000;

    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Theory]
    [InlineData(DistanceMetric.L2, 3, StoragePrecision.Float32)]
    [InlineData(DistanceMetric.L2, 96, StoragePrecision.Float32)]
    [InlineData(DistanceMetric.L2, 1536, StoragePrecision.Float32)]
    [InlineData(DistanceMetric.Cosine, 17, StoragePrecision.Float32)]
    [InlineData(DistanceMetric.Cosine, 384, StoragePrecision.Float32)]
    [InlineData(DistanceMetric.Cosine, 385, StoragePrecision.Float32)]
    [InlineData(DistanceMetric.Dot, 96, StoragePrecision.Float32)]
    [InlineData(DistanceMetric.Dot, 1000, StoragePrecision.Float32)]
    [InlineData(DistanceMetric.L2, 96, StoragePrecision.Float16)]
    [InlineData(DistanceMetric.Cosine, 384, StoragePrecision.Float16)]
    [InlineData(DistanceMetric.Dot, 200, StoragePrecision.Float16)]
    public void Run_GivesTheFullScansAnswer_WhereTheCodesCannotRankTheRows(DistanceMetric metric, int dimension, StoragePrecision precision)
    {
        var random = new Random(dimension * 7 + (int)metric);
        var center = RandomData.Vector(random, dimension);
        var image = HardImage($"bounded-{metric}-{dimension}-{precision}", new ShardOptions(dimension, metric, Precision: precision), random,
            center, RowCount);
        var queries = new[] { center, RandomData.Vector(random, dimension), RowOf(image, 1234), RowOf(image, 77), RandomData.Vector(random, dimension) };
        var norms = queries.Select(q => (float)Reference.Norm(q)).ToArray();
        foreach (var k in (int[])[1, 10, 150])
        {
            // The first three queries in one pass over the codes, all five in one (on int8 query codes first, where the CPU
            // has AVX-VNNI), and each alone.
            var three = BoundedScan.Run(image, metric, queries[..3], norms[..3], k, float.PositiveInfinity, VectorKernels.Current);
            var five = BoundedScan.Run(image, metric, queries, norms, k, float.PositiveInfinity, VectorKernels.Current);
            for (var q = 0; q < queries.Length; q++)
            {
                var full = ImageScan.Run(image, metric, [queries[q]], [norms[q]], k, float.PositiveInfinity, VectorKernels.Current)[0];
                AssertSame(full, five[q], $"query {q}, k={k}, five at once");
                if (q < 3)
                {
                    AssertSame(full, three[q], $"query {q}, k={k}, three at once");
                }

                AssertSame(full, BoundedScan.Run(image, metric, [queries[q]], [norms[q]], k, float.PositiveInfinity, VectorKernels.Current)[0],
                    $"query {q}, k={k}");

                // A maximum distance that falls among the neighbours.
                var limit = full[Math.Min(6, full.Length - 1)].Distance;
                var cut = ImageScan.Run(image, metric, [queries[q]], [norms[q]], k, limit, VectorKernels.Current)[0];
                AssertSame(cut, BoundedScan.Run(image, metric, [queries[q]], [norms[q]], k, limit, VectorKernels.Current)[0],
                    $"query {q}, k={k}, max distance {limit}");
            }
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(5)]
    [InlineData(20)]
    public void Run_KeepsNeighboursThatTheirCodesUnderrateByNearlyTheWholeBound(int k)
    {
        // A query of ±1 (its 16-bit codes are exact) and rows of scale 2⁻⁷ (the first component is 127 steps) whose other
        // components all sit a hair off a half step, so every code is off by almost half a step. The k neighbours' codes
        // all err against the query (their estimate falls short of q·x by 31.25 steps, nearly the bound of 32), k decoys'
        // all err towards it. The neighbours' true product beats the decoys' by half a step while their estimate trails by
        // 62 steps, so only a bound within 2% of the worst case keeps them (one 4% tighter fails). Far rows fill the rest.
        const int dimension = 64;
        const float step = 1f / 128;
        var random = new Random(k);
        var query = Enumerable.Range(0, dimension).Select(i => i == 0 || random.Next(2) == 0 ? 1f : -1f).ToArray();
        float[] Row(int target, int direction)
        {
            // Σ query[i] × code[i] over i ≥ 1 comes to target; the codes stay well inside ±127.
            var codes = Enumerable.Range(0, dimension).Select(i => i < 2 ? 0 : random.Next(-3, 4)).ToArray();
            codes[1] = (int)query[1] * (target - Enumerable.Range(2, dimension - 2).Sum(i => (int)query[i] * codes[i]));
            var row = new float[dimension];
            row[0] = 127 * step;
            for (var i = 1; i < dimension; i++)
            {
                row[i] = (codes[i] + (0.5f - 1f / 256) * query[i] * direction) * step;
            }

            return row;
        }

        var neighbours = Enumerable.Range(0, k).Select(_ => Row(-22, +1));
        var decoys = Enumerable.Range(0, k).Select(_ => Row(40, -1));
        var far = Enumerable.Range(0, RowCount).Select(_ => Row(-100, random.Next(2) * 2 - 1));
        var path = _temp.File($"bounded-underrated-{k}.vshard");
        using (var shard = Shard.Create(path, new ShardOptions(dimension, DistanceMetric.Dot)))
        {
            shard.Add(far.Take(RowCount / 2).Concat(neighbours).Concat(decoys).Concat(far.Skip(RowCount / 2)).Select(v => new VectorInput(null, v)).ToArray());
        }

        using var connection = RawSqlite.Open(path);
        var image = VectorImage.Load(connection, dimension);
        var norm = (float)Reference.Norm(query);
        var full = ImageScan.Run(image, DistanceMetric.Dot, [query], [norm], k, float.PositiveInfinity, VectorKernels.Current)[0];
        // The neighbours are the rows added after the first half of the far ones.
        Assert.All(full, r => Assert.InRange(r.Id, RowCount / 2 + 1, RowCount / 2 + k));
        AssertSame(full, BoundedScan.Run(image, DistanceMetric.Dot, [query], [norm], k, float.PositiveInfinity, VectorKernels.Current)[0], $"k={k}");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(5)]
    public void Run_InBatches_KeepsNeighboursThatTheQuerysInt8CodesUnderrate(int k)
    {
        // Batches of four or more are bounded on the queries' int8 codes first (where the CPU has AVX-VNNI). Rows here are
        // exact in their codes; the query's components sit a hair inside a half step of its codes, so the int8 query errs
        // by nearly half a step in every component. The neighbours' components take the sign of that error (their true
        // product beats its estimate by β steps), the decoys' the opposite one, and the decoys' estimate beats the
        // neighbours' by all but one step of the two errors: a first test that left out the query's own error would drop
        // the neighbours.
        const int dimension = 64;
        const float step = 1f / 128;
        var random = new Random(k);
        var scale = 1f / 127;
        var whole = Enumerable.Range(0, dimension).Select(i => i switch { 0 => 127, 1 => 1, _ => random.Next(-3, 4) }).ToArray();
        var off = Enumerable.Range(0, dimension).Select(i => i < 2 ? 0f : (random.Next(2) * 2 - 1) * (0.5f - 1f / 64)).ToArray();
        var query = Enumerable.Range(0, dimension).Select(i => (whole[i] + off[i]) * scale).ToArray();
        (float[] Row, int Estimate, double Error) Row(int sign, int estimate)
        {
            var codes = new int[dimension];
            codes[0] = 127;
            for (var i = 2; i < dimension; i++)
            {
                codes[i] = sign * Math.Sign(off[i]) * random.Next(1, 4);
            }

            // The one component whose query code is exact sets the estimate Σ whole × code.
            codes[1] = estimate - Enumerable.Range(0, dimension).Where(i => i != 1).Sum(i => whole[i] * codes[i]);
            Assert.InRange(codes[1], -127, 127);
            return (codes.Select(c => c * step).ToArray(), estimate, Enumerable.Range(0, dimension).Sum(i => off[i] * codes[i]));
        }

        var baseline = 127 * 127;
        var neighbours = Enumerable.Range(0, k).Select(_ => Row(+1, baseline)).ToArray();
        var decoys = Enumerable.Range(0, k).Select(_ => Row(-1, baseline + (int)Math.Ceiling(neighbours.Max(n => n.Error) + 40))).ToArray();
        Assert.All(decoys, d => Assert.True(d.Estimate + d.Error < baseline + neighbours.Min(n => n.Error), "the neighbours are nearer"));
        // Far rows: 127 and -60 to -120 steps in the two exact components, nothing else.
        var far = Enumerable.Range(0, RowCount).Select(_ => new[] { 127 * step, random.Next(-120, -59) * step }.Concat(new float[dimension - 2]).ToArray());
        var path = _temp.File($"bounded-narrow-{k}.vshard");
        using (var shard = Shard.Create(path, new ShardOptions(dimension, DistanceMetric.Dot)))
        {
            // The decoys first, so that the threshold is already theirs when the neighbours are tested, and 40 far rows
            // between them, so that no block of 16 rows holds both (a block is offered whole when one of its rows passes).
            shard.Add(far.Take(RowCount / 2).Concat(decoys.Select(d => d.Row)).Concat(far.Skip(RowCount / 2).Take(40))
                .Concat(neighbours.Select(n => n.Row)).Concat(far.Skip(RowCount / 2 + 40)).Select(v => new VectorInput(null, v)).ToArray());
        }

        using var connection = RawSqlite.Open(path);
        var image = VectorImage.Load(connection, dimension);
        var norm = (float)Reference.Norm(query);
        var full = ImageScan.Run(image, DistanceMetric.Dot, [query], [norm], k, float.PositiveInfinity, VectorKernels.Current)[0];
        Assert.All(full, r => Assert.InRange(r.Id, RowCount / 2 + k + 41, RowCount / 2 + 2 * k + 40));
        var batch = BoundedScan.Run(image, DistanceMetric.Dot, [query, query, query, query, query], [norm, norm, norm, norm, norm], k,
            float.PositiveInfinity, VectorKernels.Current);
        Assert.All(batch, answer => AssertSame(full, answer, $"k={k}"));
    }

    [Fact]
    public void Run_OnTwoThreads_GivesTheSameAnswer()
    {
        // Enough codes (over ChunkPartition.ParallelThresholdBytes) that the prescan splits across threads, in runs.
        const int dimension = 512;
        var random = new Random(5);
        var center = RandomData.Vector(random, dimension);
        var image = HardImage("bounded-threads", new ShardOptions(dimension, DistanceMetric.L2, Profile: ShardProfile.UltraFast), random, center,
            (int)(ChunkPartition.ParallelThresholdBytes / dimension) + 2_000);
        Assert.True(ChunkPartition.Threads((long)image.Count * dimension, image.ChunkCount, 2) == 2, "the prescan should split");
        var norm = (float)Reference.Norm(center);
        var full = ImageScan.Run(image, DistanceMetric.L2, [center], [norm], 20, float.PositiveInfinity, VectorKernels.Current, maxThreads: 1)[0];
        AssertSame(full, BoundedScan.Run(image, DistanceMetric.L2, [center], [norm], 20, float.PositiveInfinity, VectorKernels.Current, maxThreads: 2)[0],
            "2 threads");
    }

    [Theory]
    [InlineData(DistanceMetric.L2)]
    [InlineData(DistanceMetric.Cosine)]
    [InlineData(DistanceMetric.Dot)]
    public void Search_ByDefault_AnswersAsTheFullScan_ThroughWrites(DistanceMetric metric)
    {
        const int dimension = 64;
        var random = new Random(11 + (int)metric);
        var center = RandomData.Vector(random, dimension);
        using var shard = Shard.Create(_temp.File($"bounded-writes-{metric}.vshard"), new ShardOptions(dimension, metric));
        var stored = shard.Add(HardRows(random, metric, center, RowCount).Select((v, i) => new VectorInput($"r{i}", v)).ToArray());
        AssertSameSearch(shard, center, 10);

        // Overwrites, new rows and removals after the codes were built: the codes must follow them.
        shard.Add(stored.Take(40).Select(r => new VectorInput(r.Key, HardRows(random, metric, center, 1)[0])).ToArray(), replaceExisting: true);
        shard.Add(HardRows(random, metric, center, 60).Select((v, i) => new VectorInput($"new{i}", v)).ToArray());
        shard.Remove(stored.Skip(100).Take(200).Select(r => r.Id).ToArray());
        AssertSameSearch(shard, center, 10);
        AssertSameSearch(shard, RandomData.Vector(random, dimension), 25);

        // Batches: bounded in one pass over the codes (5: a short tile of the kernel), and from SharedPassMinQueries on
        // these short rows one shared float32 pass: every query gets a single search's answer.
        foreach (var count in (int[])[5, BoundedScan.SharedPassMinQueries])
        {
            var queries = Enumerable.Range(1, count - 1).Select(_ => RandomData.Vector(random, dimension)).Append(center).ToArray();
            var bounded = shard.SearchMany(queries, new SearchOptions(10));
            var full = queries.Select(q => shard.Search(q, new SearchOptions(10, FullScan: true))).ToArray();
            Assert.Equal(full.Select(r => r.Select(x => (x.Id, x.Distance))), bounded.Select(r => r.Select(x => (x.Id, x.Distance))));
        }
    }

    [Fact]
    public void Run_OverMoreQueriesThanOnePass_GivesEachTheFullScansAnswer()
    {
        const int dimension = 96;
        var random = new Random(17);
        var center = RandomData.Vector(random, dimension);
        var image = HardImage("bounded-passes", new ShardOptions(dimension, DistanceMetric.Cosine), random, center, RowCount);
        // Two passes over the codes, the second of one query; the hard rows' center among random queries.
        var queries = Enumerable.Range(0, BoundedScan.MaxQueriesPerPass).Select(_ => RandomData.Vector(random, dimension)).Append(center).ToArray();
        AssertEachAnswersAsTheFullScan(image, DistanceMetric.Cosine, queries, 10);
    }

    [Fact]
    public void Run_OverChunksScoredInSlices_GivesEachTheFullScansAnswer()
    {
        // Three-component rows fill a chunk with tens of thousands of them; 31 queries (one short of the shared pass)
        // times those rows exceed what one kernel call scores, so each chunk is scored in slices.
        const int dimension = 3;
        var random = new Random(23);
        var center = RandomData.Vector(random, dimension);
        var image = HardImage("bounded-slices", new ShardOptions(dimension, DistanceMetric.L2), random, center, 20_000);
        var queries = Enumerable.Range(0, BoundedScan.SharedPassMinQueries - 2).Select(_ => RandomData.Vector(random, dimension)).Append(center).ToArray();
        Assert.True((long)queries.Length * Math.Min(image.Count, image.RowsPerChunk) > 1 << 18, "the chunk should be scored in slices");
        AssertEachAnswersAsTheFullScan(image, DistanceMetric.L2, queries, 10);
    }

    [Fact]
    public void Pays_LeavesLargeBatchesOfShortRowsAndBackendsWithoutInt8SimdToTheFullScan()
    {
        var path = _temp.File("bounded-pays.vshard");
        foreach (var dimension in (int[])[BoundedScan.SharedPassMaxDimension, BoundedScan.SharedPassMaxDimension + 1])
        {
            using var shard = Shard.Create(path + dimension, new ShardOptions(dimension, DistanceMetric.L2));
            shard.Add(Enumerable.Range(0, 200).Select(_ => new VectorInput(null, RandomData.Vector(new Random(dimension), dimension))).ToArray());
            using var connection = RawSqlite.Open(path + dimension);
            var image = VectorImage.Load(connection, dimension);
            var shortRows = dimension <= BoundedScan.SharedPassMaxDimension;
            Assert.True(BoundedScan.Pays(image, BoundedScan.SharedPassMinQueries - 1, 10, SimdBackend.Avx2), $"{dimension}: a batch below the shared pass's size");
            // Where the int8 query codes' kernel runs, bounding pays for every batch.
            Assert.Equal(!shortRows || Int8Codes.NarrowTiles, BoundedScan.Pays(image, BoundedScan.SharedPassMinQueries, 10, SimdBackend.Avx512));
            // Too few rows per neighbour: every row would be a candidate.
            Assert.False(BoundedScan.Pays(image, 1, 200 / BoundedScan.MinRowsPerNeighbour + 1, SimdBackend.Avx2), $"{dimension}: k near the row count");
            // Backends without an int8 SIMD path scan the float32 rows.
            Assert.All([SimdBackend.Scalar, SimdBackend.Sse, SimdBackend.Neon], backend => Assert.False(BoundedScan.Pays(image, 1, 10, backend), $"{backend}"));
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(384)]
    [InlineData(512)]
    [InlineData(1536)]
    [InlineData(ShardLimits.MaxDimension)]
    public void WideQueryCodes_KeepTheIntegerDotProductExact_AtTheExtremes(int dimension)
    {
        // Every component at the largest magnitude, against rows of all ±127: the largest sum there can be.
        var query = Enumerable.Range(0, dimension).Select(i => i % 2 == 0 ? 3f : -3f).ToArray();
        var codes = new short[dimension];
        var scale = Int8Codes.QuantizeWide(query, codes);
        var top = Int8Codes.WideQueryMax(dimension);
        Assert.All(codes, c => Assert.Equal(top, Math.Abs((int)c)));
        Assert.Equal(3f / top, scale, 1e-6f);

        // Five rows: the kernel's four-row path and its one-row path; five queries at once: a whole tile and a short one.
        var rows = Enumerable.Repeat(codes.Select(c => (sbyte)(c > 0 ? 127 : -127)), 5).SelectMany(row => row).ToArray();
        var dots = new int[5];
        Int8Codes.DotRows(codes, rows, dimension, dots);
        Assert.All(dots, dot => Assert.Equal(127L * top * dimension, (long)dot));
        var many = new int[25];
        Int8Codes.DotRowsMany(Enumerable.Repeat(codes, 5).SelectMany(c => c).ToArray(), 5, rows, dimension, many);
        Assert.All(many, dot => Assert.Equal(127L * top * dimension, (long)dot));
    }

    // A shard of hard rows around center (see HardRows), written and closed, then read into an image.
    private VectorImage HardImage(string name, ShardOptions options, Random random, float[] center, int count)
    {
        var path = _temp.File($"{name}.vshard");
        using (var shard = Shard.Create(path, options))
        {
            shard.Add(HardRows(random, options.Metric, center, count).Select(v => new VectorInput(null, v)).ToArray());
        }

        using var connection = RawSqlite.Open(path);
        return VectorImage.Load(connection, options.Dimension, options.Precision);
    }

    // All the queries bounded together, each answer against that query's own full scan.
    private static void AssertEachAnswersAsTheFullScan(VectorImage image, DistanceMetric metric, float[][] queries, int k)
    {
        var norms = queries.Select(q => (float)Reference.Norm(q)).ToArray();
        var bounded = BoundedScan.Run(image, metric, queries, norms, k, float.PositiveInfinity, VectorKernels.Current);
        for (var q = 0; q < queries.Length; q++)
        {
            var full = ImageScan.Run(image, metric, [queries[q]], [norms[q]], k, float.PositiveInfinity, VectorKernels.Current)[0];
            AssertSame(full, bounded[q], $"query {q}");
        }
    }

    private static void AssertSameSearch(Shard shard, float[] query, int k)
    {
        var bounded = shard.Search(query, new SearchOptions(k));
        var full = shard.Search(query, new SearchOptions(k, FullScan: true));
        Assert.Equal(full.Select(r => (r.Id, r.Key, r.Distance)), bounded.Select(r => (r.Id, r.Key, r.Distance)));
    }

    private static void AssertSame((long Id, float Distance)[] expected, (long Id, float Distance)[] actual, string context)
    {
        Assert.True(expected.Length == actual.Length, $"{context}: {actual.Length} results, expected {expected.Length}");
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.True(expected[i] == actual[i], $"{context}, rank {i + 1}: {actual[i]}, expected {expected[i]}");
        }
    }

    private static float[] RowOf(VectorImage image, int row)
    {
        var buffer = new float[image.Dimension];
        return image.GetRows(row / image.RowsPerChunk, row % image.RowsPerChunk, 1, buffer).ToArray();
    }

    // Rows the int8 codes cannot rank against center: a thin shell of near-equal distances (by the metric), every 50th row
    // repeated, every 40th dominated by one component, and outside cosine every 97th all zeros.
    private static float[][] HardRows(Random random, DistanceMetric metric, float[] center, int count)
    {
        var dimension = center.Length;
        var centerNorm = (float)Reference.Norm(center);
        var rows = new float[count][];
        for (var i = 0; i < count; i++)
        {
            if (i % 50 == 49)
            {
                rows[i] = (float[])rows[i - 1].Clone();
                continue;
            }

            var direction = RandomData.Vector(random, dimension);
            var length = (float)Reference.Norm(direction);
            var shell = 1f + 1e-4f * (float)RandomData.Gaussian(random);
            rows[i] = new float[dimension];
            for (var j = 0; j < dimension; j++)
            {
                var unit = direction[j] / length;
                rows[i][j] = metric switch
                {
                    // On a sphere of radius ≈ 1 around the center.
                    DistanceMetric.L2 => center[j] + shell * unit,
                    // At an angle of ≈ 1 radian from the center, at any length.
                    DistanceMetric.Cosine => (float)(Math.Cos(shell) * center[j] / centerNorm + Math.Sin(shell) * unit) * (0.5f + (i % 7)),
                    // The same product with the center (≈ 1) plus any amount of another direction.
                    _ => shell * center[j] / (centerNorm * centerNorm) + unit * (i % 5),
                };
            }

            if (i % 40 == 39)
            {
                rows[i][random.Next(dimension)] += 50f;
            }

            if (metric != DistanceMetric.Cosine && i % 97 == 96)
            {
                Array.Clear(rows[i]);
            }
        }

        return rows;
    }
}
