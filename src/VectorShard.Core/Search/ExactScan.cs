using Microsoft.Data.Sqlite;
using SQLitePCL;
using VectorShard.Core.Storage;

namespace VectorShard.Core.Search;

/// <summary>
/// The exact k-NN scan: one pass over every stored vector (or those the metadata filter admits), reading
/// each BLOB in place through SQLite's raw API — no copy, no allocation per row — and keeping the k
/// nearest in a bounded heap. This is the one place the search path reads vectors, so a faster scan
/// replaces only this class.
/// </summary>
public static class ExactScan
{
    /// <summary>The k nearest (id, distance) pairs within <paramref name="maxDistance"/>, nearest first.</summary>
    public static (long Id, float Distance)[] Run(SqliteConnection connection, DistanceMetric metric,
        ReadOnlySpan<float> query, float queryNorm, int k, float maxDistance, MetadataFilter? filter)
    {
        var sql = "SELECT id, vector, norm FROM vectors" + (filter is null ? "" : " WHERE " + filter.WhereClause);
        var db = connection.Handle!;
        Check(db, raw.sqlite3_prepare_v2(db, sql, out var statement));
        using (statement)
        {
            Bind(db, statement, filter);
            var best = new TopK(k);
            var limit = DistanceFunction.RankingLimit(metric, maxDistance);
            int rc;
            while ((rc = raw.sqlite3_step(statement)) == raw.SQLITE_ROW)
            {
                var vector = VectorBlob.AsFloats(raw.sqlite3_column_blob(statement, 1));
                var score = DistanceFunction.Score(metric, query, vector);
                var distance = DistanceFunction.FromScore(metric, score, queryNorm, (float)raw.sqlite3_column_double(statement, 2));
                if (distance <= limit && distance <= best.Bound)
                {
                    best.Add(raw.sqlite3_column_int64(statement, 0), distance);
                }
            }

            if (rc != raw.SQLITE_DONE)
            {
                Check(db, rc);
            }

            return DistanceFunction.Finish(metric, best);
        }
    }

    private static void Bind(sqlite3 db, sqlite3_stmt statement, MetadataFilter? filter)
    {
        for (var i = 0; filter is not null && i < filter.Parameters.Count; i++)
        {
            var rc = filter.Parameters[i] switch
            {
                string s => raw.sqlite3_bind_text(statement, i + 1, s),
                long l => raw.sqlite3_bind_int64(statement, i + 1, l),
                double d => raw.sqlite3_bind_double(statement, i + 1, d),
                _ => raw.sqlite3_bind_null(statement, i + 1),
            };
            Check(db, rc);
        }
    }

    private static void Check(sqlite3 db, int rc)
    {
        if (rc != raw.SQLITE_OK)
        {
            throw new SqliteException(raw.sqlite3_errmsg(db).utf8_to_string(), rc, raw.sqlite3_extended_errcode(db));
        }
    }
}
