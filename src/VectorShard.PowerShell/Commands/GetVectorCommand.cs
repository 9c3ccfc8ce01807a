using System.Management.Automation;

namespace VectorShard.PowerShell.Commands;

/// <summary>Get-Vector: stored vectors by key or id (records from Search-Vector pipe in), or all of them.</summary>
[Cmdlet(VerbsCommon.Get, "Vector")]
[OutputType(typeof(VectorRecord))]
public sealed class GetVectorCommand : VectorSelectionCommandBase
{
    /// <inheritdoc />
    protected override void ProcessRecord() => RunOrStop(() =>
    {
        var shard = OpenShard(Shard);
        if (HasIds)
        {
            WriteFound(shard.GetByIds(Id!), Id!.Select(FormatId), r => FormatId(r.Id));
        }
        else if (HasKeys)
        {
            WriteFound(shard.GetByKeys(Key!), Key!, r => r.Key!);
        }
        else
        {
            foreach (var record in shard.GetAll())
            {
                WriteObject(record);
            }
        }
    }, Shard);

    private void WriteFound(IReadOnlyList<VectorRecord> found, IEnumerable<string> asked, Func<VectorRecord, string> identify)
    {
        WriteObject(found, enumerateCollection: true);
        foreach (var missing in asked.Except(found.Select(identify)))
        {
            WriteError(NotFound(missing));
        }
    }
}
