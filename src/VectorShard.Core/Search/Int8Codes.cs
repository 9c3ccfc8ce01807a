using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace VectorShard.Core.Search;

/// <summary>
/// Symmetric int8 quantization, one scale per vector (its largest magnitude ÷ 127), and the int8 dot
/// product the quantized prescan runs on: x · y ≈ scaleX × scaleY × Σ codeX·codeY.
/// </summary>
public static class Int8Codes
{
    /// <summary>Writes the codes of <paramref name="vector"/> and returns its scale.</summary>
    public static float Quantize(ReadOnlySpan<float> vector, Span<sbyte> codes)
    {
        var max = 0f;
        foreach (var x in vector)
        {
            max = MathF.Max(max, MathF.Abs(x));
        }

        var scale = max == 0 ? 1f : max / 127f;
        var inverse = 1f / scale;
        for (var i = 0; i < vector.Length; i++)
        {
            codes[i] = (sbyte)Math.Clamp(MathF.Round(vector[i] * inverse), -127f, 127f);
        }

        return scale;
    }

    /// <summary>Σ a[i]·b[i] over int8 codes, in int32 (exact for dimensions up to 2^31 / 127²).</summary>
    public static int Dot(ReadOnlySpan<sbyte> a, ReadOnlySpan<sbyte> b)
    {
        var i = 0;
        var sum = 0;
        if (Avx512BW.IsSupported && a.Length >= 32)
        {
            // Sign-extend 32 codes to 16 bits, multiply pairwise and add adjacent pairs into 32-bit lanes.
            var accumulator = Vector512<int>.Zero;
            for (; i <= a.Length - 32; i += 32)
            {
                var x = Avx512BW.ConvertToVector512Int16(Vector256.Create(a.Slice(i, 32)));
                var y = Avx512BW.ConvertToVector512Int16(Vector256.Create(b.Slice(i, 32)));
                accumulator += Avx512BW.MultiplyAddAdjacent(x, y);
            }

            sum = Vector512.Sum(accumulator);
        }
        else if (Avx2.IsSupported && a.Length >= 16)
        {
            var accumulator = Vector256<int>.Zero;
            for (; i <= a.Length - 16; i += 16)
            {
                var x = Avx2.ConvertToVector256Int16(Vector128.Create(a.Slice(i, 16)));
                var y = Avx2.ConvertToVector256Int16(Vector128.Create(b.Slice(i, 16)));
                accumulator += Avx2.MultiplyAddAdjacent(x, y);
            }

            sum = Vector256.Sum(accumulator);
        }

        for (; i < a.Length; i++)
        {
            sum += a[i] * b[i];
        }

        return sum;
    }
}
