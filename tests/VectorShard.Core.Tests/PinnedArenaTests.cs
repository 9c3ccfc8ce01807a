using System.Runtime.InteropServices;
using VectorShard.Core.Search;
using Xunit;

namespace VectorShard.Core.Tests;

/// <summary>The slabs a search image's rows and codes are carved from.</summary>
public sealed class PinnedArenaTests
{
    [Fact]
    public void Blocks_AreZeroedAligned_AndDisjoint_AcrossSlabs()
    {
        var arena = new PinnedArena<float>();
        var random = new Random(3);
        var blocks = new List<Memory<float>>();
        // Odd sizes, one larger than a whole slab, about 40 MiB in all: several slabs.
        foreach (var length in Enumerable.Range(0, 60).Select(_ => random.Next(1, 200_000)).Append(3_000_000))
        {
            var block = arena.Allocate(length);
            Assert.Equal(length, block.Length);
            Assert.All(block.ToArray(), x => Assert.Equal(0f, x));
            Assert.Equal(0, (long)Address(block) % 64);
            block.Span.Fill(blocks.Count + 1);
            blocks.Add(block);
        }

        // Every block still holds its own mark: none overlaps another.
        for (var i = 0; i < blocks.Count; i++)
        {
            Assert.All(blocks[i].ToArray(), x => Assert.Equal(i + 1, x));
        }
    }

    [Fact]
    public void Reserve_AndBytes_ServeEveryElementType()
    {
        var bytes = new PinnedArena<byte>();
        bytes.Reserve(10_000_000);
        var first = bytes.Allocate(9_000_000);
        var second = bytes.Allocate(777);
        Assert.Equal(0, (long)Address(first) % 64);
        Assert.Equal(0, (long)Address(second) % 64);
        Assert.True(Address(second) >= Address(first) + 9_000_000 || Address(second) + 777 <= Address(first));
        Assert.Throws<ArgumentOutOfRangeException>(() => bytes.Allocate(-1));
        Assert.Equal(0, bytes.Allocate(0).Length);
    }

    // The blocks are slices of arrays pinned for good, so the address a temporary handle reports stays theirs.
    private static nint Address<T>(Memory<T> memory)
        where T : unmanaged
    {
        Assert.True(MemoryMarshal.TryGetArray<T>(memory, out var segment));
        var handle = GCHandle.Alloc(segment.Array!, GCHandleType.Pinned);
        try
        {
            return handle.AddrOfPinnedObject() + segment.Offset * System.Runtime.CompilerServices.Unsafe.SizeOf<T>();
        }
        finally
        {
            handle.Free();
        }
    }
}
