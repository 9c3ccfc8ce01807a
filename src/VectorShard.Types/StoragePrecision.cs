namespace VectorShard;

/// <summary>How a shard stores each vector component, chosen when the shard is created.</summary>
public enum StoragePrecision
{
    /// <summary>The default: IEEE single precision, 4 bytes per component, values stored exactly.</summary>
    Float32,

    /// <summary>
    /// IEEE half precision, 2 bytes per component: half the file, scan and sync bytes, at about 3 significant
    /// digits (relative error up to 2^-11) and a range of ±65504.
    /// </summary>
    Float16,
}
