namespace VectorShard.Core.Storage;

/// <summary>What the shard_info table records about a shard.</summary>
public sealed record ShardHeader(int Dimension, DistanceMetric Metric, ShardProfile Profile, ShardWorkload Workload, int FormatVersion,
    StoragePrecision Precision = StoragePrecision.Float32);
