using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace VectorShard.Core.Search;

/// <summary>
/// Symmetric 4-bit quantization, one scale per vector (its largest magnitude ÷ 7): half the bytes of int8
/// codes, an eighth of float32. A code c in −7..7 is stored as c + 8, two to a byte: component 2j in the low
/// nibble of byte j, component 2j + 1 in the high one. The query is quantized to int8 and split the same way
/// (even and odd components), so a row's nibbles are multiplied as they are unpacked, whatever the vector width:
/// x · y ≈ scaleX × scaleY × (Σ nibble·query − 8 × Σ query).
/// </summary>
public static class Int4Codes
{
    private const int Levels = 7;
    private const int Offset = 8;

    /// <summary>Bytes of codes per vector of <paramref name="dimension"/> components.</summary>
    public static int BytesFor(int dimension) => (dimension + 1) / 2;

    /// <summary>Writes the packed codes of <paramref name="vector"/> (<see cref="BytesFor"/> bytes) and returns its scale.</summary>
    public static float Quantize(ReadOnlySpan<float> vector, Span<byte> packed)
    {
        var max = 0f;
        foreach (var x in vector)
        {
            max = MathF.Max(max, MathF.Abs(x));
        }

        var scale = max == 0 ? 1f : max / Levels;
        var inverse = 1f / scale;
        for (var j = 0; j < BytesFor(vector.Length); j++)
        {
            var low = Code(vector[2 * j], inverse);
            var high = 2 * j + 1 < vector.Length ? Code(vector[2 * j + 1], inverse) : Offset;
            packed[j] = (byte)(low | high << 4);
        }

        return scale;
    }

    /// <summary>The code of component <paramref name="index"/>, −7..7, read back from packed codes.</summary>
    public static int CodeAt(ReadOnlySpan<byte> packed, int index) =>
        ((index % 2 == 0 ? packed[index / 2] : packed[index / 2] >> 4) & 0x0F) - Offset;

    /// <summary>A query quantized to int8 and prepared for <see cref="DotRows"/>; its scale multiplies the dot products.</summary>
    public static Int4Query PrepareQuery(ReadOnlySpan<float> query)
    {
        var codes = new sbyte[query.Length];
        var scale = Int8Codes.Quantize(query, codes);
        return PrepareQuery(codes, scale);
    }

    /// <summary>A query from int8 codes already made (tests give exact codes).</summary>
    public static Int4Query PrepareQuery(ReadOnlySpan<sbyte> codes, float scale = 1f)
    {
        var bytes = BytesFor(codes.Length);
        var even = new short[bytes];
        var odd = new short[bytes];
        var sum = 0;
        for (var i = 0; i < codes.Length; i++)
        {
            (i % 2 == 0 ? even : odd)[i / 2] = codes[i];
            sum += codes[i];
        }

        return new Int4Query(even, odd, Offset * sum, scale, codes.Length);
    }

    /// <summary>
    /// results[i] = Σ query[j]·code[i][j] over rows of packed codes stored contiguously (<see cref="BytesFor"/> bytes
    /// each), in int32 (exact for dimensions up to 2^31 / (127 × 15)).
    /// </summary>
    public static void DotRows(Int4Query query, ReadOnlySpan<byte> rows, Span<int> results)
    {
        var bytes = BytesFor(query.Dimension);
        if (rows.Length % bytes != 0 || results.Length < rows.Length / bytes)
        {
            throw new ArgumentException($"Expected whole rows of {bytes} bytes and a result per row.");
        }

        ref var even = ref MemoryMarshal.GetArrayDataReference(query.Even);
        ref var odd = ref MemoryMarshal.GetArrayDataReference(query.Odd);
        ref var r = ref MemoryMarshal.GetReference(rows);
        for (var row = 0; row < rows.Length / bytes; row++)
        {
            results[row] = Dot(ref even, ref odd, ref Unsafe.Add(ref r, row * bytes), bytes) - query.Offset;
        }
    }

    private static int Code(float x, float inverse) => (int)Math.Clamp(MathF.Round(x * inverse), -Levels, Levels) + Offset;

    // Each step zero-extends a block of packed bytes to 16 bits, splits each into its low nibble (an even
    // component) and high nibble (an odd one), and multiplies both by the query's halves, adding adjacent
    // pairs into 32-bit lanes (vpmaddwd).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Dot(ref short even, ref short odd, ref byte r, int n)
    {
        var i = 0;
        var sum = 0;
        if (Avx512BW.IsSupported && n >= 32)
        {
            var mask = Vector512.Create((short)0x0F);
            var wide = Vector512<int>.Zero;
            for (; i + 32 <= n; i += 32)
            {
                var packed = Avx512BW.ConvertToVector512Int16(Vector256.LoadUnsafe(ref r, (nuint)i));
                wide += Avx512BW.MultiplyAddAdjacent(packed & mask, Vector512.LoadUnsafe(ref even, (nuint)i));
                wide += Avx512BW.MultiplyAddAdjacent(Avx512BW.ShiftRightLogical(packed, 4), Vector512.LoadUnsafe(ref odd, (nuint)i));
            }

            sum = Vector512.Sum(wide);
        }
        else if (Avx2.IsSupported && n >= 16)
        {
            var mask = Vector256.Create((short)0x0F);
            var narrow = Vector256<int>.Zero;
            for (; i + 16 <= n; i += 16)
            {
                var packed = Avx2.ConvertToVector256Int16(Vector128.LoadUnsafe(ref r, (nuint)i));
                narrow += Avx2.MultiplyAddAdjacent(packed & mask, Vector256.LoadUnsafe(ref even, (nuint)i));
                narrow += Avx2.MultiplyAddAdjacent(Avx2.ShiftRightLogical(packed, 4), Vector256.LoadUnsafe(ref odd, (nuint)i));
            }

            sum = Vector256.Sum(narrow);
        }

        for (; i < n; i++)
        {
            var b = Unsafe.Add(ref r, i);
            sum += Unsafe.Add(ref even, i) * (b & 0x0F) + Unsafe.Add(ref odd, i) * (b >> 4);
        }

        return sum;
    }
}
