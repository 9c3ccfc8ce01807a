using VectorShard.Core.Search.Kernels;

namespace VectorShard.Core.Tests;

/// <summary>
/// Every distance kernel this CPU can run (and the TensorPrimitives baseline) against a double-precision
/// reference, and the choice of kernel from VECTORSHARD_SIMD.
/// </summary>
public sealed class KernelTests
{
    private const string TensorPrimitivesName = "TensorPrimitives";

    private static readonly int[] Dimensions = [1, 3, 7, 8, 15, 16, 17, 31, 64, 100, 384, 1536];

    private const int MaxRows = 50;

    private const int MaxQueries = 9;

    /// <summary>Names of the kernels under test: every supported backend, plus TensorPrimitives.</summary>
    private static string[] Names() =>
        [.. VectorKernels.Supported.Select(backend => backend.ToString()), TensorPrimitivesName];

    public static TheoryData<string> KernelNames() => new(Names());

    public static TheoryData<string, int> KernelsAndDimensions()
    {
        var data = new TheoryData<string, int>();
        foreach (var name in Names())
        {
            foreach (var dimension in Dimensions)
            {
                data.Add(name, dimension);
            }
        }

        return data;
    }

    private static VectorKernel Kernel(string name) =>
        name == TensorPrimitivesName ? TensorPrimitivesKernel.Instance : VectorKernels.For(Enum.Parse<SimdBackend>(name));

    /// <summary>
    /// Random data for one dimension: 9 queries and 50 rows, every third row a near copy of a query (so squared
    /// distances also cover cancellation), all stored at an odd offset in their arrays so that no load is aligned.
    /// The reference values and the sums of |terms| (the scale of the rounding error) are in double.
    /// </summary>
    private sealed class Case
    {
        public const int Offset = 3;

        public Case(int dimension)
        {
            Dimension = dimension;
            var random = new Random(1000 + dimension);
            Queries = Fill(random, MaxQueries * dimension);
            Rows = Fill(random, MaxRows * dimension);
            for (var i = 0; i < MaxRows; i += 3)
            {
                var q = i % MaxQueries;
                for (var k = 0; k < dimension; k++)
                {
                    Rows[Offset + i * dimension + k] = Queries[Offset + q * dimension + k] * (1f + (float)(random.NextDouble() - 0.5) * 1e-3f);
                }
            }

            Dot = new double[MaxQueries, MaxRows];
            DotScale = new double[MaxQueries, MaxRows];
            Squared = new double[MaxQueries, MaxRows];
            for (var q = 0; q < MaxQueries; q++)
            {
                for (var i = 0; i < MaxRows; i++)
                {
                    double dot = 0, scale = 0, squared = 0;
                    for (var k = 0; k < dimension; k++)
                    {
                        double x = Queries[Offset + q * dimension + k], y = Rows[Offset + i * dimension + k];
                        dot += x * y;
                        scale += Math.Abs(x * y);
                        squared += (x - y) * (x - y);
                    }

                    Dot[q, i] = dot;
                    DotScale[q, i] = scale;
                    Squared[q, i] = squared;
                }
            }
        }

        public int Dimension { get; }

        public float[] Queries { get; }

        public float[] Rows { get; }

        public double[,] Dot { get; }

        public double[,] DotScale { get; }

        public double[,] Squared { get; }

        public ReadOnlySpan<float> QuerySpan(int first, int count) => Queries.AsSpan(Offset + first * Dimension, count * Dimension);

        public ReadOnlySpan<float> RowSpan(int count) => Rows.AsSpan(Offset, count * Dimension);

        private static float[] Fill(Random random, int length)
        {
            var values = new float[length + Offset + 5];
            var scale = 0.25 + 4 * random.NextDouble();
            for (var i = 0; i < values.Length; i++)
            {
                values[i] = (float)((random.NextDouble() * 2 - 1) * scale);
            }

            return values;
        }
    }

