namespace VectorShard;

/// <summary>A workload hint: its kind and the number that goes with it (qps, tps or read percentage).</summary>
public sealed record ShardWorkload(WorkloadKind Kind, int Value)
{
    /// <summary>No workload tuning.</summary>
    public static ShardWorkload None { get; } = new(WorkloadKind.None, 0);

    /// <inheritdoc />
    public override string ToString() => Kind switch
    {
        WorkloadKind.None => "None",
        WorkloadKind.ReadHeavy => $"ReadHeavy({Value} qps)",
        WorkloadKind.WriteHeavy => $"WriteHeavy({Value} tps)",
        _ => $"Mixed({Value}% reads)",
    };
}
