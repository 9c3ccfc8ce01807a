using System.Runtime.CompilerServices;

namespace VectorShard.Core.Search.Kernels;

/// <summary>
/// How a kernel reads a row's components into vectors: float32 in place, or IEEE halves widened in registers.
/// A struct type argument, like <see cref="IKernelStep"/>, so each format gets its own compiled loop.
/// </summary>
internal interface IRowReader<TElement, TVec>
    where TVec : unmanaged
{
    /// <summary>Width components from row[index..] as floats.</summary>
    static abstract TVec Load(ref TElement row, nuint index);

    /// <summary>Components to cover with one masked vector before the aligned main loop (0: no alignment step).</summary>
    static abstract nuint Head(ref TElement row);
}

/// <summary>Float32 rows, loaded in place; the main loop starts at the first vector-aligned address.</summary>
internal readonly struct FloatRowReader<TOps, TVec> : IRowReader<float, TVec>
    where TOps : struct, ISimdOps<TVec>
    where TVec : unmanaged
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TVec Load(ref float row, nuint index) => TOps.Load(ref row, index);

    /// <summary>
    /// Elements before the first vector-aligned address at or after <paramref name="row"/> (0 to Width − 1).
    /// Unaligned 64-byte loads each touch two cache lines: streaming rows measured 20–21 GB/s unaligned against
    /// 32–35 GB/s aligned with AVX-512. Should the GC move the row meanwhile, only the alignment suffers.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe nuint Head(ref float row)
    {
        var w = (nuint)TOps.Width;
        return (w - (nuint)Unsafe.AsPointer(ref row) / sizeof(float) % w) % w;
    }
}

/// <summary>Float16 rows (their bits), widened as they are loaded (<see cref="ISimdOps{TVec}.LoadHalf"/>); no alignment step.</summary>
internal readonly struct HalfRowReader<TOps, TVec> : IRowReader<ushort, TVec>
    where TOps : struct, ISimdOps<TVec>
    where TVec : unmanaged
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TVec Load(ref ushort row, nuint index) => TOps.LoadHalf(ref row, index);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static nuint Head(ref ushort row) => 0;
}
