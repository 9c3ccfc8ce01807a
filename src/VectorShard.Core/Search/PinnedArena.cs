using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace VectorShard.Core.Search;

/// <summary>
/// Zeroed, pinned blocks of <typeparamref name="T"/> on 64-byte cache-line boundaries, carved from large slabs, for the
/// memory a scan streams (a <see cref="VectorImage"/>'s rows and codes). On Linux each slab's 2 MiB-aligned interior is
/// advised for transparent huge pages (madvise MADV_HUGEPAGE) before it is first touched, which the kernel honours
/// when transparent huge pages are enabled ("always" or "madvise"). Measured on the development VM over 256 MiB: first
/// touch 5 ms against 856–1,072 ms with 4 KiB pages, and a cold read at 25–35 GB/s against 16–25 GB/s (fewer TLB
/// misses). Elsewhere the slabs are plain pinned arrays. Not thread-safe: its owner allocates under its own lock.
/// </summary>
public sealed class PinnedArena<T>
    where T : unmanaged
{
    private const int LineBytes = 64;
    private const long HugePageBytes = 2L << 20;
    private const long MinSlabBytes = 4L << 20;
    private const long MaxSlabBytes = 256L << 20;

    private T[]? _slab;
    private int _next;
    private long _allocatedBytes;

    /// <summary>Elements the next slab must hold at least (set by <see cref="Reserve"/>, used once).</summary>
    private long _reserved;

    /// <summary>
    /// Makes the next slab large enough for <paramref name="elements"/> more elements (in blocks of at most
    /// int.MaxValue bytes), when the caller knows how much it is about to allocate: one slab then, not several.
    /// </summary>
    public void Reserve(long elements) => _reserved = Math.Max(_reserved, elements);

    /// <summary><paramref name="length"/> zeroed elements from a cache-line boundary, pinned for good.</summary>
    public unsafe Memory<T> Allocate(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        if (_slab is null || _next + (long)length > _slab.Length)
        {
            NewSlab(length);
        }

        var block = _slab!.AsMemory(_next, length);
        block.Span.Clear();
        // The next block starts on the next line.
        _next += (int)((((long)length * sizeof(T) + LineBytes - 1) / LineBytes * LineBytes) / sizeof(T));
        _allocatedBytes += (long)length * sizeof(T);
        return block;
    }

    private unsafe void NewSlab(int length)
    {
        // Grows with what is allocated, so that a large image takes few slabs and a small one wastes little.
        var wantedBytes = Math.Clamp(_allocatedBytes / 4, MinSlabBytes, MaxSlabBytes);
        wantedBytes = Math.Max(wantedBytes, Math.Max(_reserved, length) * sizeof(T) + LineBytes);
        _reserved = 0;
        var elements = (int)Math.Min(Array.MaxLength, (wantedBytes + HugePageBytes) / sizeof(T));
        // Uninitialized: fresh pages stay untouched until the advice below applies; Allocate clears what it hands out.
        var slab = GC.AllocateUninitializedArray<T>(elements, pinned: true);
        var address = (nuint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(slab));
        HugePages.Advise(address, (nuint)elements * (nuint)sizeof(T));
        _slab = slab;
        _next = (int)((LineBytes - address % LineBytes) % LineBytes / (nuint)sizeof(T));
    }
}
