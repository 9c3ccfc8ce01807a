using System.Management.Automation;

namespace VectorShard.PowerShell.Commands;

/// <summary>Remove-Vector: deletes vectors by key or id, all in one transaction at the end of the pipeline.</summary>
[Cmdlet(VerbsCommon.Remove, "Vector", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium, DefaultParameterSetName = IdSet)]
public sealed class RemoveVectorCommand : ShardCommandBase
{
    private const string KeySet = "Key";
    private const string IdSet = "Id";
    private readonly HashSet<long> _ids = [];
    private Core.Shard? _shard;

    /// <summary>The shard: a shard object or a path (bound from ShardPath when records are piped in).</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("ShardPath")]
    public ShardInfo Shard { get; set; } = null!;

    /// <summary>The keys of the vectors to remove.</summary>
    [Parameter(Mandatory = true, Position = 1, ParameterSetName = KeySet, ValueFromPipeline = true)]
    public string[] Key { get; set; } = [];

    /// <summary>The ids of the vectors to remove (records from Get-Vector or Search-Vector bind here).</summary>
    [Parameter(Mandatory = true, ParameterSetName = IdSet, ValueFromPipelineByPropertyName = true)]
    public long[] Id { get; set; } = [];

    /// <inheritdoc />
    protected override void ProcessRecord() => RunOrStop(() =>
    {
        var shard = OpenShard(Shard);
        if (_shard is not null && _shard != shard)
        {
            // One transaction per shard: finish the previous shard's removals first.
            Commit();
        }

        _shard = shard;
        if (ParameterSetName == KeySet)
        {
            var found = shard.GetByKeys(Key);
            _ids.UnionWith(found.Select(r => r.Id));
            foreach (var missing in Key.Except(found.Select(r => r.Key!)))
            {
                WriteError(GetVectorCommand.NotFound(missing));
            }
        }
        else
        {
            _ids.UnionWith(Id);
        }
    }, Shard);

    /// <inheritdoc />
    protected override void EndProcessing() => RunOrStop(Commit, _shard?.Path);

    private void Commit()
    {
        if (_shard is not null && _ids.Count > 0 && ShouldProcess(_shard.Path, $"Remove {_ids.Count} vector(s)"))
        {
            _shard.Remove(_ids);
        }

        _ids.Clear();
    }
}
