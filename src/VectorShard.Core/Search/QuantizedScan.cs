using System.Buffers;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using VectorShard.Core.Search.Kernels;

namespace VectorShard.Core.Search;

/// <summary>
/// Quantized search: a prescan of every row's int8 codes (a quarter of the bytes of an exact scan), 4-bit codes
/// (an eighth) or sign bits (1/32) ranks approximate distances and keeps the best K × oversample candidates, which are then
/// rescored exactly in float32. Sign-bit candidates are first re-ranked on their 4-bit codes, and only the best fifth of
/// them rescored. Recall depends on the oversampling (the benchmark reports it); sign bits
/// need much more of it than int8. Each chunk's approximate scores are computed in one block call and
/// filtered by <see cref="ScoreCollector"/> (scratch arrays come from the shared pool); a large image is prescanned by several threads.
/// </summary>
public static class QuantizedScan
{
    /// <summary>
    /// The oversampling a quantization gets when the caller names none: what found the exact neighbours in the
    /// benchmark (recall@10 ≥ 0.99 on real MiniLM embeddings, recall@5 ≥ 0.99 on 10,000 random 1536-dimension
    /// vectors; bench/VectorShard.Benchmarks/RESULTS.md). Coarser codes need more candidates.
    /// </summary>
    public static int DefaultOversample(SearchQuantization quantization) => quantization switch
    {
        SearchQuantization.Int4 => 8,
        SearchQuantization.Binary => 20,
        _ => 4,
    };

    /// <summary>
    /// Sign-bit candidates re-ranked on 4-bit codes, of which the best K × oversample ÷ this are rescored: with the default
    /// 20, K × 4, the 4-bit oversampling that kept recall@10 at 1.000 on MiniLM embeddings. Rescoring reads a candidate
    /// from memory (16 rows' worth on block-transposed images), while its 4-bit codes are a few cache lines: MiniLM sign-bit
    /// searches took 0.31–0.36 ms p50 instead of 0.44–0.48 (cold, in one process, AMD Zen 5), at the same recall. With MiniLM
    /// rows kept row by row (Intel VM), rescoring K × 2 instead kept recall@10 at 0.998 over 480 queries and took 2–7% less
    /// time: too little to trade the margin for.
    /// </summary>
    public const int SignBitReRankDivisor = 5;

    /// <summary>For each query, its k nearest (id, distance) among the rescored candidates, nearest first.</summary>
    public static (long Id, float Distance)[][] Run(VectorImage image, DistanceMetric metric, IReadOnlyList<float[]> queries,
        IReadOnlyList<float> queryNorms, int k, float maxDistance, int oversample, VectorKernel kernel,
        SearchQuantization quantization = SearchQuantization.Int8, int maxThreads = 0)
    {
        image.EnsureCodes(quantization);
        var reRankKeep = (int)Math.Min(int.MaxValue, (long)k * oversample / SignBitReRankDivisor);
        var reRank = quantization == SearchQuantization.Binary && reRankKeep >= k;
        if (reRank)
        {
            image.EnsureCodes(SearchQuantization.Int4);
        }

        var threads = ChunkPartition.Threads((long)image.Count * RowCodes.BytesPerRow(quantization, image.Dimension), image.ChunkCount, maxThreads);
        var limit = DistanceFunction.RankingLimit(metric, maxDistance);
        var keep = (int)Math.Min(int.MaxValue, (long)k * oversample);
        var results = new (long Id, float Distance)[queries.Count][];
        for (var q = 0; q < queries.Count; q++)
        {
            var prescan = quantization switch
            {
                SearchQuantization.Binary => BitsPrescan(image, metric, queries[q], queryNorms[q], keep),
                SearchQuantization.Int4 => Int4Prescan(image, metric, queries[q], queryNorms[q], keep),
                _ => Int8Prescan(image, metric, queries[q], queryNorms[q], keep),
            };
            var partial = ChunkPartition.Run(image.ChunkCount, threads, () => new TopK(keep), prescan);
            for (var t = 1; t < partial.Length; t++)
            {
                partial[0].Merge(partial[t]);
            }

            var candidates = reRank ? ReRank(image, metric, queries[q], queryNorms[q], partial[0], reRankKeep) : partial[0];
            results[q] = Rescore(image, metric, queries[q], queryNorms[q], candidates.Ids, k, limit, kernel);
        }

        return results;
    }

