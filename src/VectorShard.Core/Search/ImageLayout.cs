namespace VectorShard.Core.Search;

/// <summary>How a <see cref="VectorImage"/> keeps its rows (float32 or Float16) in memory.</summary>
public enum ImageLayout
{
    /// <summary>One row after the other.</summary>
    Rows,

    /// <summary>Block-transposed, 16 rows per block (<see cref="Kernels.BlockLayout"/>): for short rows.</summary>
    Blocks,
}
