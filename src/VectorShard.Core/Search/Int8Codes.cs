using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;
using System.Runtime.Intrinsics;

namespace VectorShard.Core.Search;

/// <summary>
/// Symmetric int8 quantization, one scale per vector (its largest magnitude ÷ 127), and the int8 dot
/// product the quantized prescan runs on: x · y ≈ scaleX × scaleY × Σ codeX·codeY.
/// </summary>
public static class Int8Codes
{
    /// <summary>Writes the codes of <paramref name="vector"/> and returns its scale.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float Quantize(ReadOnlySpan<float> vector, Span<sbyte> codes)
    {
        var scale = RowCodes.Scale(vector, 127f);
        var inverse = 1f / scale;
        var i = 0;
        if (Avx2.IsSupported)
        {
            // 32 components a step: vcvtps2dq rounds to nearest, ties to even, as MathF.Round does. The codes of
            // 100,000 × 384 rows took 20–138 ms this way against 179–322 ms one component at a time (in one process,
            // first touch of their memory included), time the first exact search pays.
            ref var source = ref MemoryMarshal.GetReference(vector);
            var factor = Vector256.Create(inverse);
            var (low, high) = (Vector256.Create(-127), Vector256.Create(127));
            ref var target = ref MemoryMarshal.GetReference(codes);
            for (; i + 32 <= vector.Length; i += 32)
            {
                var a = Avx.ConvertToVector256Int32(Vector256.LoadUnsafe(ref source, (nuint)i) * factor);
                var b = Avx.ConvertToVector256Int32(Vector256.LoadUnsafe(ref source, (nuint)(i + 8)) * factor);
                var c = Avx.ConvertToVector256Int32(Vector256.LoadUnsafe(ref source, (nuint)(i + 16)) * factor);
                var d = Avx.ConvertToVector256Int32(Vector256.LoadUnsafe(ref source, (nuint)(i + 24)) * factor);
                var words = (Vector256.Narrow(Clamp(a, low, high), Clamp(b, low, high)), Vector256.Narrow(Clamp(c, low, high), Clamp(d, low, high)));
                Vector256.Narrow(words.Item1, words.Item2).StoreUnsafe(ref target, (nuint)i);
            }
        }

        for (; i < vector.Length; i++)
        {
            codes[i] = (sbyte)Math.Clamp(MathF.Round(vector[i] * inverse), -127f, 127f);
        }

        return scale;
    }

    /// <summary>
    /// ‖vector − scale × codes‖, rounded up: an upper bound on the codes' error in any dot product per unit of the
    /// other vector's length (Cauchy–Schwarz), tighter than half a step per component by about √3 on typical rows.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float Residual(ReadOnlySpan<float> vector, ReadOnlySpan<sbyte> codes, float scale)
    {
        var i = 0;
        var sum = 0d;
        if (Avx2.IsSupported)
        {
            // Eight components a step: the first exact search of an image runs this over every row (100,000 × 384 rows'
            // codes and residuals took 20–119 ms against 135–219 ms one component at a time in double, in one process).
            // Each error is computed in float32, off by at most about 2⁻²³ × 127 steps, so the result is widened by 2⁻¹².
            ref var x = ref MemoryMarshal.GetReference(vector);
            ref var c = ref MemoryMarshal.GetReference(codes);
            var step = Vector256.Create(scale);
            var squares = Vector256<float>.Zero;
            for (; i + 16 <= vector.Length; i += 8)
            {
                var code = Avx.ConvertToVector256Single(Avx2.ConvertToVector256Int32(Vector128.LoadUnsafe(ref c, (nuint)i)));
                var error = Vector256.LoadUnsafe(ref x, (nuint)i) - code * step;
                squares += error * error;
            }

            sum = Vector256.Sum(squares);
        }

        for (; i < vector.Length; i++)
        {
            var error = vector[i] - (double)scale * codes[i];
            sum += error * error;
        }

        return (float)Math.Sqrt(sum) * (1f + 1f / (1 << 12));
    }

