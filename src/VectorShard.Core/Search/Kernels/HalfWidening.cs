using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace VectorShard.Core.Search.Kernels;

/// <summary>
/// Half-to-float widening in vector registers, for kernels that read Float16 rows directly (.NET has no F16C
/// intrinsics: dotnet/runtime#62416). The half's exponent and mantissa bits, moved to a float's positions,
/// read as a float 2^112 times too small; one multiply rescales it, and also turns subnormal halves into the
/// right normal floats. The sign bit is put back after. Exact for every finite half (the tests compare all
/// 63,488 with the runtime's conversion); shards hold no infinities or NaNs.
/// </summary>
internal static class HalfWidening
{
    private const uint MagnitudeBits = 0x7FFF;

    // 2^112 = 2^(127 − 15): the difference of the two exponent biases.
    private const float Rescale = 5192296858534827628530496329220096f;

    /// <summary>The floats of four halves, each zero-extended to 32 bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> ToSingle(Vector128<uint> bits) =>
        ((bits & Vector128.Create(MagnitudeBits)) << 13).AsSingle() * Vector128.Create(Rescale) | ((bits >> 15) << 31).AsSingle();

    /// <summary>The floats of eight halves, each zero-extended to 32 bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> ToSingle(Vector256<uint> bits) =>
        ((bits & Vector256.Create(MagnitudeBits)) << 13).AsSingle() * Vector256.Create(Rescale) | ((bits >> 15) << 31).AsSingle();

    /// <summary>The floats of sixteen halves, each zero-extended to 32 bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> ToSingle(Vector512<uint> bits) =>
        ((bits & Vector512.Create(MagnitudeBits)) << 13).AsSingle() * Vector512.Create(Rescale) | ((bits >> 15) << 31).AsSingle();
}
