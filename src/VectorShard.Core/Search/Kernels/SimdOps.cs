using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace VectorShard.Core.Search.Kernels;

/// <summary>
/// The handful of vector operations the kernels need, for one register width and instruction set. The kernel
/// code in <see cref="SimdKernel{TOps, TVec}"/> is written once against this; the JIT compiles a separate copy
/// per (struct) implementation and inlines every call, so there is no abstraction cost.
/// </summary>
internal interface ISimdOps<TVec>
    where TVec : unmanaged
{
    /// <summary>Floats per vector.</summary>
    static abstract int Width { get; }

    /// <summary>Architectural vector registers (16 for SSE and AVX2; 32 for AVX-512 and ARM64), which bounds the accumulators a micro-kernel can keep.</summary>
    static abstract int VectorRegisters { get; }

    static abstract TVec Zero { get; }

    static abstract TVec Load(ref float source, nuint index);

    /// <summary>Stores <paramref name="value"/> at destination[0..Width).</summary>
    static abstract void Store(TVec value, ref float destination);

    /// <summary>Every lane set to <paramref name="value"/>.</summary>
    static abstract TVec Broadcast(float value);

    /// <summary>
    /// Width IEEE halves from <paramref name="source"/>[index..] (read as their bits), widened to floats in
    /// registers: every finite half is exactly a float (<see cref="HalfWidening"/>).
    /// </summary>
    static abstract TVec LoadHalf(ref ushort source, nuint index);

    /// <summary>left × right + addend (fused where the backend has FMA).</summary>
    static abstract TVec MultiplyAdd(TVec left, TVec right, TVec addend);

    static abstract TVec Subtract(TVec left, TVec right);

    static abstract TVec Add(TVec left, TVec right);

    static abstract TVec And(TVec value, TVec mask);

    /// <summary>A mask whose last <paramref name="remainder"/> lanes are all ones and the others zero (0 &lt; remainder &lt; Width).</summary>
    static abstract TVec TailMask(nuint remainder);

    /// <summary>A mask whose first <paramref name="count"/> lanes are all ones and the others zero (0 &lt; count &lt; Width).</summary>
    static abstract TVec HeadMask(nuint count);

    /// <summary>
    /// [Σa, Σb, Σc, Σd]: four horizontal sums reduced together (pairwise adds across the four), several times
    /// fewer instructions than four separate sums. The micro-kernels end with sixteen sums; at small
    /// dimensions (96: six FMAs per pair) those cost more than the FMAs.
    /// </summary>
    static abstract Vector128<float> Sum4(TVec a, TVec b, TVec c, TVec d);

    /// <summary>A hint to bring the cache line at <paramref name="address"/> into L2 (never faults; a no-op where unavailable).</summary>
    static abstract void Prefetch(ref float address);
}

/// <summary>The bits the tail masks are loaded from.</summary>
internal static class TailMasks
{
    /// <summary>
    /// 16 all-ones lanes, 16 zero lanes, 16 all-ones lanes. A ReadOnlySpan over constant data (not a static
    /// array): the JIT turns it into a constant address, whereas a static field read needs a class-initialization
    /// helper call, and any call in the tail block made the register allocator spill the accumulators inside the
    /// hot loop.
    /// </summary>
    private static ReadOnlySpan<uint> Table => [~0u, ~0u, ~0u, ~0u, ~0u, ~0u, ~0u, ~0u, ~0u, ~0u, ~0u, ~0u, ~0u, ~0u, ~0u, ~0u,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        ~0u, ~0u, ~0u, ~0u, ~0u, ~0u, ~0u, ~0u, ~0u, ~0u, ~0u, ~0u, ~0u, ~0u, ~0u, ~0u];

    /// <summary>
    /// Where a <paramref name="width"/>-lane mask with its last <paramref name="remainder"/> lanes set starts:
    /// lane j reads Table[32 − width + remainder + j], which is set exactly when j ≥ width − remainder.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ref float Tail(int width, nuint remainder) =>
        ref Unsafe.Add(ref Unsafe.As<uint, float>(ref MemoryMarshal.GetReference(Table)), (nint)(32 - width) + (nint)remainder);

