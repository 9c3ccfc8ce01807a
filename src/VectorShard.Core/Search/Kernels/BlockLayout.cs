using System.Runtime.CompilerServices;

namespace VectorShard.Core.Search.Kernels;

/// <summary>
/// Block-transposed rows: groups of <see cref="Rows"/> rows stored component-major, so component d of row r sits at
/// (r / 16) × 16 × dimension + d × 16 + r mod 16. A kernel loads one component of 16 rows as a vector and multiplies it
/// by that query component broadcast (<see cref="VectorKernel.DotBlocks"/>): no horizontal sum per row, and one
/// sequential stream per block. For rows up to a few hundred components this scans faster than a row-by-row kernel
/// (<see cref="VectorImage.BlockMaxDimension"/> has the measurements). Writing and reading rows run once per row when an
/// image is built or its codes are, so they are compiled fully optimized from the first call, not at tier 0.
/// </summary>
public static class BlockLayout
{
    /// <summary>Rows per block (a whole number of vectors at every SIMD width, up to 512-bit).</summary>
    public const int Rows = 16;

    /// <summary><paramref name="rows"/> rounded up to whole blocks.</summary>
    public static int PaddedRows(int rows) => (rows + Rows - 1) / Rows * Rows;

    /// <summary>Stores <paramref name="vector"/> (a whole row, floats or halves) as row <paramref name="row"/> of <paramref name="blocks"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Write<T>(ReadOnlySpan<T> vector, Span<T> blocks, int row)
    {
        var block = blocks[(row / Rows * Rows * vector.Length)..];
        for (int d = 0, at = row % Rows; d < vector.Length; d++, at += Rows)
        {
            block[at] = vector[d];
        }
    }

    /// <summary>Copies row <paramref name="row"/> of <paramref name="blocks"/> into <paramref name="vector"/> (its length is the dimension).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Read<T>(ReadOnlySpan<T> blocks, int row, Span<T> vector)
    {
        var block = blocks[(row / Rows * Rows * vector.Length)..];
        for (int d = 0, at = row % Rows; d < vector.Length; d++, at += Rows)
        {
            vector[d] = block[at];
        }
    }

    /// <summary>Row <paramref name="row"/> of Float16 <paramref name="blocks"/>, widened into <paramref name="vector"/> (its length is the dimension).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Read(ReadOnlySpan<Half> blocks, int row, Span<float> vector)
    {
        var block = blocks[(row / Rows * Rows * vector.Length)..];
        for (int d = 0, at = row % Rows; d < vector.Length; d++, at += Rows)
        {
            vector[d] = (float)block[at];
        }
    }
}
