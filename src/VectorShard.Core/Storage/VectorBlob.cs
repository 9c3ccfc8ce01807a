using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace VectorShard.Core.Storage;

/// <summary>
/// The on-disk form of a vector: its float32 components, little-endian, packed with no header (the
/// dimension is the shard's). On little-endian CPUs — every platform the module ships for — this is
/// the in-memory layout, so a BLOB is read as floats without copying.
/// </summary>
public static class VectorBlob
{
    /// <summary>Encodes a vector as a BLOB.</summary>
    public static byte[] ToBytes(ReadOnlySpan<float> vector)
    {
        if (BitConverter.IsLittleEndian)
        {
            return MemoryMarshal.AsBytes(vector).ToArray();
        }

        var bytes = new byte[vector.Length * sizeof(float)];
        for (var i = 0; i < vector.Length; i++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * sizeof(float)), vector[i]);
        }

        return bytes;
    }

    /// <summary>
    /// The BLOB's floats in place where the CPU is little-endian (no copy); elsewhere a decoded copy.
    /// </summary>
    public static ReadOnlySpan<float> AsFloats(ReadOnlySpan<byte> blob) =>
        BitConverter.IsLittleEndian ? MemoryMarshal.Cast<byte, float>(blob) : ToFloats(blob);

    /// <summary>The BLOB bytes of a vector: in place where the CPU is little-endian, else an encoded copy.</summary>
    public static ReadOnlySpan<byte> AsBytes(ReadOnlySpan<float> vector) =>
        BitConverter.IsLittleEndian ? MemoryMarshal.AsBytes(vector) : ToBytes(vector);

    /// <summary>Decodes a BLOB into a new array.</summary>
    public static float[] ToFloats(ReadOnlySpan<byte> blob)
    {
        var vector = new float[blob.Length / sizeof(float)];
        CopyTo(blob, vector);
        return vector;
    }

    /// <summary>Decodes a BLOB into a caller's buffer (of at least blob.Length / 4 floats).</summary>
    public static void CopyTo(ReadOnlySpan<byte> blob, Span<float> destination)
    {
        if (BitConverter.IsLittleEndian)
        {
            MemoryMarshal.Cast<byte, float>(blob).CopyTo(destination);
            return;
        }

        for (var i = 0; i < blob.Length / sizeof(float); i++)
        {
            destination[i] = BinaryPrimitives.ReadSingleLittleEndian(blob[(i * sizeof(float))..]);
        }
    }
}
