using System.Management.Automation;
using VectorShard.Core.Storage;

namespace VectorShard.PowerShell.Commands;

/// <summary>Get-VectorShard: describes shards by path (wildcards allowed) or literal path, or lists the open ones.</summary>
[Cmdlet(VerbsCommon.Get, "VectorShard", DefaultParameterSetName = PathSet)]
[OutputType(typeof(ShardInfo))]
public sealed class GetVectorShardCommand : ShardCommandBase
{
    private const string PathSet = "Path";
    private const string LiteralPathSet = "LiteralPath";

    /// <summary>Shard paths, wildcards allowed (a path that exists as written is taken as it is); without any, the open shards.</summary>
    [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, ParameterSetName = PathSet)]
    [SupportsWildcards]
    public string[]? Path { get; set; }

    /// <summary>Shard paths taken exactly as written (files from Get-ChildItem bind here by PSPath).</summary>
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true, ParameterSetName = LiteralPathSet)]
    [Alias("PSPath", "LP")]
    public string[] LiteralPath { get; set; } = [];

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        var paths = ParameterSetName == LiteralPathSet ? LiteralPath.Select(ResolveShardPath)
            : Path is null ? ShardRegistry.Shared.OpenPaths
            : Path.SelectMany(ExpandShardPath);
        foreach (var path in paths)
        {
            TryRun(() => WriteObject(ShardRegistry.Shared.Open(path).Describe()), path);
        }
    }
}
