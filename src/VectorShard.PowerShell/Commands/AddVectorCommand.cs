using System.Management.Automation;
using VectorShard.Core.Storage;

namespace VectorShard.PowerShell.Commands;

/// <summary>
/// Add-Vector: stores vectors with optional keys and metadata. Input is collected into batches, each
/// written in one transaction; a bad row stops the command and nothing of its batch is written. A full
/// batch is written in the background while the next one is collected (<see cref="OverlappedBatchWriter"/>).
/// </summary>
[Cmdlet(VerbsCommon.Add, "Vector", SupportsShouldProcess = true, DefaultParameterSetName = VectorSet)]
[OutputType(typeof(VectorRecord))]
public sealed class AddVectorCommand : ShardCommandBase, IDisposable
{
    private List<VectorInput> _pending = [];
    private Core.Shard? _shard;
    private OverlappedBatchWriter? _writer;
    private long _received;
    private long _submitted;
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
    protected override void BeginProcessing() => RunOrStop(() =>
    {
        _shard = OpenShard(Shard);
        _writer = new OverlappedBatchWriter(_shard, Force);
    }, Shard);

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        // Known for certain only once the pipeline has bound a first object, so not in BeginProcessing.
        var piped = ParameterSetName == InputObjectSet;
        RunOrStop(() =>
        {
            try
            {
                _pending.Add(piped
                    ? VectorInputArgument.ToInput(InputObject, _received + 1, Key, Metadata)
                    : VectorInputArgument.ToInput(Key, Vector, Metadata, _received + 1));
            }
            catch
            {
                // Earlier rows come first: the batch in flight is finished (or its own error reported) before this one.
                _writer!.Complete();
                throw;
            }
        }, piped ? InputObject : Vector);
        _received++;
        if (_pending.Count >= BatchSize)
        {
            Flush(final: false);
        }
    }

    /// <inheritdoc />
    protected override void EndProcessing()
    {
        Flush(final: true);
        if (_progressId != 0)
        {
            WriteProgress(new ProgressRecord(_progressId, Activity, "Done") { RecordType = ProgressRecordType.Completed });
        }
    }

    /// <summary>Waits for a batch still being written when the command stops early (an error, Ctrl+C).</summary>
    public void Dispose() => _writer?.Dispose();

    private string Activity => $"Adding vectors to {_shard!.Path}";

    // Hands the full batch to the writer (which first finishes the one before it) and, at the end, waits for the last.
    private void Flush(bool final)
    {
        if (_pending.Count > 0)
        {
            var batch = _pending;
            _pending = [];
            if (ShouldProcess(_shard!.Path, $"Add {batch.Count} vector(s)"))
            {
                var first = _submitted;
                RunOrStop(() => Written(_writer!.Submit(batch, first)), _shard!.Path);
            }

            _submitted += batch.Count;
        }

        if (final)
        {
            RunOrStop(() => Written(_writer!.Complete()), _shard!.Path);
        }
    }

    private void Written(IReadOnlyList<VectorRecord> records)
    {
        if (records.Count == 0)
        {
            return;
        }

        _written += records.Count;
        if (PassThru)
        {
            WriteObject(records, enumerateCollection: true);
        }

        // Small inputs finish in one batch: progress only once there is more than one.
        if (_written > BatchSize || _progressId != 0)
        {
            _progressId = 1;
            WriteProgress(new ProgressRecord(_progressId, Activity, $"{_written} vectors added"));
        }
    }
}
