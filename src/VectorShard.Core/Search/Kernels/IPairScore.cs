namespace VectorShard.Core.Search.Kernels;

/// <summary>
/// One (query, row) score, for the kernels that score pair by pair (<see cref="PairwiseKernel{TDot, TSquared}"/>).
/// Implemented by structs and passed as a type argument, so each kernel's loops are compiled with a direct,
/// inlinable call.
/// </summary>
public interface IPairScore
{
    /// <summary>The score of one pair of equally long vectors.</summary>
    static abstract float Score(ReadOnlySpan<float> query, ReadOnlySpan<float> row);
}
