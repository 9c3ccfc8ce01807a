namespace VectorShard.Core.Search;

/// <summary>How a <see cref="VectorImage"/> keeps its float32 rows in memory.</summary>
public enum ImageLayout
{
    /// <summary>One row after the other (a Float16 image's halves too).</summary>
    Rows,

    /// <summary>Block-transposed, 16 rows per block (<see cref="Kernels.BlockLayout"/>): for short float32 rows.</summary>
    Blocks,
}