    private static void AssertClose(double expected, double scale, float actual, string what)
    {
        // Float summation in any order is off by at most a few ulps of the sum of |terms| for these sizes.
        var tolerance = 1e-5 * scale + 1e-30;
        Assert.True(Math.Abs(actual - expected) <= tolerance,
            $"{what}: expected {expected:R}, got {actual:R} (difference {Math.Abs(actual - expected):G3}, tolerance {tolerance:G3}).");
    }

    /// <summary>Results beyond what a call should write start as NaN and must stay NaN.</summary>
    private static float[] Results(int count) => Enumerable.Repeat(float.NaN, count + 4).ToArray();

    private static void AssertUntouchedAfter(float[] results, int count, string what)
    {
        for (var i = count; i < results.Length; i++)
        {
            Assert.True(float.IsNaN(results[i]), $"{what}: wrote past the results at {i}.");
        }
    }

    /// <summary>
    /// A Float16 kernel's results (Dot{kernel} and SquaredDistance{kernel}) against sums in double over the rows as
    /// the halves hold them (row i at rounded[Case.Offset + i × dimension]), and nothing written past them.
    /// </summary>
    private static void AssertHalfResults(string name, string kernel, Case data, double[] rounded, int rowCount, int queryCount, float[] dot, float[] squared)
    {
        var dimension = data.Dimension;
        for (var q = 0; q < queryCount; q++)
        {
            var query = data.QuerySpan(q, 1);
            for (var i = 0; i < rowCount; i++)
            {
                double expectedDot = 0, scale = 0, expectedSquared = 0;
                for (var k = 0; k < dimension; k++)
                {
                    double x = query[k], y = rounded[Case.Offset + i * dimension + k];
                    expectedDot += x * y;
                    scale += Math.Abs(x * y);
                    expectedSquared += (x - y) * (x - y);
                }

                var what = $"d={dimension} rows={rowCount} queries={queryCount} q={q} i={i}";
                AssertClose(expectedDot, scale, dot[q * rowCount + i], $"{name} Dot{kernel} {what}");
                AssertClose(expectedSquared, expectedSquared, squared[q * rowCount + i], $"{name} SquaredDistance{kernel} {what}");
            }
        }

        AssertUntouchedAfter(dot, queryCount * rowCount, $"{name} Dot{kernel} d={dimension} rows={rowCount} queries={queryCount}");
        AssertUntouchedAfter(squared, queryCount * rowCount, $"{name} SquaredDistance{kernel} d={dimension} rows={rowCount} queries={queryCount}");
    }

