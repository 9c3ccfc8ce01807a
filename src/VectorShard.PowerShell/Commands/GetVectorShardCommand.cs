using System.Management.Automation;
using VectorShard.Core.Storage;

namespace VectorShard.PowerShell.Commands;

/// <summary>Get-VectorShard: describes shards by path (wildcards allowed), or lists the open ones.</summary>
[Cmdlet(VerbsCommon.Get, "VectorShard")]
[OutputType(typeof(ShardInfo))]
public sealed class GetVectorShardCommand : ShardCommandBase
{
    /// <summary>Shard paths; without any, the shards open in this session.</summary>
    [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("FullName", "ShardPath")]
    [SupportsWildcards]
    public string[]? Path { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        foreach (var path in Path is null ? ShardRegistry.Shared.OpenPaths : Path.SelectMany(ExpandPath))
        {
            TryRun(() => WriteObject(ShardRegistry.Shared.Open(path).Describe()), path);
        }
    }

    private IEnumerable<string> ExpandPath(string path) =>
        WildcardPattern.ContainsWildcardCharacters(path) && !path.StartsWith(ShardInfo.InMemoryPrefix, StringComparison.Ordinal)
            ? GetResolvedProviderPathFromPSPath(path, out _)
            : [ResolveShardPath(path)];
}
