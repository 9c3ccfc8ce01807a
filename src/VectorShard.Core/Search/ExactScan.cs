using Microsoft.Data.Sqlite;
using VectorShard.Core.Storage;

namespace VectorShard.Core.Search;

/// <summary>
/// The filtered exact k-NN scan: one pass over the stored vectors the metadata filter admits, reading each
/// BLOB in place through SQLite's raw API — no allocation per row (a float16 BLOB is decoded into one reused
/// buffer) — and keeping the k nearest in a bounded heap.
/// </summary>
public static class ExactScan
{
    /// <summary>
    /// The k nearest (id, distance) pairs within <paramref name="maxDistance"/>, nearest first, among the
    /// vectors the filter admits and written at or after <paramref name="createdAfter"/>.
    /// </summary>
    public static (long Id, float Distance)[] Run(StatementCache statements, ShardHeader header,
        ReadOnlySpan<float> query, float queryNorm, int k, float maxDistance, MetadataFilter? filter, DateTimeOffset? createdAfter = null)
    {
        var metric = header.Metric;
        // A float16 BLOB is decoded into this one buffer, row by row.
        var decoded = header.Precision == StoragePrecision.Float16 ? new float[header.Dimension] : [];
        var (sql, parameters) = Query(metric, queryNorm, maxDistance, filter, createdAfter);
        using var lease = statements.GetRaw(sql);
        var statement = lease.Statement;
        for (var i = 0; i < parameters.Count; i++)
        {
            switch (parameters[i])
            {
                case string s: statement.Bind(i + 1, s); break;
                case long l: statement.Bind(i + 1, l); break;
                case double d: statement.Bind(i + 1, d); break;
                default: statement.Bind(i + 1, (string?)null); break;
            }
        }

        var best = new TopK(k);
        var limit = DistanceFunction.RankingLimit(metric, maxDistance);
        while (statement.Step())
        {
            var vector = VectorBlob.AsFloats(statement.Blob(1), header.Precision, decoded);
            var score = DistanceFunction.Score(metric, query, vector);
            var distance = DistanceFunction.FromScore(metric, score, queryNorm, (float)statement.Double(2));
            if (distance <= limit && distance <= best.Bound)
            {
                best.Add(statement.Int64(0), distance);
            }
        }

        return DistanceFunction.Finish(metric, best);
    }

    /// <summary>
    /// The SQL of a scan and its parameter values (?1, ?2, …): the filter's conditions, the norm range the
    /// threshold implies (<see cref="NormPrefilter.NormRange"/>, for the norm index) and the time bound (for
    /// the created_at index). Every condition only leaves out rows the scan would reject, so results never change.
    /// </summary>
    public static (string Sql, IReadOnlyList<object?> Parameters) Query(DistanceMetric metric, float queryNorm, float maxDistance,
        MetadataFilter? filter, DateTimeOffset? createdAfter)
    {
        var conditions = new List<string>();
        var parameters = new List<object?>();
        if (filter is not null)
        {
            conditions.Add(filter.WhereClause);
            parameters.AddRange(filter.Parameters);
        }

        var (min, max) = NormPrefilter.NormRange(metric, queryNorm, maxDistance);
        foreach (var (bound, op) in (ReadOnlySpan<(double?, string)>)[(min, ">="), (max, "<=")])
        {
            if (bound is { } value)
            {
                parameters.Add(value);
                conditions.Add($"norm {op} ?{parameters.Count}");
            }
        }

        if (createdAfter is { } since)
        {
            parameters.Add(ToStoredTime(since));
            conditions.Add($"created_at >= ?{parameters.Count}");
        }

        return ("SELECT id, vector, norm FROM vectors" + (conditions.Count == 0 ? "" : " WHERE " + string.Join(" AND ", conditions)), parameters);
    }

    /// <summary>
    /// A time in created_at's unit (unix microseconds, UTC), rounded up: created_at &gt;= it and &lt; it then
    /// compare as with the exact time.
    /// </summary>
    public static long ToStoredTime(DateTimeOffset time)
    {
        var ticks = time.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks;
        return ticks / 10 + (ticks % 10 > 0 ? 1 : 0);
    }
}