    private static Vector256<int> Clamp(Vector256<int> value, Vector256<int> low, Vector256<int> high) =>
        Vector256.Min(high, Vector256.Max(low, value));

    /// <summary>
    /// The largest 16-bit query code <see cref="DotRows"/> can take at this dimension with its int32 sums exact:
    /// dimension × 127 × this stays below 2^31 (32,767 up to 516 dimensions, 11,008 at 1536).
    /// </summary>
    public static int WideQueryMax(int dimension) => (int)Math.Min(short.MaxValue, int.MaxValue / (127L * dimension));

    /// <summary>
    /// Writes 16-bit codes of a query for <see cref="DotRows"/> (up to <see cref="WideQueryMax"/>) and returns its scale: the
    /// kernel widens every code to 16 bits anyway, so a query quantized this finely costs nothing more than an int8 one
    /// and adds hundreds of times less error.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float QuantizeWide(ReadOnlySpan<float> query, Span<short> codes)
    {
        var top = WideQueryMax(query.Length);
        var scale = RowCodes.Scale(query, top);
        var inverse = 1f / scale;
        for (var i = 0; i < query.Length; i++)
        {
            codes[i] = (short)Math.Clamp(MathF.Round(query[i] * inverse), -top, top);
        }

        return scale;
    }

    /// <summary>The codes widened to 16 bits: a query is widened once, then multiplied against every row.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static short[] Widen(ReadOnlySpan<sbyte> codes)
    {
        var wide = new short[codes.Length];
        for (var i = 0; i < codes.Length; i++)
        {
            wide[i] = codes[i];
        }

        return wide;
    }

    /// <summary>
    /// results[i] = Σ query[j]·rows[i][j] over int8 rows stored contiguously (row i at rows[i*dimension..]), in int32
    /// (exact for dimensions up to 2^31 / 127²), with the query already widened (<see cref="Widen"/>).
    /// </summary>
    // Fully optimized from the first call: the first searches of a session would otherwise run unoptimized code.
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    public static void DotRows(ReadOnlySpan<short> query, ReadOnlySpan<sbyte> rows, int dimension, Span<int> results)
    {
        if (query.Length != dimension || rows.Length % dimension != 0 || results.Length < rows.Length / dimension)
        {
            throw new ArgumentException($"Expected a query of {dimension} codes, whole rows, and a result per row.");
        }

        ref var q = ref MemoryMarshal.GetReference(query);
        ref var r = ref MemoryMarshal.GetReference(rows);
        for (var row = 0; row < rows.Length / dimension; row++)
        {
            results[row] = Dot(ref q, ref Unsafe.Add(ref r, row * dimension), dimension);
        }
    }

    // Each step sign-extends a block of row codes to 16 bits, multiplies them by the query's and adds adjacent
    // pairs into 32-bit lanes (vpmaddwd). One accumulator is enough: its add has a latency of one cycle.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Dot(ref short q, ref sbyte r, int n)
    {
        var i = 0;
        var sum = 0;
        if (Avx512BW.IsSupported && n >= 32)
        {
            var wide = Vector512<int>.Zero;
            for (; i + 32 <= n; i += 32)
            {
                wide += Avx512BW.MultiplyAddAdjacent(Avx512BW.ConvertToVector512Int16(Vector256.LoadUnsafe(ref r, (nuint)i)), Vector512.LoadUnsafe(ref q, (nuint)i));
            }

            sum = Vector512.Sum(wide);
        }
        else if (Avx2.IsSupported && n >= 16)
        {
            var narrow = Vector256<int>.Zero;
            for (; i + 16 <= n; i += 16)
            {
                narrow += Avx2.MultiplyAddAdjacent(Avx2.ConvertToVector256Int16(Vector128.LoadUnsafe(ref r, (nuint)i)), Vector256.LoadUnsafe(ref q, (nuint)i));
            }

            sum = Vector256.Sum(narrow);
        }

        for (; i < n; i++)
        {
            sum += Unsafe.Add(ref q, i) * Unsafe.Add(ref r, i);
        }

        return sum;
    }
}
