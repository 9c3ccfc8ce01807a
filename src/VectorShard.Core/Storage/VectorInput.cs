namespace VectorShard.Core.Storage;

/// <summary>A vector to store: an optional unique key, the components, optional metadata.</summary>
public sealed record VectorInput(string? Key, float[] Vector, IReadOnlyDictionary<string, object?>? Metadata = null)
{
    /// <summary>How errors name this row: its key, or its position in the batch.</summary>
    public string Describe(long position) => Key is null ? $"#{position + 1}" : $"'{Key}'";
}
