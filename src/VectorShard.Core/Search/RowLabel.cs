namespace VectorShard.Core.Search;

/// <summary>
/// What a search result shows of a row besides its distance: its key, and whether it has metadata. The image keeps
/// these so that a search reads the row table only for results with metadata.
/// </summary>
public readonly record struct RowLabel(string? Key, bool HasMetadata);
