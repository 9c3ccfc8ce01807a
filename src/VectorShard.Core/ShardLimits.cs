namespace VectorShard.Core;

/// <summary>Fixed bounds of the storage format.</summary>
public static class ShardLimits
{
    /// <summary>
    /// The storage format this version writes and the newest it reads. 2: keys are unique through a partial index that
    /// leaves rows without a key out (1: a UNIQUE column, which indexed every row's NULL too); both are read and written.
    /// </summary>
    public const int FormatVersion = 2;

    /// <summary>The largest dimension a shard accepts (64 KiB of float32 per vector).</summary>
    public const int MaxDimension = 16_384;

    /// <summary>SQLite application_id marking a file as a VectorShard shard ('VSHD').</summary>
    public const int ApplicationId = 0x56534844;
}
