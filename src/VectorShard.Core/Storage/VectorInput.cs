namespace VectorShard.Core.Storage;

/// <summary>A vector to store: an optional unique key, the components, optional metadata.</summary>
public sealed record VectorInput(string? Key, float[] Vector, IReadOnlyDictionary<string, object?>? Metadata = null)
{
    /// <summary>How errors name this row: its key, or its position in the batch.</summary>
    public string Describe(long position) => Label(Key, position + 1);

    /// <summary>How errors name a row: <c>'key'</c>, or <c>#number</c> (counting from 1) for a row without key.</summary>
    public static string Label(string? key, long number) => key is null ? $"#{number}" : $"'{key}'";
}
