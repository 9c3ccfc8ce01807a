using System.Management.Automation;

namespace VectorShard.PowerShell.Commands;

/// <summary>Set-ShardProfile: changes a shard's pragma profile and workload tuning, stored in the shard.</summary>
[Cmdlet(VerbsCommon.Set, "ShardProfile", SupportsShouldProcess = true)]
[OutputType(typeof(ShardInfo))]
public sealed class SetShardProfileCommand : ShardCommandBase
{
    /// <summary>The shard: a shard object or a path.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("ShardPath")]
    public ShardInfo Shard { get; set; } = null!;

    /// <summary>The new profile; the current one when left out.</summary>
    [Parameter(Position = 1)]
    public ShardProfile? Profile { get; set; }

    /// <summary>The workload to tune for; the current one when left out.</summary>
    [Parameter]
    public WorkloadKind? Workload { get; set; }

    /// <summary>Queries per second (ReadHeavy), transactions per second (WriteHeavy) or read percentage (Mixed).</summary>
    [Parameter]
    public int WorkloadValue { get; set; }

    /// <summary>Emit the shard with its new effective pragmas.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord() => RunOrStop(() =>
    {
        var shard = OpenShard(Shard);
        var profile = Profile ?? shard.Header.Profile;
        // -WorkloadValue alone changes the number of the current workload.
        var workload = Workload is not null || MyInvocation.BoundParameters.ContainsKey(nameof(WorkloadValue))
            ? new ShardWorkload(Workload ?? shard.Header.Workload.Kind, WorkloadValue)
            : shard.Header.Workload;
        if (ShouldProcess(shard.Path, $"Set profile {profile}, workload {workload}"))
        {
            var info = shard.SetTuning(profile, workload);
            if (PassThru)
            {
                WriteObject(info);
            }
        }
    }, Shard);
}