    [Theory]
    [MemberData(nameof(KernelsAndDimensions))]
    public void Rows_MatchTheDoubleReference(string name, int dimension)
    {
        var kernel = Kernel(name);
        var data = new Case(dimension);
        for (var rowCount = 0; rowCount <= MaxRows; rowCount++)
        {
            for (var q = 0; q < MaxQueries; q++)
            {
                var dot = Results(rowCount);
                kernel.DotRows(data.QuerySpan(q, 1), data.RowSpan(rowCount), dimension, dot);
                var squared = Results(rowCount);
                kernel.SquaredDistanceRows(data.QuerySpan(q, 1), data.RowSpan(rowCount), dimension, squared);
                for (var i = 0; i < rowCount; i++)
                {
                    AssertClose(data.Dot[q, i], data.DotScale[q, i], dot[i], $"{name} DotRows d={dimension} rows={rowCount} q={q} i={i}");
                    AssertClose(data.Squared[q, i], data.Squared[q, i], squared[i], $"{name} SquaredDistanceRows d={dimension} rows={rowCount} q={q} i={i}");
                }

                AssertUntouchedAfter(dot, rowCount, $"{name} DotRows d={dimension} rows={rowCount}");
                AssertUntouchedAfter(squared, rowCount, $"{name} SquaredDistanceRows d={dimension} rows={rowCount}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(KernelsAndDimensions))]
    public void Many_MatchTheDoubleReference(string name, int dimension)
    {
        var kernel = Kernel(name);
        var data = new Case(dimension);
        for (var rowCount = 1; rowCount <= MaxRows; rowCount++)
        {
            for (var queryCount = 0; queryCount <= MaxQueries; queryCount++)
            {
                var dot = Results(queryCount * rowCount);
                kernel.DotRowsMany(data.QuerySpan(0, queryCount), queryCount, data.RowSpan(rowCount), dimension, dot);
                var squared = Results(queryCount * rowCount);
                kernel.SquaredDistanceRowsMany(data.QuerySpan(0, queryCount), queryCount, data.RowSpan(rowCount), dimension, squared);
                for (var q = 0; q < queryCount; q++)
                {
                    for (var i = 0; i < rowCount; i++)
                    {
                        var what = $"d={dimension} rows={rowCount} queries={queryCount} q={q} i={i}";
                        AssertClose(data.Dot[q, i], data.DotScale[q, i], dot[q * rowCount + i], $"{name} DotRowsMany {what}");
                        AssertClose(data.Squared[q, i], data.Squared[q, i], squared[q * rowCount + i], $"{name} SquaredDistanceRowsMany {what}");
                    }
                }

                AssertUntouchedAfter(dot, queryCount * rowCount, $"{name} DotRowsMany d={dimension} rows={rowCount} queries={queryCount}");
                AssertUntouchedAfter(squared, queryCount * rowCount, $"{name} SquaredDistanceRowsMany d={dimension} rows={rowCount} queries={queryCount}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(KernelsAndDimensions))]
    public void HalfMany_MatchesTheDoubleReferenceOnTheRoundedRows(string name, int dimension)
    {
        var kernel = Kernel(name);
        var data = new Case(dimension);
        // The rows as a Float16 shard holds them, at an odd offset so that no load is aligned; the reference is
        // computed in double from the very values the halves hold. One query (queryCount 1) is the scan's single search.
        var halves = data.Rows.Select(x => (Half)x).ToArray();
        var rounded = halves.Select(h => (double)(float)h).ToArray();
        foreach (var rowCount in (int[])[0, 1, 2, 3, 5, 7, 14, 17, 21, 28, 35, 42, 49, MaxRows])
        {
            for (var queryCount = 0; queryCount <= MaxQueries; queryCount++)
            {
                var rows = halves.AsSpan(Case.Offset, rowCount * dimension);
                var dot = Results(queryCount * rowCount);
                kernel.DotRowsManyHalf(data.QuerySpan(0, queryCount), queryCount, rows, dimension, dot);
                var squared = Results(queryCount * rowCount);
                kernel.SquaredDistanceRowsManyHalf(data.QuerySpan(0, queryCount), queryCount, rows, dimension, squared);
                AssertHalfResults(name, "RowsManyHalf", data, rounded, rowCount, queryCount, dot, squared);
            }
        }
    }

    [Theory]
    [MemberData(nameof(KernelNames))]
    public void HalfRows_WidenEveryFiniteHalfExactly(string name)
    {
        // Every finite half (subnormals, ±0 and ±65504 included) packed 16 to a row; the unit query e_j picks out
        // component j of every row, whose product with 1 and sum with zeros is exact.
        const int dimension = 16;
        var kernel = Kernel(name);
        var finite = Enumerable.Range(0, 1 << 16).Select(bits => BitConverter.UInt16BitsToHalf((ushort)bits)).Where(Half.IsFinite).ToArray();
        var rows = finite.Concat(Enumerable.Repeat(Half.Zero, (dimension - finite.Length % dimension) % dimension)).ToArray();
        var rowCount = rows.Length / dimension;
        var results = new float[rowCount];
        for (var j = 0; j < dimension; j++)
        {
            var query = new float[dimension];
            query[j] = 1;
            kernel.DotRowsManyHalf(query, 1, rows, dimension, results);
            for (var i = 0; i < rowCount; i++)
            {
                var expected = (float)rows[i * dimension + j];
                Assert.True(results[i] == expected, $"{name}: half bits 0x{BitConverter.HalfToUInt16Bits(rows[i * dimension + j]):X4} widened to {results[i]:R}, expected {expected:R}.");
            }
        }
    }

    [Theory]
    [MemberData(nameof(KernelNames))]
    public void Many_AcrossRowBlocks_MatchesOneQueryAtATime(string name)
    {
        // Enough rows for several cache blocks in the many-query path, with a ragged last block.
        var kernel = Kernel(name);
        const int dimension = 100, rowCount = 1001, queryCount = 9;
        var random = new Random(7);
        var rows = Enumerable.Range(0, rowCount * dimension).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray();
        var queries = Enumerable.Range(0, queryCount * dimension).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray();
        var many = new float[queryCount * rowCount];
        kernel.DotRowsMany(queries, queryCount, rows, dimension, many);
        var manySquared = new float[queryCount * rowCount];
        kernel.SquaredDistanceRowsMany(queries, queryCount, rows, dimension, manySquared);
        var one = new float[rowCount];
        for (var q = 0; q < queryCount; q++)
        {
            var query = queries.AsSpan(q * dimension, dimension);
            kernel.DotRows(query, rows, dimension, one);
            for (var i = 0; i < rowCount; i++)
            {
                Assert.Equal(one[i], many[q * rowCount + i], 1e-4f);
            }

            kernel.SquaredDistanceRows(query, rows, dimension, one);
            for (var i = 0; i < rowCount; i++)
            {
                Assert.Equal(one[i], manySquared[q * rowCount + i], 1e-4f);
            }
        }
    }

    /// <summary>
    /// Rows [0, rowCount) of a case (floats or halves) in the block-transposed layout, stored at an odd offset like the
    /// row-major ones, with <paramref name="fill"/> (NaN) in the padding.
    /// </summary>
    private static T[] ToBlocks<T>(ReadOnlySpan<T> rows, int rowCount, int dimension, T fill)
    {
        var blocks = Enumerable.Repeat(fill, Case.Offset + BlockLayout.PaddedRows(rowCount) * dimension).ToArray();
        for (var i = 0; i < rowCount; i++)
        {
            BlockLayout.Write(rows.Slice(i * dimension, dimension), blocks.AsSpan(Case.Offset), i);
        }

        return blocks;
    }

    [Theory]
    [MemberData(nameof(KernelsAndDimensions))]
    public void Blocks_MatchTheDoubleReference(string name, int dimension)
    {
        var kernel = Kernel(name);
        var data = new Case(dimension);
        foreach (var rowCount in (int[])[16, 32, 48])
        {
            var blocks = ToBlocks(data.RowSpan(rowCount), rowCount, dimension, float.NaN).AsSpan(Case.Offset);
            for (var queryCount = 0; queryCount <= MaxQueries; queryCount++)
            {
                var dot = Results(queryCount * rowCount);
                kernel.DotBlocks(data.QuerySpan(0, queryCount), queryCount, blocks, dimension, dot);
                var squared = Results(queryCount * rowCount);
                kernel.SquaredDistanceBlocks(data.QuerySpan(0, queryCount), queryCount, blocks, dimension, squared);
                for (var q = 0; q < queryCount; q++)
                {
                    for (var i = 0; i < rowCount; i++)
                    {
                        var what = $"d={dimension} rows={rowCount} queries={queryCount} q={q} i={i}";
                        AssertClose(data.Dot[q, i], data.DotScale[q, i], dot[q * rowCount + i], $"{name} DotBlocks {what}");
                        AssertClose(data.Squared[q, i], data.Squared[q, i], squared[q * rowCount + i], $"{name} SquaredDistanceBlocks {what}");
                    }
                }

                AssertUntouchedAfter(dot, queryCount * rowCount, $"{name} DotBlocks d={dimension} rows={rowCount} queries={queryCount}");
                AssertUntouchedAfter(squared, queryCount * rowCount, $"{name} SquaredDistanceBlocks d={dimension} rows={rowCount} queries={queryCount}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(KernelsAndDimensions))]
    public void HalfBlocks_MatchTheDoubleReferenceOnTheRoundedRows(string name, int dimension)
    {
        var kernel = Kernel(name);
        var data = new Case(dimension);
        var halves = data.Rows.Select(x => (Half)x).ToArray();
        var rounded = halves.Select(h => (double)(float)h).ToArray();
        foreach (var rowCount in (int[])[16, 32, 48])
        {
            var blocks = ToBlocks<Half>(halves.AsSpan(Case.Offset, rowCount * dimension), rowCount, dimension, Half.NaN);
            for (var queryCount = 0; queryCount <= MaxQueries; queryCount++)
            {
                var dot = Results(queryCount * rowCount);
                kernel.DotBlocksHalf(data.QuerySpan(0, queryCount), queryCount, blocks.AsSpan(Case.Offset), dimension, dot);
                var squared = Results(queryCount * rowCount);
                kernel.SquaredDistanceBlocksHalf(data.QuerySpan(0, queryCount), queryCount, blocks.AsSpan(Case.Offset), dimension, squared);
                AssertHalfResults(name, "BlocksHalf", data, rounded, rowCount, queryCount, dot, squared);
            }
        }
    }

    public static TheoryData<string, bool> KernelNamesAndFormats()
    {
        var data = new TheoryData<string, bool>();
        foreach (var name in Names())
        {
            data.Add(name, false);
            data.Add(name, true);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(KernelNamesAndFormats))]
    public void Blocks_GiveARowTheSameBitsAtAnyQueryCountAndOnItsOwnBlock(string name, bool halves)
    {
        // Several cache runs of the many-query path, with a ragged last run. A search, a batch and the quantized
        // rescoring (which scores a candidate's own block) must agree to the bit.
        var kernel = Kernel(name);
        const int dimension = 100, rowCount = 1008, queryCount = 9;
        var random = new Random(11);
        var rows = Enumerable.Range(0, rowCount * dimension).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray();
        if (halves)
        {
            rows = rows.Select(x => (float)(Half)x).ToArray();
        }

        var queries = Enumerable.Range(0, queryCount * dimension).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray();
        var blocks = ToBlocks(rows, rowCount, dimension, float.NaN).AsSpan(Case.Offset).ToArray();
        var halfBlocks = blocks.Select(x => (Half)x).ToArray();
        foreach (var squared in (bool[])[false, true])
        {
            void Score(ReadOnlySpan<float> q, int count, int firstRow, int rows, Span<float> results)
            {
                var size = dimension * rows;
                switch ((halves, squared))
                {
                    case (false, false): kernel.DotBlocks(q, count, blocks.AsSpan(firstRow * dimension, size), dimension, results); break;
                    case (false, true): kernel.SquaredDistanceBlocks(q, count, blocks.AsSpan(firstRow * dimension, size), dimension, results); break;
                    case (true, false): kernel.DotBlocksHalf(q, count, halfBlocks.AsSpan(firstRow * dimension, size), dimension, results); break;
                    case (true, true): kernel.SquaredDistanceBlocksHalf(q, count, halfBlocks.AsSpan(firstRow * dimension, size), dimension, results); break;
                }
            }

            var many = new float[queryCount * rowCount];
            Score(queries, queryCount, 0, rowCount, many);
            var one = new float[rowCount];
            var own = new float[BlockLayout.Rows];
            for (var q = 0; q < queryCount; q++)
            {
                var query = queries.AsSpan(q * dimension, dimension);
                Score(query, 1, 0, rowCount, one);
                for (var i = 0; i < rowCount; i++)
                {
                    Score(query, 1, i / BlockLayout.Rows * BlockLayout.Rows, BlockLayout.Rows, own);
                    var what = $"{name} halves={halves} squared={squared} q={q} i={i}";
                    Assert.True(BitConverter.SingleToInt32Bits(one[i]) == BitConverter.SingleToInt32Bits(many[q * rowCount + i]),
                        $"{what}: alone {one[i]:R}, in the batch {many[q * rowCount + i]:R}");
                    Assert.True(BitConverter.SingleToInt32Bits(one[i]) == BitConverter.SingleToInt32Bits(own[i % BlockLayout.Rows]),
                        $"{what}: over all rows {one[i]:R}, on its own block {own[i % BlockLayout.Rows]:R}");
                    var reference = 0.0;
                    for (var k = 0; k < dimension; k++)
                    {
                        double x = query[k], y = rows[i * dimension + k];
                        reference += squared ? (x - y) * (x - y) : x * y;
                    }

                    Assert.Equal(reference, one[i], 1e-4);
                }
            }
        }
    }

    [Fact]
    public void BlockLayout_WriteAndRead_RoundTripAndPlaceComponentsByBlock()
    {
        const int dimension = 3;
        var blocks = new float[2 * BlockLayout.Rows * dimension];
        BlockLayout.Write([1f, 2f, 3f], blocks, 17);
        // Row 17 is row 1 of the second block: component d at 48 + d × 16 + 1.
        Assert.Equal([1f, 2f, 3f], new[] { blocks[49], blocks[65], blocks[81] });
        Assert.Equal(3, blocks.Count(x => x != 0));
        var row = new float[dimension];
        BlockLayout.Read(blocks, 17, row);
        Assert.Equal([1f, 2f, 3f], row);
        var halves = blocks.Select(x => (Half)x).ToArray();
        var widened = new float[dimension];
        BlockLayout.Read(halves, 17, widened);
        Assert.Equal([1f, 2f, 3f], widened);
        Assert.Equal(0, BlockLayout.PaddedRows(0));
        Assert.Equal(16, BlockLayout.PaddedRows(1));
        Assert.Equal(32, BlockLayout.PaddedRows(17));
    }

    [Theory]
    [MemberData(nameof(KernelNames))]
    public void BadArguments_Throw(string name)
    {
        var kernel = Kernel(name);
        var rows = new float[32];
        var query = new float[16];
        var results = new float[64];
        Assert.ThrowsAny<ArgumentException>(() => kernel.DotRows(query, rows, 0, results));
        Assert.ThrowsAny<ArgumentException>(() => kernel.DotRows(query, rows, 6, results)); // 32 is not a multiple of 6
        Assert.ThrowsAny<ArgumentException>(() => kernel.DotRows(query.AsSpan(0, 15), rows, 16, results));
        Assert.ThrowsAny<ArgumentException>(() => kernel.SquaredDistanceRows(query, rows, 16, results.AsSpan(0, 1)));
        Assert.ThrowsAny<ArgumentException>(() => kernel.DotRowsMany(query, 2, rows, 16, results)); // queries too short
        Assert.ThrowsAny<ArgumentException>(() => kernel.DotRowsMany(query, -1, rows, 16, results));
        Assert.ThrowsAny<ArgumentException>(() => kernel.SquaredDistanceRowsMany(rows, 2, rows, 16, results.AsSpan(0, 3)));
        Assert.ThrowsAny<ArgumentException>(() => kernel.DotBlocks(query, 1, rows, 4, results)); // 8 rows of 4: half a block
        Assert.ThrowsAny<ArgumentException>(() => kernel.SquaredDistanceBlocks(query, 1, rows, 1, results.AsSpan(0, 31)));
        Assert.ThrowsAny<ArgumentException>(() => kernel.DotBlocksHalf(query, 1, new Half[32], 4, results));
    }

    [Fact]
    public void Backends_AreWhatTheyClaim()
    {
        Assert.Contains(SimdBackend.Scalar, VectorKernels.Supported);
        Assert.True(VectorKernels.IsSupported(VectorKernels.Best));
        foreach (var backend in VectorKernels.Supported)
        {
            Assert.Equal(backend, VectorKernels.For(backend).Backend);
        }

        Assert.Equal(VectorKernels.Best, TensorPrimitivesKernel.Instance.Backend);
    }

    [Fact]
    public void Current_FollowsTheEnvironmentVariable()
    {
        // The test process may run with VECTORSHARD_SIMD set (even to something invalid): Current must agree
        // with Choose either way.
        var requested = Environment.GetEnvironmentVariable(VectorKernels.EnvironmentVariable);
        VectorKernel? chosen = null;
        try
        {
            chosen = VectorKernels.Choose(requested);
        }
        catch (VectorShardException expected)
        {
            var error = Assert.Throws<VectorShardException>(() => VectorKernels.Current);
            Assert.Equal(expected.ErrorId, error.ErrorId);
            return;
        }

        Assert.Same(chosen, VectorKernels.Current);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    public void Choose_Unset_GivesTheBest(string? requested)
    {
        Assert.Equal(VectorKernels.Best, VectorKernels.Choose(requested).Backend);
    }

    [Fact]
    public void Choose_ASupportedName_GivesThatBackend_IgnoringCaseAndBlanks()
    {
        foreach (var backend in VectorKernels.Supported)
        {
            var name = backend.ToString();
            Assert.Equal(backend, VectorKernels.Choose(name).Backend);
            Assert.Equal(backend, VectorKernels.Choose(name.ToUpperInvariant()).Backend);
            Assert.Equal(backend, VectorKernels.Choose($" {name.ToLowerInvariant()}\t").Backend);
        }
    }

    [Theory]
    [InlineData("Avx3")]
    [InlineData("2")]
    [InlineData("-1")]
    [InlineData("Avx2,Sse")]
    [InlineData("TensorPrimitives")]
    [InlineData("AVX-512")]
    public void Choose_AnUnknownName_Throws(string requested)
    {
        var error = ShardAssert.Throws("UnsupportedSimdBackend", ShardErrorCategory.InvalidArgument, () => VectorKernels.Choose(requested));
        Assert.Contains(requested, error.Message);
        Assert.Contains("Avx512", error.Message); // lists the valid names
        Assert.Equal(requested, error.TargetObject);
    }

    [Fact]
    public void UnsupportedBackends_Throw()
    {
        var unsupported = Enum.GetValues<SimdBackend>().Where(b => !VectorKernels.IsSupported(b)).ToArray();
        Assert.Equal(Enum.GetValues<SimdBackend>().Length, unsupported.Length + VectorKernels.Supported.Count);
        foreach (var backend in unsupported)
        {
            var error = ShardAssert.Throws("UnsupportedSimdBackend", ShardErrorCategory.InvalidArgument, () => VectorKernels.For(backend));
            Assert.Contains("not supported on this CPU", error.Message);
            ShardAssert.Throws("UnsupportedSimdBackend", ShardErrorCategory.InvalidArgument, () => VectorKernels.Choose(backend.ToString().ToLowerInvariant()));
        }

        Assert.False(VectorKernels.IsSupported((SimdBackend)99));
        ShardAssert.Throws("UnsupportedSimdBackend", ShardErrorCategory.InvalidArgument, () => VectorKernels.For((SimdBackend)99));
    }

    [Fact]
    public void OnThisKindOfMachine_TheWidestBackendIsChosen()
    {
        // x64 with AVX-512 (the CI and benchmark machines): Avx512 must be picked when the runtime accelerates it;
        // ARM64 must get Neon. Elsewhere this only checks the order of preference.
        if (VectorKernels.IsSupported(SimdBackend.Avx512) && System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated)
        {
            Assert.Equal(SimdBackend.Avx512, VectorKernels.Best);
        }
        else if (VectorKernels.IsSupported(SimdBackend.Avx2))
        {
            Assert.Equal(SimdBackend.Avx2, VectorKernels.Best);
        }
        else if (VectorKernels.IsSupported(SimdBackend.Neon))
        {
            Assert.Equal(SimdBackend.Neon, VectorKernels.Best);
        }
    }
}
