using System.Management.Automation;
using VectorShard.Core.Storage;

namespace VectorShard.PowerShell.Commands;

/// <summary>New-VectorShard: creates a shard file (or an in-memory shard) and opens it.</summary>
[Cmdlet(VerbsCommon.New, "VectorShard", SupportsShouldProcess = true, DefaultParameterSetName = FileSet)]
[OutputType(typeof(ShardInfo))]
public sealed class NewVectorShardCommand : ShardCommandBase
{
    private const string FileSet = "File";
    private const string MemorySet = "InMemory";

    /// <summary>Where to create the shard file.</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = FileSet)]
    public string Path { get; set; } = "";

    /// <summary>Create a shard that lives only in this session's memory (always UltraFast).</summary>
    [Parameter(Mandatory = true, ParameterSetName = MemorySet)]
    public SwitchParameter InMemory { get; set; }

    /// <summary>The in-memory shard's name (its path is memory:Name).</summary>
    [Parameter(ParameterSetName = MemorySet)]
    [ValidateNotNullOrEmpty]
    public string Name { get; set; } = "default";

    /// <summary>The number of components of every vector.</summary>
    [Parameter(Mandatory = true)]
    [ValidateRange(1, Core.ShardLimits.MaxDimension)]
    public int Dimension { get; set; }

    /// <summary>How distance is measured.</summary>
    [Parameter]
    public DistanceMetric Metric { get; set; } = DistanceMetric.Cosine;

    /// <summary>How vector components are stored: Float32, or Float16 at half the bytes (about 3 significant digits, values within ±65504).</summary>
    [Parameter]
    public StoragePrecision Precision { get; set; } = StoragePrecision.Float32;

    /// <summary>The pragma profile.</summary>
    [Parameter(ParameterSetName = FileSet)]
    public ShardProfile Profile { get; set; } = ShardProfile.Balanced;

    /// <summary>The workload to tune for.</summary>
    [Parameter]
    public WorkloadKind Workload { get; set; } = WorkloadKind.None;

    /// <summary>Queries per second (ReadHeavy), transactions per second (WriteHeavy) or read percentage (Mixed).</summary>
    [Parameter]
    public int WorkloadValue { get; set; }

    /// <summary>Replace a shard that exists at the path (its data is deleted).</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        var path = InMemory ? ShardInfo.InMemoryPrefix + Name : ResolveShardPath(Path);
        var replacing = Force && (InMemory ? ShardRegistry.Shared.OpenPaths.Contains(path) : File.Exists(path));
        if (!ShouldProcess(path, replacing ? "Replace the shard (its vectors are deleted)" : "Create shard"))
        {
            return;
        }

        RunOrStop(() =>
        {
            var options = new ShardOptions(Dimension, Metric, Profile, new ShardWorkload(Workload, WorkloadValue), Precision);
            WriteObject(ShardRegistry.Shared.Create(path, options, replace: Force).Describe());
        }, path);
    }
}
