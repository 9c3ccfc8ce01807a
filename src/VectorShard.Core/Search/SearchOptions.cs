namespace VectorShard.Core.Search;

/// <summary>How many neighbours to return, how far they may be, and which vectors qualify.</summary>
public sealed record SearchOptions(int K = 10, float MaxDistance = float.PositiveInfinity, MetadataFilter? Filter = null);
