using System.Management.Automation;
using VectorShard.Core.Storage;

namespace VectorShard.PowerShell.Commands;

/// <summary>
/// Add-Vector: stores vectors with optional keys and metadata. Input is collected into batches, each
/// written in one transaction; a bad row stops the command and nothing of its batch is written.
/// </summary>
[Cmdlet(VerbsCommon.Add, "Vector", SupportsShouldProcess = true, DefaultParameterSetName = VectorSet)]
[OutputType(typeof(VectorRecord))]
public sealed class AddVectorCommand : ShardCommandBase
{
    private readonly List<VectorInput> _pending = [];
    private Core.Shard? _shard;
    private long _received;
    private long _written;
    private int _progressId;

    /// <summary>The shard: a shard object or a path.</summary>
    [Parameter(Mandatory = true, Position = 0)]
    public ShardInfo Shard { get; set; } = null!;

    private const string InputObjectSet = "InputObject";
    private const string VectorSet = "Vector";

    /// <summary>
    /// A piped row: a list of numbers, or an object or hashtable with Vector (or Embedding), Key and Metadata.
    /// </summary>
    // Bound whole, by value, as a PSObject (the fastest type to bind): binding Vector, Key and Metadata by
    // property name costs PowerShell two to three times as much per object. [AllowNull] and
    // [AllowEmptyCollection] leave null and @() to the cmdlet's own errors (NotAVector, EmptyVector).
    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = InputObjectSet)]
    [AllowNull]
    [AllowEmptyCollection]
    public PSObject? InputObject { get; set; }

    /// <summary>The vector: a list of numbers, or an object with a Vector property.</summary>
    [Parameter(Mandatory = true, Position = 1, ParameterSetName = VectorSet)]
    [Alias("Embedding")]
    // The cmdlet checks the vector itself (NotAVector, EmptyVector, ...). Without these, PowerShell walks every
    // component of a mandatory argument looking for nulls, which costs more than storing the row.
    [AllowNull]
    [AllowEmptyCollection]
    public object Vector { get; set; } = null!;

    /// <summary>A unique key for the vector; with piped input, the key of every row (over the objects' own).</summary>
    [Parameter]
    public string? Key { get; set; }

    /// <summary>Metadata: a hashtable, a PSCustomObject or a JSON object string; with piped input, of every row.</summary>
    [Parameter]
    public object? Metadata { get; set; }

    /// <summary>Replace the vector and metadata of keys that exist already, keeping their ids.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary>How many vectors go into one transaction.</summary>
    [Parameter]
    [ValidateRange(1, 1_000_000)]
    public int BatchSize { get; set; } = 1000;

    /// <summary>Emit the stored records.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    /// <inheritdoc />
    protected override void BeginProcessing() => RunOrStop(() => _shard = OpenShard(Shard), Shard);

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        // Known for certain only once the pipeline has bound a first object, so not in BeginProcessing.
        var piped = ParameterSetName == InputObjectSet;
        RunOrStop(() =>
        {
            if (piped)
            {
                _pending.Add(VectorInputArgument.ToInput(InputObject, _received + 1, Key, Metadata));
                return;
            }

            var label = Key is null ? $"#{_received + 1}" : $"'{Key}'";
            _pending.Add(new VectorInput(Key, VectorArgument.ToFloats(Vector, label), MetadataArgument.ToDictionary(Metadata, label)));
        }, piped ? InputObject : Vector);
        _received++;
        if (_pending.Count >= BatchSize)
        {
            Flush();
        }
    }

    /// <inheritdoc />
    protected override void EndProcessing()
    {
        Flush();
        if (_progressId != 0)
        {
            WriteProgress(new ProgressRecord(_progressId, Activity, "Done") { RecordType = ProgressRecordType.Completed });
        }
    }

    private string Activity => $"Adding vectors to {_shard!.Path}";

    private void Flush()
    {
        if (_pending.Count == 0 || !ShouldProcess(_shard!.Path, $"Add {_pending.Count} vector(s)"))
        {
            _written += _pending.Count;
            _pending.Clear();
            return;
        }

        RunOrStop(() =>
        {
            var records = _shard!.Add(_pending, Force, firstPosition: _written);
            _written += _pending.Count;
            _pending.Clear();
            if (PassThru)
            {
                WriteObject(records, enumerateCollection: true);
            }
        }, _shard!.Path);

        // Small inputs finish in one batch: progress only once there is more than one.
        if (_written > BatchSize || _progressId != 0)
        {
            _progressId = 1;
            WriteProgress(new ProgressRecord(_progressId, Activity, $"{_written} vectors added"));
        }
    }
}