    /// <summary>
    /// The k nearest of the candidates, rescored exactly by the same kernel as the exact scan, so both give the same bits;
    /// nearest first. A candidate is its position in the image (chunk × <see cref="VectorImage.RowsPerChunk"/> + row), not
    /// its id, so rescoring needs no id lookup (a cache miss or two each from memory), and candidates are read in image
    /// order, which is kinder to the prefetchers than rank order.
    /// </summary>
    public static (long Id, float Distance)[] Rescore(VectorImage image, DistanceMetric metric, float[] query, float queryNorm,
        ReadOnlySpan<long> candidates, int k, float limit, VectorKernel kernel)
    {
        var best = new TopK(k);
        RescoreInto(best, image, metric, query, queryNorm, candidates, limit, kernel);
        return DistanceFunction.Finish(metric, best);
    }

    /// <summary>
    /// <see cref="Rescore"/> into <paramref name="best"/>, which keeps ids and distances in ranking form (squared for L2),
    /// so that candidates can be rescored in several rounds.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void RescoreInto(TopK best, VectorImage image, DistanceMetric metric, float[] query, float queryNorm,
        ReadOnlySpan<long> candidates, float limit, VectorKernel kernel)
    {
        var positions = RentInImageOrder(candidates);
        var ordered = positions.AsSpan(0, candidates.Length);

        // No large new arrays: a search's first touch of fresh heap memory is a page fault (tens of µs on a VM), which
        // cost W1's 4-bit search about 0.04 ms per query for a row buffer that float32 rows do not even use.
        Span<float> score = stackalloc float[BlockLayout.Rows];
        var row = ArrayPool<float>.Shared.Rent(image.Dimension);
        var scoredBlock = -1L;
        foreach (var position in ordered)
        {
            var (chunk, offset) = ((int)(position / image.RowsPerChunk), (int)(position % image.RowsPerChunk));
            var (norms, ids) = image.GetChunk(chunk);
            var (id, norm) = (ids.Span[offset], norms.Span[offset]);
            var lane = 0;
            if (image.Layout == ImageLayout.Blocks)
            {
                // Block-transposed rows: the scan's kernel over the row's own block, so its lane has the scan's bits
                // (and a candidate in the block just scored has its score already).
                lane = offset % BlockLayout.Rows;
                if (position - lane != scoredBlock)
                {
                    ImageScan.ScoreBlocks(kernel, metric, query, 1, image, chunk, offset - lane, BlockLayout.Rows, score);
                    scoredBlock = position - lane;
                }
            }
            else if (image.Precision == StoragePrecision.Float16)
            {
                // Widened inside the kernel, as a one-query scan reads Float16 rows, so both give the same bits.
                ImageScan.ScoreHalves(kernel, metric, query, 1, image.GetChunkHalves(chunk).Span.Slice(offset * image.Dimension, image.Dimension),
                    image.Dimension, score);
            }
            else
            {
                var vector = image.GetRows(chunk, offset, 1, row.AsSpan(0, image.Dimension));
                if (metric == DistanceMetric.L2)
                {
                    kernel.SquaredDistanceRows(query, vector, image.Dimension, score);
                }
                else
                {
                    kernel.DotRows(query, vector, image.Dimension, score);
                }
            }

            var distance = DistanceFunction.FromScore(metric, score[lane], queryNorm, norm);
            if (distance <= limit)
            {
                best.Add(id, distance);
            }
        }

        ArrayPool<float>.Shared.Return(row);
        ArrayPool<long>.Shared.Return(positions);
    }

    // A pooled array whose first candidates.Length elements are the candidates' positions, ascending (to be returned to the pool).
    private static long[] RentInImageOrder(ReadOnlySpan<long> candidates)
    {
        var positions = ArrayPool<long>.Shared.Rent(candidates.Length);
        var ordered = positions.AsSpan(0, candidates.Length);
        candidates.CopyTo(ordered);
        ordered.Sort();
        return positions;
    }

    // The keep candidates (positions, see Rescore) nearest by the estimate from their 4-bit codes, read in image order.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static TopK ReRank(VectorImage image, DistanceMetric metric, float[] query, float queryNorm, TopK candidates, int keep)
    {
        if (candidates.Count <= keep)
        {
            return candidates;
        }

        var prepared = Int4Codes.PrepareQuery(query);
        var bytes = Int4Codes.BytesFor(image.Dimension);
        var positions = RentInImageOrder(candidates.Ids);
        var ordered = positions.AsSpan(0, candidates.Count);
        var best = new TopK(keep);
        Span<int> dot = stackalloc int[1];
        Span<float> score = stackalloc float[1];
        // Every candidate's codes, scale and norm are asked for before the first is read, so that the misses overlap: one
        // at a time, each waited for memory. MiniLM sign-bit searches with caches evicted took 0.473-0.476 ms against
        // 0.490-0.508 (in one process, alternating). Prefetching the rows rescored after this made no measurable difference.
        foreach (var position in ordered)
        {
            var (chunk, row) = ((int)(position / image.RowsPerChunk), (int)(position % image.RowsPerChunk));
            var (codes, scales) = image.GetChunkCodes(chunk, SearchQuantization.Int4);
            StreamPrefetch.Lines(codes.Span.Slice(row * bytes, bytes));
            StreamPrefetch.Lines(scales.Span.Slice(row, 1));
            StreamPrefetch.Lines(image.GetChunk(chunk).Norms.Span.Slice(row, 1));
        }

        foreach (var position in ordered)
        {
            var (chunk, row) = ((int)(position / image.RowsPerChunk), (int)(position % image.RowsPerChunk));
            var (codes, scales) = image.GetChunkCodes(chunk, SearchQuantization.Int4);
            var norms = image.GetChunk(chunk).Norms.Span.Slice(row, 1);
            Int4Codes.DotRows(prepared, codes.Span.Slice(row * bytes, bytes), dot);
            EstimatedScores<int>(metric, dot, scales.Span.Slice(row, 1), prepared.Scale, queryNorm, norms, score);
            best.Add(position, DistanceFunction.FromScore(metric, score[0], queryNorm, norms[0]));
        }

        ArrayPool<long>.Shared.Return(positions);
        return best;
    }

    // A prescan over int8 codes: q·v ≈ scaleQ × scaleV × Σ codeQ·codeV.
    private static Action<TopK, int, int> Int8Prescan(VectorImage image, DistanceMetric metric, float[] query, float queryNorm, int keep)
    {
        var codes = ArrayPool<sbyte>.Shared.Rent(image.Dimension);
        var queryScale = Int8Codes.Quantize(query, codes.AsSpan(0, image.Dimension));
        var wide = Int8Codes.Widen(codes.AsSpan(0, image.Dimension));
        ArrayPool<sbyte>.Shared.Return(codes);
        return IntegerPrescan(image, metric, SearchQuantization.Int8, queryScale, queryNorm, keep,
            (rows, dots) => Int8Codes.DotRows(wide, MemoryMarshal.Cast<byte, sbyte>(rows), image.Dimension, dots));
    }

    // A prescan over 4-bit codes: the same estimate as int8, from half the bytes.
    private static Action<TopK, int, int> Int4Prescan(VectorImage image, DistanceMetric metric, float[] query, float queryNorm, int keep)
    {
        var prepared = Int4Codes.PrepareQuery(query);
        return IntegerPrescan(image, metric, SearchQuantization.Int4, prepared.Scale, queryNorm, keep,
            (rows, dots) => Int4Codes.DotRows(prepared, rows, dots));
    }

    // A prescan of chunks [first, end) into a thread's candidates over integer codes of one kind: a chunk's dot products
    // in one kernel call, turned into scores and filtered a vector of rows at a time.
    private static Action<TopK, int, int> IntegerPrescan(VectorImage image, DistanceMetric metric, SearchQuantization kind, float queryScale,
        float queryNorm, int keep, DotRowsAction dotRows)
    {
        return [MethodImpl(MethodImplOptions.AggressiveOptimization)] (candidates, first, end) =>
        {
            var dots = ArrayPool<int>.Shared.Rent(image.RowsPerChunk);
            var scores = ArrayPool<float>.Shared.Rent(image.RowsPerChunk);
            var positions = ArrayPool<long>.Shared.Rent(image.RowsPerChunk);
            for (var c = first; c < end; c++)
            {
                var (rowCodes, scales) = image.GetChunkCodes(c, kind);
                var (norms, ids) = image.GetChunk(c);
                dotRows(rowCodes.Span, dots);
                EstimatedScores<int>(metric, dots.AsSpan(0, ids.Length), scales.Span, queryScale, queryNorm, norms.Span, scores);
                ScoreCollector.Collect(metric, scores.AsSpan(0, ids.Length), queryNorm, norms.Span, Positions(image, c, positions),
                    float.PositiveInfinity, candidates);
            }

            ArrayPool<int>.Shared.Return(dots);
            ArrayPool<float>.Shared.Return(scores);
            ArrayPool<long>.Shared.Return(positions);
        };
    }

    // The integer dot products of a chunk's rows of codes with the query.
    private delegate void DotRowsAction(ReadOnlySpan<byte> rows, Span<int> dots);

    // A prescan of chunks [first, end) into a thread's candidates over sign bits: q·v ≈ ‖q‖‖v‖ cos(π × differing bits ÷ dimension).
    // Its chunks' bookkeeping is read first (VectorImage.WarmChunks): per chunk this scan is short (48 bytes a row on the
    // MiniLM corpus), so from cold caches its misses were a tenth of the search; warmed, MiniLM searches took 0.34-0.38
    // against 0.36-0.42 ms (in one process, alternating, either order). Longer scans over int8 or 4-bit codes showed no
    // difference, so they go without.
    private static Action<TopK, int, int> BitsPrescan(VectorImage image, DistanceMetric metric, float[] query, float queryNorm, int keep)
    {
        var queryBits = new ulong[SignBits.WordsFor(image.Dimension)];
        SignBits.Encode(query, queryBits);
        var cosines = SignBits.CosineTable(image.Dimension);
        if (metric == DistanceMetric.Cosine)
        {
            return (candidates, first, end) =>
            {
                image.WarmChunks(SearchQuantization.Binary, first, end);
                candidates.Merge(FewestDifferingBits(image, queryBits, cosines, first, end, keep));
            };
        }

        return [MethodImpl(MethodImplOptions.AggressiveOptimization)] (candidates, first, end) =>
        {
            image.WarmChunks(SearchQuantization.Binary, first, end);
            var counts = ArrayPool<int>.Shared.Rent(image.RowsPerChunk);
            var scores = ArrayPool<float>.Shared.Rent(image.RowsPerChunk);
            var positions = ArrayPool<long>.Shared.Rent(image.RowsPerChunk);
            for (var c = first; c < end; c++)
            {
                var (norms, ids) = image.GetChunk(c);
                var rowCounts = counts.AsSpan(0, ids.Length);
                SignBits.HammingRows(queryBits, MemoryMarshal.Cast<byte, ulong>(image.GetChunkCodes(c, SearchQuantization.Binary).Codes.Span), rowCounts);

                // q·v ≈ ‖q‖‖v‖ cos.
                var rows = scores.AsSpan(0, ids.Length);
                for (var row = 0; row < rows.Length; row++)
                {
                    rows[row] = cosines[rowCounts[row]];
                }

                EstimatedScores<float>(metric, rows, norms.Span, queryNorm, queryNorm, norms.Span, rows);
                ScoreCollector.Collect(metric, rows, queryNorm, norms.Span, Positions(image, c, positions), float.PositiveInfinity, candidates);
            }

            ArrayPool<int>.Shared.Return(counts);
            ArrayPool<float>.Shared.Return(scores);
            ArrayPool<long>.Shared.Return(positions);
        };
    }

    // The positions of chunk c's rows in the image (chunk × RowsPerChunk + row), which the prescans keep as candidates.
    // A loop over every row of every chunk, so compiled fully optimized from the first call, not at tier 0.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static ReadOnlySpan<long> Positions(VectorImage image, int c, long[] buffer)
    {
        var rows = buffer.AsSpan(0, image.GetChunk(c).Ids.Length);
        for (var row = 0; row < rows.Length; row++)
        {
            rows[row] = (long)c * image.RowsPerChunk + row;
        }

        return rows;
    }

    // Cosine's estimated distance, 1 − cos(π × count ÷ dimension), depends on a row's count of differing bits
    // alone, so the candidates are the keep rows with the fewest, ties taken in scan order: without a heap (which
    // cost M1 searches more than the counting itself: about 1,000 replacements in a heap of 200). The counts of a
    // sample of rows give a count that a few times keep rows should not exceed; one vector pass picks out those
    // rows, and the exact cut-off is found among them alone. On MiniLM embeddings with caches evicted, a histogram
    // of every count and a second pass over them took 0.07 ms of a 0.4 ms search.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static TopK FewestDifferingBits(VectorImage image, ulong[] queryBits, float[] cosines, int first, int end, int keep)
    {
        // Every chunk is full but the image's last, so row i of the counts is at position first × RowsPerChunk + i.
        var rowCount = Math.Min(image.Count, end * image.RowsPerChunk) - first * image.RowsPerChunk;
        var counts = ArrayPool<int>.Shared.Rent(rowCount);
        var at = 0;
        for (var c = first; c < end; c++)
        {
            var rowCounts = counts.AsSpan(at, image.GetChunk(c).Ids.Length);
            SignBits.HammingRows(queryBits, MemoryMarshal.Cast<byte, ulong>(image.GetChunkCodes(c, SearchQuantization.Binary).Codes.Span), rowCounts);
            at += rowCounts.Length;
        }

        var all = counts.AsSpan(0, rowCount);
        var sampled = SampledBound(all, cosines.Length, keep);
        var chosen = ArrayPool<int>.Shared.Rent(sampled is null ? rowCount : Math.Min(rowCount, ChosenPerKeep * keep));
        var found = AtMost(all, sampled ?? Cutoff(all, cosines.Length, keep).Cutoff, chosen);
        if (sampled is not null && found < keep)
        {
            // The sample misjudged: the bound from every count, and room for every row.
            ArrayPool<int>.Shared.Return(chosen);
            chosen = ArrayPool<int>.Shared.Rent(rowCount);
            found = AtMost(all, Cutoff(all, cosines.Length, keep).Cutoff, chosen);
        }

        var rows = chosen.AsSpan(0, found);
        var chosenCounts = ArrayPool<int>.Shared.Rent(found);
        for (var i = 0; i < rows.Length; i++)
        {
            chosenCounts[i] = all[rows[i]];
        }

        var (cutoff, atCutoff) = Cutoff(chosenCounts.AsSpan(0, found), cosines.Length, keep);
        ArrayPool<int>.Shared.Return(chosenCounts);
        var candidates = new TopK(keep);
        foreach (var row in rows)
        {
            var count = all[row];
            if (count < cutoff || (count == cutoff && atCutoff-- > 0))
            {
                candidates.Add((long)first * image.RowsPerChunk + row, 1f - cosines[count]);
            }
        }

        ArrayPool<int>.Shared.Return(chosen);
        ArrayPool<int>.Shared.Return(counts);
        return candidates;
    }

    // Rows a sampled bound may pick out, per candidate kept (the bound aims at a quarter of that).
    private const int ChosenPerKeep = 16;

    // Rows sampled for the bound, evenly spaced: a few µs of counting. For MiniLM's 44,499 rows and 200 candidates about
    // 37 of them fall at or below it.
    private const int SampledRows = 2048;

    // A count that about 4 × keep of the rows should not exceed, from an evenly spaced sample of them; null when the
    // sample would be most of the rows.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int? SampledBound(ReadOnlySpan<int> counts, int bins, int keep)
    {
        var wanted = Math.Max(16, (int)((long)4 * keep * SampledRows / counts.Length));
        if (counts.Length < 4 * SampledRows || wanted >= SampledRows / 4)
        {
            return null;
        }

        var histogram = ArrayPool<int>.Shared.Rent(bins);
        histogram.AsSpan(0, bins).Clear();
        var step = counts.Length / SampledRows;
        for (var i = 0; i < SampledRows; i++)
        {
            histogram[counts[i * step]]++;
        }

        var bound = 0;
        var below = histogram[0];
        while (below < wanted)
        {
            below += histogram[++bound];
        }

        ArrayPool<int>.Shared.Return(histogram);
        return bound;
    }

    // Writes the indexes of the counts at most bound to rows, in order; how many, or -1 when they do not fit. Nearly
    // every row is above the bound, so eight rows are compared at once and only the set bits of the mask visited
    // (taking each lane's mask in a helper, or testing with Vector<int>, made this pass half as slow again).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int AtMost(ReadOnlySpan<int> counts, int bound, Span<int> rows)
    {
        var found = 0;
        var i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var limit = Vector256.Create(bound);
            ref var start = ref MemoryMarshal.GetReference(counts);
            for (; i <= counts.Length - Vector256<int>.Count; i += Vector256<int>.Count)
            {
                for (var mask = Vector256.LessThanOrEqual(Vector256.LoadUnsafe(ref start, (nuint)i), limit).ExtractMostSignificantBits();
                    mask != 0; mask &= mask - 1)
                {
                    if (found == rows.Length)
                    {
                        return -1;
                    }

                    rows[found++] = i + BitOperations.TrailingZeroCount(mask);
                }
            }
        }

        for (; i < counts.Length; i++)
        {
            if (counts[i] <= bound)
            {
                if (found == rows.Length)
                {
                    return -1;
                }

                rows[found++] = i;
            }
        }

        return found;
    }

    // The count at which the keep smallest of counts (each below bins) end, and how many rows at exactly that
    // count are still to be taken. Four interleaved histograms, so that runs of equal counts do not wait on each
    // other's increments.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static (int Cutoff, int AtCutoff) Cutoff(ReadOnlySpan<int> counts, int bins, int keep)
    {
        var histograms = ArrayPool<int>.Shared.Rent(4 * bins);
        histograms.AsSpan(0, 4 * bins).Clear();
        var i = 0;
        for (; i <= counts.Length - 4; i += 4)
        {
            histograms[counts[i]]++;
            histograms[bins + counts[i + 1]]++;
            histograms[2 * bins + counts[i + 2]]++;
            histograms[3 * bins + counts[i + 3]]++;
        }

        for (; i < counts.Length; i++)
        {
            histograms[counts[i]]++;
        }

        // Every row below the cut-off is taken, and rows at it in scan order until there are keep.
        var cutoff = 0;
        var below = 0;
        while (cutoff < bins)
        {
            var atCount = histograms[cutoff] + histograms[bins + cutoff] + histograms[2 * bins + cutoff] + histograms[3 * bins + cutoff];
            if (below + atCount >= keep)
            {
                break;
            }

            below += atCount;
            cutoff++;
        }

        ArrayPool<int>.Shared.Return(histograms);
        return (cutoff, keep - below);
    }

    // The kernel-form scores of a chunk's rows from estimates of q·v = dots[i] × weights[i] × factor: the product
    // itself, or for L2 ‖q‖² + ‖v‖² − 2 q·v. One pass in vectors of rows (integer dots converted as they are
    // loaded), fully optimized from the first call: it runs once per chunk, and as TensorPrimitives calls (one pass
    // each) it cost W1 searches about 0.1 ms while the JIT still ran them unoptimized.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void EstimatedScores<TDot>(DistanceMetric metric, ReadOnlySpan<TDot> dots, ReadOnlySpan<float> weights, float factor,
        float queryNorm, ReadOnlySpan<float> norms, Span<float> scores)
        where TDot : unmanaged
    {
        var l2 = metric == DistanceMetric.L2;
        var scale = l2 ? -2 * factor : factor;
        var offset = l2 ? queryNorm * queryNorm : 0f;
        var i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            for (; i <= dots.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                var dot = typeof(TDot) == typeof(int)
                    ? Vector.ConvertToSingle(new Vector<int>(MemoryMarshal.Cast<TDot, int>(dots[i..])))
                    : new Vector<float>(MemoryMarshal.Cast<TDot, float>(dots[i..]));
                var score = dot * new Vector<float>(weights[i..]) * scale;
                if (l2)
                {
                    var norm = new Vector<float>(norms[i..]);
                    score += norm * norm + new Vector<float>(offset);
                }

                score.CopyTo(scores[i..]);
            }
        }

        for (; i < dots.Length; i++)
        {
            var dot = typeof(TDot) == typeof(int) ? MemoryMarshal.Cast<TDot, int>(dots)[i] : MemoryMarshal.Cast<TDot, float>(dots)[i];
            scores[i] = dot * weights[i] * scale + (l2 ? norms[i] * norms[i] + offset : 0f);
        }
    }
}
