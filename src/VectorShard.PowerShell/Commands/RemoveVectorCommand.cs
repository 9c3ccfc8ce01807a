using System.Management.Automation;

namespace VectorShard.PowerShell.Commands;

/// <summary>
/// Remove-Vector: deletes vectors by key or id (records from Get-Vector or Search-Vector pipe in), all in
/// one transaction per shard at the end of the pipeline.
/// </summary>
[Cmdlet(VerbsCommon.Remove, "Vector", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
public sealed class RemoveVectorCommand : ShardCommandBase
{
    private readonly HashSet<long> _ids = [];
    private Core.Shard? _shard;

    /// <summary>The shard: a shard object or a path (bound from ShardPath when records are piped in).</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("ShardPath")]
    public ShardInfo Shard { get; set; } = null!;

    /// <summary>The keys of the vectors to remove.</summary>
    [Parameter(Position = 1, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [AllowNull]
    [AllowEmptyCollection]
    public string[]? Key { get; set; }

    /// <summary>The ids of the vectors to remove; when given, they are used instead of keys.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public long[]? Id { get; set; }

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
        if (Id is { Length: > 0 })
        {
            _ids.UnionWith(Id);
        }
        else if (Key is { Length: > 0 })
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
            ThrowTerminatingError(new ErrorRecord(new ArgumentException("Give the vectors to remove with -Key or -Id, or pipe records in."),
                "KeyOrIdRequired", ErrorCategory.InvalidArgument, null));
        }
    }, Shard);

    /// <inheritdoc />
    protected override void EndProcessing() => RunOrStop(Commit, _shard?.Path);

    private void Commit()
    {
        if (_shard is not null && _ids.Count > 0 && ShouldProcess(_shard.Path, $"Remove {_ids.Count} vector(s)"))
        {
            var removed = _shard.Remove(_ids);
            foreach (var missing in _ids.Except(removed))
            {
                WriteError(GetVectorCommand.NotFound(GetVectorCommand.FormatId(missing)));
            }
        }

        _ids.Clear();
    }
}
