using System.Numerics.Tensors;
using System.Runtime.InteropServices;

namespace VectorShard.Core.Search;

/// <summary>
/// The compact copies of a row that a quantized prescan reads, one kind per <see cref="SearchQuantization"/>:
/// int8 codes (<see cref="Int8Codes"/>), 4-bit codes (<see cref="Int4Codes"/>) or sign bits
/// (<see cref="SignBits"/>), each kept as bytes with a scale per row (sign bits have none: 1).
/// </summary>
public static class RowCodes
{
    /// <summary>Bytes of codes per row of <paramref name="dimension"/> components.</summary>
    public static int BytesPerRow(SearchQuantization kind, int dimension) => kind switch
    {
        SearchQuantization.Int8 => dimension,
        SearchQuantization.Int4 => Int4Codes.BytesFor(dimension),
        SearchQuantization.Binary => SignBits.WordsFor(dimension) * sizeof(ulong),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "not a quantization"),
    };

    /// <summary>
    /// The step that puts the vector's largest magnitude at <paramref name="largestCode"/> (so every code lies within
    /// ±largestCode), or 1 for a vector of zeros, whose codes are all 0 at any step.
    /// </summary>
    public static float Scale(ReadOnlySpan<float> vector, float largestCode)
    {
        var max = vector.IsEmpty ? 0f : MathF.Abs(TensorPrimitives.MaxMagnitude(vector));
        return max == 0 ? 1f : max / largestCode;
    }

    /// <summary>
    /// Writes the codes of <paramref name="vector"/> as row <paramref name="row"/> of <paramref name="chunkCodes"/> and returns
    /// its scale. Int8 and 4-bit codes lie row after row (<see cref="BytesPerRow"/> bytes each); sign bits in blocks of rows
    /// (<see cref="SignBits.EncodeRow"/>).
    /// </summary>
    public static float Encode(SearchQuantization kind, ReadOnlySpan<float> vector, Span<byte> chunkCodes, int row)
    {
        var codes = kind == SearchQuantization.Binary ? default : chunkCodes.Slice(row * BytesPerRow(kind, vector.Length), BytesPerRow(kind, vector.Length));
        switch (kind)
        {
            case SearchQuantization.Int8:
                return Int8Codes.Quantize(vector, MemoryMarshal.Cast<byte, sbyte>(codes));
            case SearchQuantization.Int4:
                return Int4Codes.Quantize(vector, codes);
            case SearchQuantization.Binary:
                SignBits.EncodeRow(vector, MemoryMarshal.Cast<byte, ulong>(chunkCodes), row);
                return 1f;
            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, "not a quantization");
        }
    }

    /// <summary>Rows of codes a chunk of <paramref name="rows"/> rows holds: sign bits fill whole blocks (<see cref="SignBits.PaddedRows"/>).</summary>
    public static int StoredRows(SearchQuantization kind, int rows) => kind == SearchQuantization.Binary ? SignBits.PaddedRows(rows) : rows;
}
