using System.Collections.Concurrent;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace VectorShard.Core.Search;

/// <summary>
/// Binary quantization: one sign bit per component, packed 64 to a word. The Hamming distance between two
/// vectors' bits estimates the angle between them (angle ≈ π × differing bits ÷ dimension), so a prescan
/// reads 1/32 of the bytes of an exact scan.
/// </summary>
public static class SignBits
{
    private static readonly ConcurrentDictionary<int, float[]> CosineTables = new();

    /// <summary>Words of bits per vector of <paramref name="dimension"/> components.</summary>
    public static int WordsFor(int dimension) => (dimension + 63) / 64;

    /// <summary>Writes the sign bits of <paramref name="vector"/> (bit set = component above zero).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Encode(ReadOnlySpan<float> vector, Span<ulong> bits)
    {
        bits.Clear();
        for (var i = 0; i < vector.Length; i++)
        {
            if (vector[i] > 0)
            {
                bits[i >> 6] |= 1UL << (i & 63);
            }
        }
    }

    /// <summary>How many bits differ.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static int Hamming(ReadOnlySpan<ulong> a, ReadOnlySpan<ulong> b)
    {
        var count = 0;
        for (var i = 0; i < a.Length; i++)
        {
            count += BitOperations.PopCount(a[i] ^ b[i]);
        }

        return count;
    }

    /// <summary>
    /// Writes the sign bits of <paramref name="vector"/> as row <paramref name="row"/> of <paramref name="blocks"/>, where
    /// rows are kept in blocks of <see cref="BlockRows"/>: word w of the block's rows side by side, then word w + 1, so that
    /// <see cref="HammingRows"/> counts a whole block in one vector (see there). The block holding the row must exist.
    /// </summary>
    public static void EncodeRow(ReadOnlySpan<float> vector, Span<ulong> blocks, int row)
    {
        var words = WordsFor(vector.Length);
        Span<ulong> bits = words <= 64 ? stackalloc ulong[words] : new ulong[words];
        Encode(vector, bits);
        var first = row / BlockRows * BlockRows * words + row % BlockRows;
        for (var w = 0; w < words; w++)
        {
            blocks[first + w * BlockRows] = bits[w];
        }
    }

    /// <summary>Rows per block in the layout <see cref="HammingRows"/> reads (<see cref="EncodeRow"/>).</summary>
    public const int BlockRows = 8;

    /// <summary>Rows stored for <paramref name="rows"/> rows: whole blocks of <see cref="BlockRows"/>.</summary>
    public static int PaddedRows(int rows) => (rows + BlockRows - 1) / BlockRows * BlockRows;

    /// <summary>
    /// How many bits differ between <paramref name="query"/> and each of the first counts.Length rows of
    /// <paramref name="blocks"/> (laid out by <see cref="EncodeRow"/>, whole blocks: <see cref="PaddedRows"/> × query.Length
    /// words), one count per row: a chunk's counts in one call, so that a prescan keeps them for its selection.
    /// </summary>
    /// <remarks>
    /// With AVX-512 a block is one vector per word: each 64-bit lane a row's word, xored with the query's, its bits counted
    /// a nibble at a time by table lookup (vpshufb; net8.0 has no vpopcntq), the byte counts added over the words and summed
    /// per lane at the end (vpsadbw). 44,500 rows of 384 bits in cache: 0.06 ms, against 0.17 one row at a time with popcnt.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void HammingRows(ReadOnlySpan<ulong> query, ReadOnlySpan<ulong> blocks, Span<int> counts)
    {
        var words = query.Length;
        var needed = (long)PaddedRows(counts.Length) * words;
        if (blocks.Length < needed)
        {
            throw new ArgumentException($"{counts.Length} rows of {words} words in blocks of {BlockRows} need {needed} words; got {blocks.Length}.",
                nameof(blocks));
        }

        var block = 0;
        if (Avx512BW.IsSupported)
        {
            Span<int> last = stackalloc int[BlockRows];
            ref var queryWords = ref MemoryMarshal.GetReference(query);
            ref var first = ref MemoryMarshal.GetReference(blocks);
            for (; block * BlockRows < counts.Length; block++)
            {
                var sums = BlockCounts(ref queryWords, words, ref Unsafe.Add(ref first, block * BlockRows * words));
                var rows = Math.Min(BlockRows, counts.Length - block * BlockRows);
                if (rows == BlockRows)
                {
                    sums.StoreUnsafe(ref counts[block * BlockRows]);
                }
                else
                {
                    sums.StoreUnsafe(ref last[0]);
                    last[..rows].CopyTo(counts[(block * BlockRows)..]);
                }
            }

            return;
        }

        for (var row = 0; row < counts.Length; row++)
        {
            var first = row / BlockRows * BlockRows * words + row % BlockRows;
            if (row % BlockRows == 0)
            {
                StreamPrefetch.Ahead(ref Unsafe.AsRef(in blocks[first]));
            }

            var count = 0;
            for (var w = 0; w < words; w++)
            {
                count += BitOperations.PopCount(query[w] ^ blocks[first + w * BlockRows]);
            }

            counts[row] = count;
        }
    }

    // The counts of one block's eight rows (words × 8 words), as eight int32 lanes.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> BlockCounts(ref ulong query, int words, ref ulong block)
    {
        // Bits set in each nibble value, once per 128-bit lane (vpshufb looks up within lanes).
        var table = Vector512.Create((byte)0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4, 0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4,
            0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4, 0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4);
        var nibble = Vector512.Create((byte)0x0F);
        var total = Vector512<ulong>.Zero;

        // A byte counts at most 8 bits a word: summed into the 64-bit lanes every 31 words, before it could overflow.
        for (var group = 0; group < words; group += 31)
        {
            var bytes = Vector512<byte>.Zero;
            var end = Math.Min(words, group + 31);
            for (var w = group; w < end; w++)
            {
                // Each word of a block is one cache line.
                ref var line = ref Unsafe.Add(ref block, w * BlockRows);
                StreamPrefetch.Ahead(ref line);
                var x = (Vector512.LoadUnsafe(ref line) ^ Vector512.Create(Unsafe.Add(ref query, w))).AsByte();
                bytes += Avx512BW.Shuffle(table, x & nibble) + Avx512BW.Shuffle(table, Vector512.ShiftRightLogical(x.AsUInt16(), 4).AsByte() & nibble);
            }

            total += Avx512BW.SumAbsoluteDifferences(bytes, Vector512<byte>.Zero).AsUInt64();
        }

        return Avx512F.ConvertToVector256Int32(total.AsInt64());
    }

    /// <summary>
    /// The estimated cosine for every possible count of differing bits (index 0 to <paramref name="dimension"/>),
    /// computed once per dimension: a prescan looks one up per row instead of computing a cosine.
    /// </summary>
    public static float[] CosineTable(int dimension) =>
        CosineTables.GetOrAdd(dimension, d => Enumerable.Range(0, d + 1).Select(differing => EstimatedCosine(differing, d)).ToArray());

    /// <summary>The cosine the Hamming distance estimates: cos(π × differing ÷ dimension).</summary>
    public static float EstimatedCosine(int differing, int dimension) => MathF.Cos(MathF.PI * differing / dimension);
}
