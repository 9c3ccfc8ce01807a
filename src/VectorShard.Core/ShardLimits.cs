namespace VectorShard.Core;

/// <summary>Fixed bounds of the storage format.</summary>
public static class ShardLimits
{
    /// <summary>The storage format this version writes and the newest it reads.</summary>
    public const int FormatVersion = 1;

    /// <summary>The largest dimension a shard accepts (64 KiB of float32 per vector).</summary>
    public const int MaxDimension = 16_384;

    /// <summary>SQLite application_id marking a file as a VectorShard shard ('VSHD').</summary>
    public const int ApplicationId = 0x56534844;
}
