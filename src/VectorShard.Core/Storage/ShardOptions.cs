namespace VectorShard.Core.Storage;

/// <summary>What a new shard is created with.</summary>
public sealed record ShardOptions(int Dimension, DistanceMetric Metric = DistanceMetric.Cosine,
    ShardProfile Profile = ShardProfile.Balanced, ShardWorkload? Workload = null,
    StoragePrecision Precision = StoragePrecision.Float32);
