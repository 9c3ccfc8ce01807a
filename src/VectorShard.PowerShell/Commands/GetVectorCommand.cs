using System.Globalization;
using System.Management.Automation;

namespace VectorShard.PowerShell.Commands;

/// <summary>Get-Vector: stored vectors by key or id (records from Search-Vector pipe in), or all of them.</summary>
[Cmdlet(VerbsCommon.Get, "Vector")]
[OutputType(typeof(VectorRecord))]
public sealed class GetVectorCommand : ShardCommandBase
{
    /// <summary>The shard: a shard object or a path.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("ShardPath")]
    public ShardInfo Shard { get; set; } = null!;

    /// <summary>The keys of the vectors to get.</summary>
    [Parameter(Position = 1, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [AllowNull]
    [AllowEmptyCollection]
    public string[]? Key { get; set; }

    /// <summary>The ids of the vectors to get; when given, they are used instead of keys.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public long[]? Id { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord() => RunOrStop(() =>
    {
        var shard = OpenShard(Shard);
        if (Id is { Length: > 0 })
        {
            WriteFound(shard.GetByIds(Id), Id.Select(FormatId), r => FormatId(r.Id));
        }
        else if (Key is { Length: > 0 })
        {
            WriteFound(shard.GetByKeys(Key), Key, r => r.Key!);
        }
        else
        {
            foreach (var record in shard.GetAll())
            {
                WriteObject(record);
            }
        }
    }, Shard);

    /// <summary>The error for a key or id the shard does not hold (non-terminating, like Get-Item's).</summary>
    internal static ErrorRecord NotFound(string keyOrId) => new(
        new ItemNotFoundException($"The shard has no vector '{keyOrId}'."), "VectorNotFound", ErrorCategory.ObjectNotFound, keyOrId);

    internal static string FormatId(long id) => id.ToString(CultureInfo.InvariantCulture);

    private void WriteFound(IReadOnlyList<VectorRecord> found, IEnumerable<string> asked, Func<VectorRecord, string> identify)
    {
        WriteObject(found, enumerateCollection: true);
        foreach (var missing in asked.Except(found.Select(identify)))
        {
            WriteError(NotFound(missing));
        }
    }
}
