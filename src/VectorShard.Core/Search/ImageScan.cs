using System.Buffers;
using System.Runtime.CompilerServices;
using VectorShard.Core.Search.Kernels;

namespace VectorShard.Core.Search;

/// <summary>
/// Exact k-NN over a <see cref="VectorImage"/> for a batch of queries: each block of rows is read once per
/// batch, and the kernel scores up to <see cref="QueryGroup"/> queries against it in one call, so a batch costs
/// little more memory traffic than one query. Scores go to <see cref="ScoreCollector"/>, which tests several
/// at a time against each query's current k-th best. L2 ranks by squared distance and takes the root of the
/// k kept only.
/// </summary>
public static class ImageScan
{
    /// <summary>
    /// The most queries the kernel scores against a block of rows in one call: the block is read from memory
    /// once and stays in cache while they all pass over it (the kernel's own blocking keeps it in L2).
    /// </summary>
    public const int QueryGroup = 64;

    /// <summary>
    /// Scores (group × rows) one kernel call may write: 256 KiB, so they are still in cache when collected.
    /// With few queries or wide rows a whole chunk fits; many queries over narrow rows take a chunk in parts.
    /// </summary>
    private const int ScoreBudgetFloats = 64 * 1024;

    /// <summary>
    /// On a row-by-row Float16 image, query groups up to this size read the rows widened in registers; larger ones
    /// convert blocks first (block-transposed halves are always widened in registers).
    /// Measured per query (W2 100,000 × 384 / W3 1,000,000 × 96): batch 8 1.22 / 2.75 ms widened against
    /// 2.0 / 5.0 converted; batch 64 1.14 / 2.50 widened against 0.80 / 2.15 converted.
    /// </summary>
    private const int WidenedHalfQueries = 16;

    /// <summary>
    /// For each query, its k nearest (id, distance) within <paramref name="maxDistance"/>, nearest first.
    /// A large image is split into runs of chunks scanned by up to <paramref name="maxThreads"/> threads (0: one per
    /// core; see <see cref="ChunkPartition"/>), each with its own top-k, merged at the end.
    /// </summary>
    public static (long Id, float Distance)[][] Run(VectorImage image, DistanceMetric metric, IReadOnlyList<float[]> queries,
        IReadOnlyList<float> queryNorms, int k, float maxDistance, VectorKernel kernel, int maxThreads = 0)
    {
        var dimension = image.Dimension;
        // Pooled, like the scores: 64 queries of 1536 dims would be a 384 KiB large-object allocation per batch.
        var packed = ArrayPool<float>.Shared.Rent(queries.Count * dimension);
        for (var q = 0; q < queries.Count; q++)
        {
            queries[q].CopyTo(packed, q * dimension);
        }

        var limit = DistanceFunction.RankingLimit(metric, maxDistance);
        var threads = ChunkPartition.Threads((long)image.Count * dimension * sizeof(float), image.ChunkCount, maxThreads);
        var partial = ChunkPartition.Run(image.ChunkCount, threads, () => Enumerable.Range(0, queries.Count).Select(_ => new TopK(k)).ToArray(),
            (best, first, end) => ScanChunks(image, metric, packed, queries.Count, queryNorms, limit, kernel, best, first, end));
        var best = partial[0];
        foreach (var other in partial.Skip(1))
        {
            for (var q = 0; q < queries.Count; q++)
            {
                best[q].Merge(other[q]);
            }
        }

        ArrayPool<float>.Shared.Return(packed);
        return best.Select(top => DistanceFunction.Finish(metric, top)).ToArray();
    }

