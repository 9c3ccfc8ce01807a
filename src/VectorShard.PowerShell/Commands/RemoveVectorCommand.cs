using System.Management.Automation;

namespace VectorShard.PowerShell.Commands;

/// <summary>
/// Remove-Vector: deletes vectors by key or id (records from Get-Vector or Search-Vector pipe in), all in
/// one transaction per shard at the end of the pipeline.
/// </summary>
[Cmdlet(VerbsCommon.Remove, "Vector", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
public sealed class RemoveVectorCommand : VectorSelectionCommandBase
{
    private readonly HashSet<long> _ids = [];
    private Core.Shard? _shard;

    /// <summary>Removes every vector written before this time instead (pruning by age).</summary>
    [Parameter]
    public DateTime? OlderThan { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord() => RunOrStop(() =>
    {
        var shard = OpenShard(Shard);
        if (OlderThan is { } cutoff)
        {
            Prune(shard, cutoff);
            return;
        }

        if (_shard is not null && _shard != shard)
        {
            // One transaction per shard: finish the previous shard's removals first.
            Commit();
        }

        _shard = shard;
        if (HasIds)
        {
            _ids.UnionWith(Id!);
        }
        else if (HasKeys)
        {
            var found = shard.GetByKeys(Key!);
            _ids.UnionWith(found.Select(r => r.Id));
            foreach (var missing in Key!.Except(found.Select(r => r.Key!)))
            {
                WriteError(NotFound(missing));
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

    private void Prune(Core.Shard shard, DateTime cutoff)
    {
        if (HasIds || HasKeys)
        {
            ThrowTerminatingError(new ErrorRecord(new ArgumentException("Give either -OlderThan or the vectors to remove by -Key or -Id, not both."),
                "OlderThanWithKeyOrId", ErrorCategory.InvalidArgument, cutoff));
        }

        var utc = cutoff.ToUniversalTime();
        if (ShouldProcess(shard.Path, $"Remove the vectors written before {utc:u}"))
        {
            shard.RemoveOlderThan(new DateTimeOffset(utc));
        }
    }

    private void Commit()
    {
        if (_shard is not null && _ids.Count > 0 && ShouldProcess(_shard.Path, $"Remove {_ids.Count} vector(s)"))
        {
            var removed = _shard.Remove(_ids);
            foreach (var missing in _ids.Except(removed))
            {
                WriteError(NotFound(FormatId(missing)));
            }
        }

        _ids.Clear();
    }
}
