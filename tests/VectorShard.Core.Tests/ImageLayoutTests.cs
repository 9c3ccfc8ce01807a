using VectorShard.Core.Search;
using VectorShard.Core.Search.Kernels;
using VectorShard.Core.Storage;
using Xunit;

namespace VectorShard.Core.Tests;

/// <summary>
/// The two float32 layouts of the in-memory image: row by row, and block-transposed (short rows). Both must hold
/// the same rows through writes and removals, and give the same answers to exact and quantized search.
/// </summary>
public sealed class ImageLayoutTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Theory]
    [InlineData(1, StoragePrecision.Float32, ImageLayout.Blocks)]
    [InlineData(96, StoragePrecision.Float32, ImageLayout.Blocks)]
    [InlineData(VectorImage.BlockMaxDimension, StoragePrecision.Float32, ImageLayout.Blocks)]
    [InlineData(VectorImage.BlockMaxDimension + 1, StoragePrecision.Float32, ImageLayout.Rows)]
    [InlineData(1536, StoragePrecision.Float32, ImageLayout.Rows)]
    [InlineData(96, StoragePrecision.Float16, ImageLayout.Blocks)]
    [InlineData(VectorImage.HalfBlockMaxDimension, StoragePrecision.Float16, ImageLayout.Blocks)]
    [InlineData(VectorImage.HalfBlockMaxDimension + 1, StoragePrecision.Float16, ImageLayout.Rows)]
    [InlineData(384, StoragePrecision.Float16, ImageLayout.Rows)]
    public void DefaultLayout_IsBlocksForShortRowsOnly(int dimension, StoragePrecision precision, ImageLayout expected)
    {
        Assert.Equal(expected, VectorImage.DefaultLayout(dimension, precision));
    }

    [Theory]
    [InlineData(DistanceMetric.L2, 33, StoragePrecision.Float32)]
    [InlineData(DistanceMetric.Cosine, 96, StoragePrecision.Float32)]
    [InlineData(DistanceMetric.Dot, 60, StoragePrecision.Float32)]
    [InlineData(DistanceMetric.L2, 384, StoragePrecision.Float32)]
    [InlineData(DistanceMetric.L2, 60, StoragePrecision.Float16)]
    [InlineData(DistanceMetric.Cosine, 96, StoragePrecision.Float16)]
    public void BothLayouts_HoldTheSameRows_AndGiveTheSameAnswers_ThroughWrites(DistanceMetric metric, int dimension, StoragePrecision precision)
    {
        var random = new Random(dimension);
        var path = _temp.File($"layouts-{metric}-{dimension}-{precision}.vshard");
        // Rows over several chunks, the last one partly filled and ending inside a block.
        var rowCount = 0;
        using (var shard = Shard.Create(path, new ShardOptions(dimension, metric, Precision: precision)))
        {
            var added = shard.Add(Enumerable.Range(0, 9000).Select(_ => new VectorInput(null, RandomData.Vector(random, dimension))).ToArray());
            rowCount = added.Count;
        }

        using var connection = RawSqlite.Open(path);
        var rows = VectorImage.Load(connection, dimension, precision, ImageLayout.Rows);
        var blocks = VectorImage.Load(connection, dimension, precision, ImageLayout.Blocks);
        Assert.True(blocks.ChunkCount > 1 && blocks.Count % BlockLayout.Rows != 0, "the data should cross chunks and end inside a block");
        var ids = Enumerable.Range(0, rows.ChunkCount).SelectMany(c => rows.GetChunk(c).Ids.ToArray()).ToList();
        AssertSameAnswers(metric, rows, blocks, ids, random);

        // The same writes to both: overwrites, new rows, and removals (each moves the last row into the hole).
        foreach (var id in ids.Take(50).Concat([ids[^1], ids[^2]]))
        {
            var vector = RandomData.Vector(random, dimension);
            rows.Upsert(id, vector, (float)Reference.Norm(vector));
            blocks.Upsert(id, vector, (float)Reference.Norm(vector));
        }

        for (var n = 0; n < 40; n++)
        {
            var vector = RandomData.Vector(random, dimension);
            rows.Upsert(100_000 + n, vector, (float)Reference.Norm(vector));
            blocks.Upsert(100_000 + n, vector, (float)Reference.Norm(vector));
        }

        foreach (var id in ids.Skip(10).Take(30).Concat([100_039L, ids[^3]]))
        {
            rows.Remove(id);
            blocks.Remove(id);
        }

        Assert.Equal(rowCount + 40 - 32, blocks.Count);
        var remaining = Enumerable.Range(0, rows.ChunkCount).SelectMany(c => rows.GetChunk(c).Ids.ToArray()).ToList();
        AssertSameAnswers(metric, rows, blocks, remaining, random);
    }

    // The chunk and row holding id (which must be there).
    private static (int Chunk, int Row) Locate(VectorImage image, long id)
    {
        for (var c = 0; c < image.ChunkCount; c++)
        {
            var row = image.GetChunk(c).Ids.Span.IndexOf(id);
            if (row >= 0)
            {
                return (c, row);
            }
        }

        throw new Xunit.Sdk.XunitException($"Id {id} is not in the image.");
    }

    private static void AssertSameAnswers(DistanceMetric metric, VectorImage rows, VectorImage blocks, List<long> ids, Random random)
    {
        var dimension = rows.Dimension;
        Assert.Equal(rows.Count, blocks.Count);

        // Every row reads back exactly, by id and chunk by chunk in the same order.
        var (a, b) = (new float[dimension], new float[dimension]);
        foreach (var id in ids)
        {
            var (expectedChunk, expectedRow) = Locate(rows, id);
            var (actualChunk, actualRow) = Locate(blocks, id);
            Assert.Equal(rows.GetRows(expectedChunk, expectedRow, 1, a).ToArray(), blocks.GetRows(actualChunk, actualRow, 1, b).ToArray());
            Assert.Equal(rows.GetChunk(expectedChunk).Norms.Span[expectedRow], blocks.GetChunk(actualChunk).Norms.Span[actualRow]);
        }

        var (buffer, rowBuffer) = (blocks.NewBlockBuffer(), rows.NewBlockBuffer());
        for (var c = 0; c < blocks.ChunkCount; c++)
        {
            Assert.Equal(rows.GetChunk(c).Ids.ToArray(), blocks.GetChunk(c).Ids.ToArray());
            var count = blocks.GetChunk(c).Ids.Length;
            for (var start = 0; start < count; start += blocks.RowsPerBlock)
            {
                var n = Math.Min(blocks.RowsPerBlock, count - start);
                Assert.Equal(rows.GetRows(c, start, n, rowBuffer).ToArray(), blocks.GetRows(c, start, n, buffer).ToArray());
            }
        }

        // Exact search, one query and batches: the same neighbours at the same distances (to rounding).
        var kernel = VectorKernels.Current;
        var queries = Enumerable.Range(0, 9).Select(_ => RandomData.Vector(random, dimension)).ToArray();
        var norms = queries.Select(q => (float)Reference.Norm(q)).ToArray();
        foreach (var count in (int[])[1, 5, 9])
        {
            var expected = ImageScan.Run(rows, metric, queries[..count], norms[..count], 10, float.MaxValue, kernel);
            var actual = ImageScan.Run(blocks, metric, queries[..count], norms[..count], 10, float.MaxValue, kernel);
            for (var q = 0; q < count; q++)
            {
                Assert.Equal(expected[q].Select(r => r.Id), actual[q].Select(r => r.Id));
                Assert.All(expected[q].Zip(actual[q]), pair =>
                    Assert.Equal(pair.First.Distance, pair.Second.Distance, Math.Max(1e-4, Math.Abs(pair.First.Distance) * 1e-5)));
            }

            // A batch gives each query exactly what it gets alone.
            for (var q = 0; q < count; q++)
            {
                Assert.Equal(ImageScan.Run(blocks, metric, [queries[q]], [norms[q]], 10, float.MaxValue, kernel)[0], actual[q]);
            }
        }

        // Quantized search that rescores every row gives the exact scan's answer to the bit.
        var exact = ImageScan.Run(blocks, metric, queries[..1], norms[..1], 10, float.MaxValue, kernel)[0];
        var rescored = QuantizedScan.Run(blocks, metric, queries[..1], norms[..1], 10, float.MaxValue, blocks.Count, kernel, SearchQuantization.Int8)[0];
        Assert.Equal(exact, rescored);
    }
}
