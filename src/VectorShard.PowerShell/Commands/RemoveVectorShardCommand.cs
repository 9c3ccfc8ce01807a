using System.Management.Automation;
using VectorShard.Core.Storage;

namespace VectorShard.PowerShell.Commands;

/// <summary>Remove-VectorShard: closes a shard and deletes its files (an in-memory shard is dropped).</summary>
[Cmdlet(VerbsCommon.Remove, "VectorShard", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
public sealed class RemoveVectorShardCommand : ShardCommandBase
{
    /// <summary>The shard: a shard object or a path.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("ShardPath", "FullName")]
    public ShardInfo Shard { get; set; } = null!;

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        var path = ResolveShardPath(Shard.Path);
        if (!ShouldProcess(path, "Delete the shard and all its vectors"))
        {
            return;
        }

        TryRun(() =>
        {
            // Open first: a path that is not a shard must not be deleted.
            ShardRegistry.Shared.Open(path);
            ShardRegistry.Shared.Close(path);
            if (!Shard.IsInMemory)
            {
                Core.Shard.DeleteFiles(path);
            }
        }, path);
    }
}