    // A run of chunks [first, end) against every query, into the thread's top-k of each.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ScanChunks(VectorImage image, DistanceMetric metric, float[] packed, int queryCount,
        IReadOnlyList<float> queryNorms, float limit, VectorKernel kernel, TopK[] best, int first, int end)
    {
        var dimension = image.Dimension;

        // Queries split into near-equal groups of at most QueryGroup, so that e.g. 65 is 33 + 32, not 64 + 1.
        var groupCount = (queryCount + QueryGroup - 1) / QueryGroup;
        var groupSize = (queryCount + groupCount - 1) / groupCount;
        // Float16 rows are widened by the kernel as it reads them, except for large query groups: there the widening,
        // repeated for every four queries, costs more than converting a small block (RowsPerBlock) once for all.
        // Block-transposed rows (either precision) are scored in place, a whole number of blocks per call (a chunk is one too).
        var inBlocks = image.Layout == ImageLayout.Blocks;
        var widenHalves = !inBlocks && image.Precision == StoragePrecision.Float16 && groupSize <= WidenedHalfQueries;
        var rowsPerCall = inBlocks
            ? Math.Clamp(ScoreBudgetFloats / groupSize / BlockLayout.Rows * BlockLayout.Rows, BlockLayout.Rows, image.RowsPerChunk)
            : Math.Clamp(ScoreBudgetFloats / groupSize, 1, widenHalves ? image.RowsPerChunk : image.RowsPerBlock);
        var buffer = widenHalves || inBlocks ? [] : image.NewBlockBuffer();
        // Pooled: up to 256 KiB per call, which would otherwise be a large-object allocation per search. (Should
        // the scan throw, the array is simply not returned.)
        var scores = ArrayPool<float>.Shared.Rent(groupSize * rowsPerCall);

        // A single query on a norm-sorted image visits chunks nearest its norm first and skips those the
        // norm bound rules out; batches scan everything.
        var prune = queryCount == 1 && image.IsSortedByNorm && metric != DistanceMetric.Cosine;
        var order = Enumerable.Range(first, end - first);
        if (prune)
        {
            // L2: nearest norms first; Dot: largest norms first (they can have the largest products).
            order = metric == DistanceMetric.L2
                ? order.OrderBy(c => NormGap(image.GetChunkNormRange(c), queryNorms[0]))
                : order.OrderByDescending(c => image.GetChunkNormRange(c).Max);
        }

        foreach (var c in order)
        {
            if (prune)
            {
                var (min, max) = image.GetChunkNormRange(c);
                if (NormPrefilter.RulesOut(metric, queryNorms[0], min, max, MathF.Min(limit, best[0].Bound)))
                {
                    continue;
                }
            }

            var (norms, ids) = image.GetChunk(c);
            for (var row = 0; row < ids.Length; row += rowsPerCall)
            {
                var rows = Math.Min(rowsPerCall, ids.Length - row);
                // Each query's scores: rows of them, or whole blocks of them of which the first rows count.
                var stride = inBlocks ? BlockLayout.PaddedRows(rows) : rows;
                for (var start = 0; start < queryCount; start += groupSize)
                {
                    var group = Math.Min(groupSize, queryCount - start);
                    var groupScores = scores.AsSpan(0, group * stride);
                    var queries = packed.AsSpan(start * dimension, group * dimension);
                    if (inBlocks)
                    {
                        ScoreBlocks(kernel, metric, queries, group, image, c, row, stride, groupScores);
                    }
                    else if (widenHalves)
                    {
                        ScoreHalves(kernel, metric, queries, group, image.GetChunkHalves(c).Span.Slice(row * dimension, rows * dimension), dimension, groupScores);
                    }
                    else
                    {
                        Score(kernel, metric, queries, group, image.GetRows(c, row, rows, buffer), dimension, groupScores);
                    }

                    for (var q = 0; q < group; q++)
                    {
                        ScoreCollector.Collect(metric, groupScores.Slice(q * stride, rows), queryNorms[start + q],
                            norms.Span.Slice(row, rows), ids.Span.Slice(row, rows), limit, best[start + q]);
                    }
                }
            }
        }

        ArrayPool<float>.Shared.Return(scores);
    }

    private static float NormGap((float Min, float Max) range, float queryNorm) =>
        MathF.Max(0f, MathF.Max(range.Min - queryNorm, queryNorm - range.Max));

    // Float16 rows against a group of queries (one or more), widened by the kernel as it reads them.
    internal static void ScoreHalves(VectorKernel kernel, DistanceMetric metric, ReadOnlySpan<float> queries, int count,
        ReadOnlySpan<Half> rows, int dimension, Span<float> scores)
    {
        if (metric == DistanceMetric.L2)
        {
            kernel.SquaredDistanceRowsManyHalf(queries, count, rows, dimension, scores);
            return;
        }

        kernel.DotRowsManyHalf(queries, count, rows, dimension, scores);
    }

    // Float32 rows (or a converted Float16 block) against a group of queries (one or more).
    private static void Score(VectorKernel kernel, DistanceMetric metric, ReadOnlySpan<float> queries, int count,
        ReadOnlySpan<float> rows, int dimension, Span<float> scores)
    {
        if (metric == DistanceMetric.L2)
        {
            kernel.SquaredDistanceRowsMany(queries, count, rows, dimension, scores);
            return;
        }

        kernel.DotRowsMany(queries, count, rows, dimension, scores);
    }

    /// <summary>
    /// Rows [<paramref name="row"/>, row + <paramref name="rows"/>) of chunk <paramref name="chunk"/> of a block-transposed
    /// image (whole blocks: row and rows multiples of 16), float32 or Float16, against a group of queries (one or more).
    /// </summary>
    public static void ScoreBlocks(VectorKernel kernel, DistanceMetric metric, ReadOnlySpan<float> queries, int count,
        VectorImage image, int chunk, int row, int rows, Span<float> scores)
    {
        var dimension = image.Dimension;
        if (image.Precision == StoragePrecision.Float16)
        {
            var halves = image.GetChunkHalves(chunk).Span.Slice(row * dimension, rows * dimension);
            if (metric == DistanceMetric.L2)
            {
                kernel.SquaredDistanceBlocksHalf(queries, count, halves, dimension, scores);
            }
            else
            {
                kernel.DotBlocksHalf(queries, count, halves, dimension, scores);
            }

            return;
        }

        var blocks = image.GetChunkBlocks(chunk).Span.Slice(row * dimension, rows * dimension);
        if (metric == DistanceMetric.L2)
        {
            kernel.SquaredDistanceBlocks(queries, count, blocks, dimension, scores);
        }
        else
        {
            kernel.DotBlocks(queries, count, blocks, dimension, scores);
        }
    }
}