    /// <summary>
    /// Where a mask with its first <paramref name="count"/> lanes set starts: lane j reads Table[16 − count + j],
    /// which is set exactly when j &lt; count.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ref float Head(nuint count) =>
        ref Unsafe.Add(ref Unsafe.As<uint, float>(ref MemoryMarshal.GetReference(Table)), 16 - (nint)count);
}

/// <summary>Vector128 with separate multiply and add (SSE has no FMA; SSE-only CPUs are the target).</summary>
internal readonly struct Sse128Ops : ISimdOps<Vector128<float>>
{
    public static int Width => Vector128<float>.Count;

    public static int VectorRegisters => 16;

    public static Vector128<float> Zero => Vector128<float>.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Load(ref float source, nuint index) => Vector128.LoadUnsafe(ref source, index);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector128<float> value, ref float destination) => value.StoreUnsafe(ref destination);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Broadcast(float value) => Vector128.Create(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> LoadHalf(ref ushort source, nuint index) =>
        HalfWidening.ToSingle(Vector128.WidenLower(Vector128.CreateScalarUnsafe(
            Unsafe.ReadUnaligned<ulong>(ref Unsafe.As<ushort, byte>(ref Unsafe.Add(ref source, index)))).AsUInt16()));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> MultiplyAdd(Vector128<float> left, Vector128<float> right, Vector128<float> addend) => left * right + addend;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Subtract(Vector128<float> left, Vector128<float> right) => left - right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Add(Vector128<float> left, Vector128<float> right) => left + right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> And(Vector128<float> value, Vector128<float> mask) => value & mask;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> TailMask(nuint remainder) => Vector128.LoadUnsafe(ref TailMasks.Tail(4, remainder));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> HeadMask(nuint count) => Vector128.LoadUnsafe(ref TailMasks.Head(count));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Sum4(Vector128<float> a, Vector128<float> b, Vector128<float> c, Vector128<float> d) =>
        Sse3.IsSupported
            ? Sse3.HorizontalAdd(Sse3.HorizontalAdd(a, b), Sse3.HorizontalAdd(c, d))
            : Vector128.Create(Vector128.Sum(a), Vector128.Sum(b), Vector128.Sum(c), Vector128.Sum(d));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe void Prefetch(ref float address) => Sse.Prefetch1(Unsafe.AsPointer(ref address));
}

/// <summary>Vector128 with the ARM64 fused multiply-add (FMLA).</summary>
internal readonly struct Neon128Ops : ISimdOps<Vector128<float>>
{
    public static int Width => Vector128<float>.Count;

    public static int VectorRegisters => 32;

    public static Vector128<float> Zero => Vector128<float>.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Load(ref float source, nuint index) => Vector128.LoadUnsafe(ref source, index);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector128<float> value, ref float destination) => value.StoreUnsafe(ref destination);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Broadcast(float value) => Vector128.Create(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> LoadHalf(ref ushort source, nuint index) =>
        HalfWidening.ToSingle(Vector128.WidenLower(Vector128.CreateScalarUnsafe(
            Unsafe.ReadUnaligned<ulong>(ref Unsafe.As<ushort, byte>(ref Unsafe.Add(ref source, index)))).AsUInt16()));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> MultiplyAdd(Vector128<float> left, Vector128<float> right, Vector128<float> addend) =>
        AdvSimd.FusedMultiplyAdd(addend, left, right);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Subtract(Vector128<float> left, Vector128<float> right) => left - right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Add(Vector128<float> left, Vector128<float> right) => left + right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> And(Vector128<float> value, Vector128<float> mask) => value & mask;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> TailMask(nuint remainder) => Vector128.LoadUnsafe(ref TailMasks.Tail(4, remainder));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> HeadMask(nuint count) => Vector128.LoadUnsafe(ref TailMasks.Head(count));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Sum4(Vector128<float> a, Vector128<float> b, Vector128<float> c, Vector128<float> d) =>
        AdvSimd.Arm64.AddPairwise(AdvSimd.Arm64.AddPairwise(a, b), AdvSimd.Arm64.AddPairwise(c, d));

    /// <summary>net8.0 has no ARM prefetch intrinsic; the hardware prefetcher has to do.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Prefetch(ref float address)
    {
    }
}

