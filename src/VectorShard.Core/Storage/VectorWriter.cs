using Microsoft.Data.Sqlite;

namespace VectorShard.Core.Storage;

/// <summary>
/// Writes batches of vectors. A batch is one transaction: every row is checked first, and a failure on any
/// row (bad vector, duplicate key, I/O) rolls the whole batch back, leaving the shard as it was.
/// </summary>
public static class VectorWriter
{
    private const string Insert = """
        INSERT INTO vectors (key, vector, norm, metadata, created_at, shard_version)
        VALUES (?1, ?2, ?3, ?4, ?5, ?6)
        """;

    // An upsert keeps the row id, so references to it stay valid. It returns the id, as an update does not
    // set last_insert_rowid; a plain insert reads that instead, as RETURNING costs a fifth of the insert. The conflict
    // target carries the partial key index's WHERE (format 2), which SQLite also matches to format 1's UNIQUE column.
    private const string Upsert = Insert + """

        ON CONFLICT (key) WHERE key IS NOT NULL DO UPDATE SET vector = excluded.vector, norm = excluded.norm,
            metadata = excluded.metadata, created_at = excluded.created_at, shard_version = excluded.shard_version
        RETURNING id
        """;

    /// <summary>Writes the batch and returns the stored records, in input order.</summary>
    public static IReadOnlyList<VectorRecord> Write(StatementCache statements, ShardHeader header, string path,
        IReadOnlyList<VectorInput> batch, bool replaceExisting, long firstPosition = 0)
    {
        var norms = new float[batch.Count];
        var metadata = new string?[batch.Count];
        CheckBatch(header, batch, replaceExisting, firstPosition, norms, metadata);

        var createdAt = DateTimeOffset.UtcNow;
        var createdMicros = (createdAt - DateTimeOffset.UnixEpoch).Ticks / 10;
        createdAt = DateTimeOffset.UnixEpoch.AddTicks(createdMicros * 10);
        var records = new VectorRecord[batch.Count];

        using var transaction = statements.BeginTransaction();
        var version = ShardSchema.ReadVersion(statements);
        // Raw API: the vector binds straight from its float span, with no byte[] per row.
        // Cached for the next batch; the lease resets it also when a row failed, or it would hold the transaction open.
        using var lease = statements.GetRaw(replaceExisting ? Upsert : Insert);
        var insert = lease.Statement;
        var halves = header.Precision == StoragePrecision.Float16 ? new Half[header.Dimension] : null;
        for (var i = 0; i < batch.Count; i++)
        {
            var row = batch[i];
            version++;
            insert.Bind(1, row.Key);
            var blob = halves is null ? VectorBlob.AsBytes(row.Vector) : VectorBlob.EncodeHalves(row.Vector, halves);
            insert.Bind(2, blob);
            insert.Bind(3, (double)norms[i]);
            insert.Bind(4, metadata[i]);
            insert.Bind(5, createdMicros);
            insert.Bind(6, version);
            long id;
            try
            {
                if (insert.Step())
                {
                    id = insert.Int64(0);
                    insert.Step();
                }
                else
                {
                    id = insert.LastInsertRowId();
                }
            }
            catch (SqliteException e) when (e.SqliteExtendedErrorCode == 2067 /* SQLITE_CONSTRAINT_UNIQUE */)
            {
                throw ShardErrors.DuplicateKey(row.Key!);
            }

            insert.Reset();
            // The record shows the vector and metadata as stored (half-rounded; dates as ISO text), as a later read would.
            var stored = halves is null ? row.Vector : VectorBlob.ToFloats(blob, StoragePrecision.Float16);
            records[i] = new VectorRecord(id, row.Key, stored, norms[i], MetadataJson.Parse(metadata[i]), createdAt, version, path);
        }

        ShardSchema.WriteVersion(statements, version);
        transaction.Commit();
        return records;
    }

    private static void CheckBatch(ShardHeader header, IReadOnlyList<VectorInput> batch, bool replaceExisting, long firstPosition,
        float[] norms, string?[] metadata)
    {
        var keys = replaceExisting ? null : new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < batch.Count; i++)
        {
            var row = batch[i];
            var label = row.Describe(firstPosition + i);
            norms[i] = VectorValidator.Validate(row.Vector, header.Dimension, header.Metric, label, header.Precision);
            metadata[i] = MetadataJson.Serialize(row.Metadata, label);
            if (row.Key is not null && keys?.Add(row.Key) == false)
            {
                throw ShardErrors.DuplicateKeyInBatch(row.Key);
            }
        }
    }
}
