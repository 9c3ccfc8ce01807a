using System.Collections.Concurrent;
using System.Numerics;
using System.Runtime.CompilerServices;

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
    /// How many bits differ between <paramref name="query"/> and each row of <paramref name="rows"/> (rows of
    /// query.Length words each, one count per row of <paramref name="counts"/>): a chunk's counts in one call,
    /// so that a prescan keeps them for its selection.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void HammingRows(ReadOnlySpan<ulong> query, ReadOnlySpan<ulong> rows, Span<int> counts)
    {
        var words = query.Length;
        if (rows.Length < (long)counts.Length * words)
        {
            throw new ArgumentException($"{counts.Length} rows of {words} words need {(long)counts.Length * words} words; got {rows.Length}.", nameof(rows));
        }

        for (var r = 0; r < counts.Length; r++)
        {
            for (var w = 0; w < words; w += 8)
            {
                StreamPrefetch.Ahead(ref Unsafe.AsRef(in rows[r * words + w]));
            }

            counts[r] = Hamming(query, rows.Slice(r * words, words));
        }
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
