using System.Runtime.InteropServices;

namespace VectorShard.Core.Search;

/// <summary>
/// The Linux madvise(MADV_HUGEPAGE) hint for memory a scan will stream (see <see cref="PinnedArena{T}"/>). Looked up in
/// the C library at run time, so a platform without it (Windows, macOS, a libc without the symbol) simply gets no hint.
/// </summary>
internal static unsafe class HugePages
{
    private const nuint PageBytes = 2 << 20;
    private const int MadviseHugePage = 14;

    private static readonly delegate* unmanaged<nint, nuint, int, int> madvise = Find();

    /// <summary>Advises the 2 MiB-aligned part of [address, address + bytes) for huge pages; does nothing where it cannot.</summary>
    public static void Advise(nuint address, nuint bytes)
    {
        var start = (address + PageBytes - 1) & ~(PageBytes - 1);
        var end = (address + bytes) & ~(PageBytes - 1);
        if (madvise is not null && end > start)
        {
            // Only a hint: a failure (e.g. transparent huge pages disabled) leaves ordinary pages.
            _ = madvise((nint)start, end - start, MadviseHugePage);
        }
    }

    private static delegate* unmanaged<nint, nuint, int, int> Find()
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }

        foreach (var name in (string[])["libc.so.6", "libc"])
        {
            if (NativeLibrary.TryLoad(name, out var library) && NativeLibrary.TryGetExport(library, "madvise", out var function))
            {
                return (delegate* unmanaged<nint, nuint, int, int>)function;
            }
        }

        return null;
    }
}
