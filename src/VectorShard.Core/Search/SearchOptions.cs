namespace VectorShard.Core.Search;

/// <summary>How many neighbours to return, how far they may be, and which vectors qualify.</summary>
/// <param name="K">How many neighbours per query.</param>
/// <param name="MaxDistance">Only neighbours at this distance or nearer.</param>
/// <param name="Filter">Only vectors whose metadata matches.</param>
/// <param name="MaxThreads">Threads one search may use on a large shard; 0 = one per core.</param>
/// <param name="Quantization">Exact (None), or an approximate prescan (int8, 4-bit or sign-bit codes) with exact rescoring.</param>
/// <param name="Oversample">With quantization: how many candidates per neighbour wanted are rescored exactly; null for the
/// quantization's own default (<see cref="QuantizedScan.DefaultOversample"/>).</param>
/// <param name="CreatedAfter">Only vectors written at or after this time (searched in SQL, like a filter).</param>
/// <param name="FullScan">Exact search reads every stored vector instead of bounding distances from int8 codes first
/// (<see cref="BoundedScan"/>): the same answer, slower, without the codes' memory (a quarter of the vectors').</param>
public sealed record SearchOptions(int K = 10, float MaxDistance = float.PositiveInfinity, MetadataFilter? Filter = null, int MaxThreads = 0,
    SearchQuantization Quantization = SearchQuantization.None, int? Oversample = null, DateTimeOffset? CreatedAfter = null, bool FullScan = false);
