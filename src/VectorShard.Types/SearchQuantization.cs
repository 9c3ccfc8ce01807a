namespace VectorShard;

/// <summary>How a search prescans the shard before exact rescoring.</summary>
public enum SearchQuantization
{
    /// <summary>Exact: every vector is compared in float32.</summary>
    None,

    /// <summary>
    /// Approximate prescan over int8 copies of the vectors (a quarter of the bytes), then exact float32
    /// rescoring of the best K × oversample candidates. Fast; may miss a neighbour the prescan ranked too low.
    /// </summary>
    Int8,

    /// <summary>
    /// Approximate prescan over one sign bit per component (1/32 of the bytes), then exact rescoring of the
    /// best K × oversample candidates. Needs a larger oversample than Int8 (around 20) for high recall.
    /// </summary>
    Binary,

    /// <summary>
    /// Approximate prescan over 4-bit copies of the vectors (an eighth of the bytes), then exact rescoring of
    /// the best K × oversample candidates. Between Int8 and Binary: about twice as fast a prescan as Int8,
    /// needing a larger oversample (around 8) for the same recall.
    /// </summary>
    Int4,
}
