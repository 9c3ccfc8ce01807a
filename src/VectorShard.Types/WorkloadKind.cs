namespace VectorShard;

/// <summary>The load a shard is tuned for, on top of its profile.</summary>
public enum WorkloadKind
{
    /// <summary>No tuning: the profile's pragmas as they are.</summary>
    None,

    /// <summary>Mostly searches; the value is the expected queries per second.</summary>
    ReadHeavy,

    /// <summary>Mostly inserts; the value is the expected transactions per second.</summary>
    WriteHeavy,

    /// <summary>Both; the value is the percentage of operations that are reads (0–100).</summary>
    Mixed,
}
