using System.Buffers.Binary;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;

namespace VectorShard.Core.Storage;

/// <summary>
/// The on-disk form of a vector: its components, little-endian, packed with no header (the dimension and
/// the precision are the shard's) — float32 (4 bytes each), or IEEE half (2 bytes each) in a Float16
/// shard. On little-endian CPUs — every platform the module ships for — this is the in-memory layout, so a
/// BLOB is read as floats (or halves) without copying.
/// </summary>
public static class VectorBlob
{
    /// <summary>The largest magnitude a Float16 shard stores (Half.MaxValue); larger values are refused, not rounded to infinity.</summary>
    public const float MaxHalf = 65504f;

    /// <summary>Bytes per stored component.</summary>
    public static int BytesPerComponent(StoragePrecision precision) => precision == StoragePrecision.Float16 ? 2 : sizeof(float);

    /// <summary>Encodes a vector as a float32 BLOB.</summary>
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

    /// <summary>Encodes a vector as a BLOB of the given precision (float16 rounds to nearest).</summary>
    public static byte[] ToBytes(ReadOnlySpan<float> vector, StoragePrecision precision) =>
        precision == StoragePrecision.Float16 ? EncodeHalves(vector, new Half[vector.Length]).ToArray() : ToBytes(vector);

    /// <summary>
    /// Rounds a vector to half precision into <paramref name="halves"/> and returns its float16 BLOB bytes, which
    /// view <paramref name="halves"/> (byte-swapped in place on a big-endian CPU).
    /// </summary>
    public static ReadOnlySpan<byte> EncodeHalves(ReadOnlySpan<float> vector, Span<Half> halves)
    {
        halves = halves[..vector.Length];
        TensorPrimitives.ConvertToHalf(vector, halves);
        if (!BitConverter.IsLittleEndian)
        {
            var bits = MemoryMarshal.Cast<Half, ushort>(halves);
            BinaryPrimitives.ReverseEndianness(bits, bits);
        }

        return MemoryMarshal.AsBytes(halves);
    }

    /// <summary>
    /// The BLOB's floats in place where the CPU is little-endian (no copy); elsewhere a decoded copy.
    /// </summary>
    public static ReadOnlySpan<float> AsFloats(ReadOnlySpan<byte> blob) =>
        BitConverter.IsLittleEndian ? MemoryMarshal.Cast<byte, float>(blob) : ToFloats(blob);

    /// <summary>
    /// The BLOB's components as floats: in place for float32 (see <see cref="AsFloats(ReadOnlySpan{byte})"/>), decoded
    /// into <paramref name="buffer"/> (one float per component) for float16.
    /// </summary>
    public static ReadOnlySpan<float> AsFloats(ReadOnlySpan<byte> blob, StoragePrecision precision, Span<float> buffer)
    {
        if (precision != StoragePrecision.Float16)
        {
            return AsFloats(blob);
        }

        CopyTo(blob, buffer, precision);
        return buffer[..(blob.Length / 2)];
    }

    /// <summary>A float16 BLOB's halves in place where the CPU is little-endian (no copy); elsewhere a decoded copy.</summary>
    public static ReadOnlySpan<Half> AsHalves(ReadOnlySpan<byte> blob)
    {
        if (BitConverter.IsLittleEndian)
        {
            return MemoryMarshal.Cast<byte, Half>(blob);
        }

        var halves = new Half[blob.Length / 2];
        for (var i = 0; i < halves.Length; i++)
        {
            halves[i] = BinaryPrimitives.ReadHalfLittleEndian(blob[(i * 2)..]);
        }

        return halves;
    }

    /// <summary>The BLOB bytes of a vector: in place where the CPU is little-endian, else an encoded copy.</summary>
    public static ReadOnlySpan<byte> AsBytes(ReadOnlySpan<float> vector) =>
        BitConverter.IsLittleEndian ? MemoryMarshal.AsBytes(vector) : ToBytes(vector);

    /// <summary>Decodes a float32 BLOB into a new array.</summary>
    public static float[] ToFloats(ReadOnlySpan<byte> blob)
    {
        var vector = new float[blob.Length / sizeof(float)];
        CopyTo(blob, vector);
        return vector;
    }

    /// <summary>Decodes a BLOB of the given precision into a new float array.</summary>
    public static float[] ToFloats(ReadOnlySpan<byte> blob, StoragePrecision precision)
    {
        var vector = new float[blob.Length / BytesPerComponent(precision)];
        CopyTo(blob, vector, precision);
        return vector;
    }

    /// <summary>Decodes a float32 BLOB into a caller's buffer (of at least blob.Length / 4 floats).</summary>
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

    /// <summary>Decodes a BLOB of the given precision into a caller's buffer (of at least one float per component).</summary>
    public static void CopyTo(ReadOnlySpan<byte> blob, Span<float> destination, StoragePrecision precision)
    {
        if (precision != StoragePrecision.Float16)
        {
            CopyTo(blob, destination);
            return;
        }

        var halves = AsHalves(blob);
        TensorPrimitives.ConvertToSingle(halves, destination[..halves.Length]);
    }
}
