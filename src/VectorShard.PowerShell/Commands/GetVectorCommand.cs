using System.Management.Automation;

namespace VectorShard.PowerShell.Commands;

/// <summary>Get-Vector: stored vectors by key or id, or all of them.</summary>
[Cmdlet(VerbsCommon.Get, "Vector", DefaultParameterSetName = AllSet)]
[OutputType(typeof(VectorRecord))]
public sealed class GetVectorCommand : ShardCommandBase
{
    private const string AllSet = "All";
    private const string KeySet = "Key";
    private const string IdSet = "Id";

    /// <summary>The shard: a shard object or a path.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("ShardPath")]
    public ShardInfo Shard { get; set; } = null!;

    /// <summary>The keys of the vectors to get.</summary>
    [Parameter(Mandatory = true, Position = 1, ParameterSetName = KeySet, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    public string[] Key { get; set; } = [];

    /// <summary>The ids of the vectors to get.</summary>
    [Parameter(Mandatory = true, ParameterSetName = IdSet, ValueFromPipelineByPropertyName = true)]
    public long[] Id { get; set; } = [];

    /// <inheritdoc />
    protected override void ProcessRecord() => RunOrStop(() =>
    {
        var shard = OpenShard(Shard);
        switch (ParameterSetName)
        {
            case KeySet:
                WriteFound(shard.GetByKeys(Key), Key, r => r.Key!);
                break;
            case IdSet:
                WriteFound(shard.GetByIds(Id), Id.Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)), r => r.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
                break;
            default:
                foreach (var record in shard.GetAll())
                {
                    WriteObject(record);
                }

                break;
        }
    }, Shard);

    // Like Get-Item: what is found is written, each missing key or id is a non-terminating error.
    private void WriteFound(IReadOnlyList<VectorRecord> found, IEnumerable<string> asked, Func<VectorRecord, string> identify)
    {
        WriteObject(found, enumerateCollection: true);
        foreach (var missing in asked.Except(found.Select(identify)))
        {
            WriteError(NotFound(missing));
        }
    }

    internal static ErrorRecord NotFound(string keyOrId) => new(
        new ItemNotFoundException($"The shard has no vector '{keyOrId}'."), "VectorNotFound", ErrorCategory.ObjectNotFound, keyOrId);
}
