namespace VectorShard.Core.Storage;

/// <summary>
/// The secondary indexes a shard wants. Unfiltered searches never use SQL (they scan the in-memory image),
/// so each index exists for one SQL path and costs every write; the plan weighs the two:
/// - ReadHeavy: all of them (filtered searches are the point of the shard).
/// - WriteHeavy: only <see cref="CreatedNorm"/>: appends land at its right edge (created_at only grows),
///   so it costs little, and it keeps a stream of writes prunable by age.
/// - None or Mixed: by profile. UltraFast, chosen for raw speed, gets the write-heavy set; the others all.
/// </summary>
public static class IndexPlan
{
    /// <summary>norm: the norm range that a distance threshold implies bounds filtered searches (L2, Dot).</summary>
    public const string Norm = "idx_vectors_norm";

    /// <summary>The metadata field confidence, for vectors that have one: a filter on confidence seeks it.</summary>
    public const string Confidence = "idx_vectors_confidence";

    /// <summary>(created_at, norm): pruning by age reads only this index; a search since a time checks norm in it too.</summary>
    public const string CreatedNorm = "idx_vectors_created_norm";

    /// <summary>Every index VectorShard manages, by name, with its definition.</summary>
    public static IReadOnlyDictionary<string, string> Definitions { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        [Norm] = $"CREATE INDEX IF NOT EXISTS {Norm} ON vectors (norm)",
        // The expression must match MetadataFilter's text for the field exactly for SQLite to use it.
        [Confidence] = $"CREATE INDEX IF NOT EXISTS {Confidence} ON vectors (json_extract(metadata, '$.confidence')) " +
            "WHERE json_extract(metadata, '$.confidence') IS NOT NULL",
        [CreatedNorm] = $"CREATE INDEX IF NOT EXISTS {CreatedNorm} ON vectors (created_at, norm)",
    };

    /// <summary>The names of the indexes a shard of this profile and workload should have, sorted.</summary>
    public static IReadOnlyList<string> For(ShardProfile profile, ShardWorkload workload)
    {
        var all = workload.Kind switch
        {
            WorkloadKind.ReadHeavy => true,
            WorkloadKind.WriteHeavy => false,
            _ => profile != ShardProfile.UltraFast,
        };
        return all ? [CreatedNorm, Confidence, Norm] : [CreatedNorm];
    }
}