/// <summary>
/// Vector256 with FMA3. net8.0 has no Vector256.FusedMultiplyAdd (that arrived in .NET 9), so this uses
/// Fma.MultiplyAdd directly.
/// </summary>
internal readonly struct Avx2Ops : ISimdOps<Vector256<float>>
{
    public static int Width => Vector256<float>.Count;

    public static int VectorRegisters => 16;

    public static Vector256<float> Zero => Vector256<float>.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Load(ref float source, nuint index) => Vector256.LoadUnsafe(ref source, index);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector256<float> value, ref float destination) => value.StoreUnsafe(ref destination);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Broadcast(float value) => Vector256.Create(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> LoadHalf(ref ushort source, nuint index) =>
        HalfWidening.ToSingle(Avx2.ConvertToVector256Int32(Vector128.LoadUnsafe(ref source, index)).AsUInt32());

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> MultiplyAdd(Vector256<float> left, Vector256<float> right, Vector256<float> addend) =>
        Fma.MultiplyAdd(left, right, addend);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Subtract(Vector256<float> left, Vector256<float> right) => left - right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Add(Vector256<float> left, Vector256<float> right) => left + right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> And(Vector256<float> value, Vector256<float> mask) => value & mask;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> TailMask(nuint remainder) => Vector256.LoadUnsafe(ref TailMasks.Tail(8, remainder));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> HeadMask(nuint count) => Vector256.LoadUnsafe(ref TailMasks.Head(count));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Sum4(Vector256<float> a, Vector256<float> b, Vector256<float> c, Vector256<float> d) =>
        Halves(Avx.HorizontalAdd(Avx.HorizontalAdd(a, b), Avx.HorizontalAdd(c, d)));

    /// <summary>Within each 128-bit half, hadd(hadd(a, b), hadd(c, d)) holds [a, b, c, d] partial sums; adding the halves finishes them.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector128<float> Halves(Vector256<float> sums) => sums.GetLower() + sums.GetUpper();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe void Prefetch(ref float address) => Sse.Prefetch1(Unsafe.AsPointer(ref address));
}

/// <summary>Vector512 with the AVX-512F fused multiply-add.</summary>
internal readonly struct Avx512Ops : ISimdOps<Vector512<float>>
{
    public static int Width => Vector512<float>.Count;

    public static int VectorRegisters => 32;

    public static Vector512<float> Zero => Vector512<float>.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Load(ref float source, nuint index) => Vector512.LoadUnsafe(ref source, index);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector512<float> value, ref float destination) => value.StoreUnsafe(ref destination);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Broadcast(float value) => Vector512.Create(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> LoadHalf(ref ushort source, nuint index) =>
        HalfWidening.ToSingle(Avx512F.ConvertToVector512UInt32(Vector256.LoadUnsafe(ref source, index)));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> MultiplyAdd(Vector512<float> left, Vector512<float> right, Vector512<float> addend) =>
        Avx512F.FusedMultiplyAdd(left, right, addend);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Subtract(Vector512<float> left, Vector512<float> right) => left - right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Add(Vector512<float> left, Vector512<float> right) => left + right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> And(Vector512<float> value, Vector512<float> mask) => value & mask;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> TailMask(nuint remainder) => Vector512.LoadUnsafe(ref TailMasks.Tail(16, remainder));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> HeadMask(nuint count) => Vector512.LoadUnsafe(ref TailMasks.Head(count));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Sum4(Vector512<float> a, Vector512<float> b, Vector512<float> c, Vector512<float> d) =>
        Avx2Ops.Halves(Avx.HorizontalAdd(Avx.HorizontalAdd(Fold(a), Fold(b)), Avx.HorizontalAdd(Fold(c), Fold(d))));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Fold(Vector512<float> value) => value.GetLower() + value.GetUpper();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe void Prefetch(ref float address) => Sse.Prefetch1(Unsafe.AsPointer(ref address));
}
