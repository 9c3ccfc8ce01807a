namespace VectorShard;

/// <summary>
/// An error that VectorShard reports on purpose. The cmdlets turn it into an ErrorRecord with the same
/// ErrorId and category and the offending value as its target; the operation that raised it wrote nothing.
/// </summary>
public sealed class VectorShardException : Exception
{
    /// <summary>Creates an error.</summary>
    public VectorShardException(string errorId, ShardErrorCategory category, string message, object? targetObject,
        Exception? innerException = null)
        : base(message, innerException)
    {
        ErrorId = errorId;
        Category = category;
        TargetObject = targetObject;
    }

    /// <summary>A stable identifier of the kind of error, e.g. DimensionMismatch.</summary>
    public string ErrorId { get; }

    /// <summary>The kind of error.</summary>
    public ShardErrorCategory Category { get; }

    /// <summary>The offending value (a path, a key, a vector), if any.</summary>
    public object? TargetObject { get; }
}
