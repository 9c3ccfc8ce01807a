namespace VectorShard;

/// <summary>
/// The kind of a VectorShard error. The names match PowerShell's ErrorCategory, so the cmdlets map one
/// to the other by name without this assembly referencing PowerShell.
/// </summary>
public enum ShardErrorCategory
{
    /// <summary>An argument has a wrong value (dimension, NaN, empty vector, bad option).</summary>
    InvalidArgument,

    /// <summary>A value has the wrong type (non-numeric vector component, unsupported metadata).</summary>
    InvalidType,

    /// <summary>A file or vector that was asked for does not exist.</summary>
    ObjectNotFound,

    /// <summary>Something that must be unique exists already (a key, a shard file).</summary>
    ResourceExists,

    /// <summary>The file cannot be written (read-only file or folder).</summary>
    PermissionDenied,

    /// <summary>The file is not a shard, or is of a newer format.</summary>
    InvalidData,

    /// <summary>The operation does not fit the shard's state (an in-memory shard's profile).</summary>
    InvalidOperation,

    /// <summary>The shard is locked by another connection or process.</summary>
    ResourceBusy,
}
