using System.Collections;
using System.Management.Automation;
using VectorShard.Core;
using VectorShard.Core.Search;
using VectorShard.Core.Storage;

namespace VectorShard.PowerShell.Commands;

/// <summary>
/// Search-Vector: the exact k nearest neighbours of each query, best first, in one shard or across several
/// (one global top-k). Queries from the pipeline are searched in batches that share one pass over each shard.
/// </summary>
[Cmdlet(VerbsCommon.Search, "Vector")]
[OutputType(typeof(SearchResult))]
public sealed class SearchVectorCommand : ShardCommandBase
{
    private readonly List<float[]> _batch = [];
    private readonly List<int> _batchIndexes = [];
    private IReadOnlyList<Core.Shard> _shards = [];
    private SearchOptions? _options;
    private int _queryIndex;

    /// <summary>The shards to search: shard objects or paths (wildcards allowed); several give one global top-k.</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [SupportsWildcards]
    public ShardInfo[] Shard { get; set; } = [];

    /// <summary>The query vector: a list of numbers, or an object with a Vector property.</summary>
    [Parameter(Mandatory = true, Position = 1, ValueFromPipeline = true)]
    [Alias("Vector")]
    // The cmdlet checks the query itself (NotAVector, EmptyVector, ...). Without these, PowerShell walks every
    // component of a mandatory argument looking for nulls: about 0.13 µs each, 0.2 ms for a 1536-dim query.
    [AllowNull]
    [AllowEmptyCollection]
    public object Query { get; set; } = null!;

    /// <summary>How many neighbours to return per query.</summary>
    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int K { get; set; } = 10;

    /// <summary>Return only neighbours at this distance or nearer.</summary>
    [Parameter]
    public float Threshold { get; set; } = float.PositiveInfinity;

    /// <summary>Metadata equality conditions, e.g. @{ lang = 'en' }; dotted names reach into nested objects.</summary>
    [Parameter]
    public Hashtable? Filter { get; set; }

    /// <summary>Only vectors written (or last replaced) at or after this time; searched in SQL, like -Filter.</summary>
    [Parameter]
    public DateTime? CreatedAfter { get; set; }

    /// <summary>None (exact), or Int8, Int4 or Binary: an approximate prescan over compact codes, then exact rescoring of K × Oversample candidates.</summary>
    [Parameter]
    public SearchQuantization Quantization { get; set; } = SearchQuantization.None;

    /// <summary>With -Quantization: candidates rescored exactly per neighbour wanted; by default the quantization's own (4, 8 or 20).</summary>
    [Parameter]
    [ValidateRange(1, 1000)]
    public int Oversample { get; set; }

    /// <summary>How many piped queries share one pass over the shard; their results come out together.</summary>
    [Parameter]
    [ValidateRange(1, 4096)]
    public int BatchSize { get; set; } = 64;

    /// <inheritdoc />
    protected override void BeginProcessing() => RunOrStop(() =>
    {
        _shards = Shard.SelectMany(s => ExpandShardPath(s.Path)).Distinct().Select(ShardRegistry.Shared.Open).ToArray();
        if (_shards.Count == 0)
        {
            throw ShardErrors.ShardNotFound(string.Join(", ", Shard.Select(s => s.Path)));
        }

        var filter = Filter is null ? null
            : new MetadataFilter(Filter.Cast<DictionaryEntry>().ToDictionary(e => e.Key.ToString()!, e => e.Value is PSObject p ? p.BaseObject : e.Value));
        _options = new SearchOptions(K, Threshold, filter, Quantization: Quantization,
            Oversample: MyInvocation.BoundParameters.ContainsKey(nameof(Oversample)) ? Oversample : null,
            CreatedAfter: CreatedAfter is { } since ? new DateTimeOffset(since.ToUniversalTime()) : null);
    }, Shard);

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        var index = _queryIndex++;
        // A bad query is reported here and left out; the others are still searched.
        TryRun(() =>
        {
            var query = VectorArgument.ToFloats(Query, $"query #{index + 1}");
            _shards[0].CheckQuery(query, index);
            _batch.Add(query);
            _batchIndexes.Add(index);
        }, Query);
        if (_batch.Count >= BatchSize)
        {
            Flush();
        }
    }

    /// <inheritdoc />
    protected override void EndProcessing() => Flush();

    // Each result keeps its query's place in the input, counting queries left out for errors.
    private void Flush()
    {
        if (_batch.Count == 0)
        {
            return;
        }

        RunOrStop(() =>
        {
            foreach (var result in MultiShardSearch.SearchMany(_shards, _batch, _options!).SelectMany(r => r))
            {
                WriteObject(new SearchResult(_batchIndexes[result.QueryIndex], result.Rank, result.Id, result.Key, result.Distance,
                    result.Metadata, result.ShardPath));
            }
        }, _shards[0].Path);
        _batch.Clear();
        _batchIndexes.Clear();
    }
}
