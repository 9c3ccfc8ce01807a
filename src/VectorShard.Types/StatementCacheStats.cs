namespace VectorShard;

/// <summary>How well a shard's prepared-statement cache is doing.</summary>
public sealed record StatementCacheStats(long Hits, long Misses, int Size, int Capacity)
{
    /// <summary>The share of statement uses served by an already prepared statement (0 to 1).</summary>
    public double HitRate => Hits + Misses == 0 ? 0 : (double)Hits / (Hits + Misses);

    /// <inheritdoc />
    public override string ToString() => $"{HitRate:P1} hits ({Hits} of {Hits + Misses}), {Size}/{Capacity} statements";
}
