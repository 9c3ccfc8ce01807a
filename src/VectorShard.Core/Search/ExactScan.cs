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
    /// <summary>The k nearest (id, distance) pairs within <paramref name="maxDistance"/>, nearest first.</summary>
    public static (long Id, float Distance)[] Run(SqliteConnection connection, ShardHeader header,
        ReadOnlySpan<float> query, float queryNorm, int k, float maxDistance, MetadataFilter? filter)
    {
        var metric = header.Metric;
        // A float16 BLOB is decoded into this one buffer, row by row.
        var decoded = header.Precision == StoragePrecision.Float16 ? new float[header.Dimension] : null;
        using var statement = new RawStatement(connection,
            "SELECT id, vector, norm FROM vectors" + (filter is null ? "" : " WHERE " + filter.WhereClause));
        for (var i = 0; filter is not null && i < filter.Parameters.Count; i++)
        {
            switch (filter.Parameters[i])
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
            var blob = statement.Blob(1);
            ReadOnlySpan<float> vector;
            if (decoded is null)
            {
                vector = VectorBlob.AsFloats(blob);
            }
            else
            {
                VectorBlob.CopyTo(blob, decoded, StoragePrecision.Float16);
                vector = decoded;
            }

            var score = DistanceFunction.Score(metric, query, vector);
            var distance = DistanceFunction.FromScore(metric, score, queryNorm, (float)statement.Double(2));
            if (distance <= limit && distance <= best.Bound)
            {
                best.Add(statement.Int64(0), distance);
            }
        }

        return DistanceFunction.Finish(metric, best);
    }
}
