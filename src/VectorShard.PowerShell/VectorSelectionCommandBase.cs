using System.Globalization;
using System.Management.Automation;

namespace VectorShard.PowerShell;

/// <summary>
/// The parameters of cmdlets that act on chosen vectors (Get-Vector, Remove-Vector): the shard, and keys or
/// ids. Records from Get-Vector and Search-Vector pipe in by their ShardPath and Id; plain strings pipe in
/// as keys. When ids are bound they win, since every record also carries a key (or its string form).
/// </summary>
public abstract class VectorSelectionCommandBase : ShardCommandBase
{
    /// <summary>The shard: a shard object or a path (bound from ShardPath when records are piped in).</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("ShardPath")]
    public ShardInfo Shard { get; set; } = null!;

    /// <summary>The keys of the vectors.</summary>
    [Parameter(Position = 1, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [AllowNull]
    [AllowEmptyCollection]
    public string[]? Key { get; set; }

    /// <summary>The ids of the vectors; when given, they are used instead of keys.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public long[]? Id { get; set; }

    /// <summary>Whether this input names vectors by id.</summary>
    protected bool HasIds => Id is { Length: > 0 };

    /// <summary>Whether this input names vectors by key (and not by id).</summary>
    protected bool HasKeys => !HasIds && Key is { Length: > 0 };

    /// <summary>The error for a key or id the shard does not hold (non-terminating, like Get-Item's).</summary>
    protected static ErrorRecord NotFound(string keyOrId) => new(
        new ItemNotFoundException($"The shard has no vector '{keyOrId}'."), "VectorNotFound", ErrorCategory.ObjectNotFound, keyOrId);

    /// <summary>An id as errors show it.</summary>
    protected static string FormatId(long id) => id.ToString(CultureInfo.InvariantCulture);
}
