namespace VectorShard;

/// <summary>How distance between two vectors is measured. Lower distance is always nearer.</summary>
public enum DistanceMetric
{
    /// <summary>1 − cosine similarity, in [0, 2]. Zero vectors are rejected.</summary>
    Cosine,

    /// <summary>Euclidean distance.</summary>
    L2,

    /// <summary>Negative inner product, so that a larger dot product ranks first.</summary>
    Dot,
}
