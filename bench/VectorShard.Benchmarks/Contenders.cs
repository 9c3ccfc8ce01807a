using Microsoft.Data.Sqlite;
using VectorShard.Core;
using VectorShard.Core.Search;

namespace VectorShard.Benchmarks;

/// <summary>The contenders of one workload. Each answers with ids (the shard's ids are row index + 1 everywhere).</summary>
public static class Contenders
{
    public const string Exact = "VectorShard exact, 1 thread";
    public const string ExactFullScan = "VectorShard exact full scan, 1 thread";
    public static readonly string ExactAllCores = $"VectorShard exact, {Environment.ProcessorCount} threads";
    public const string Naive = "Naive ADO.NET + plain loop";
    public const string SqliteVec = "sqlite-vec " + SqliteVecExtension.Version + " (vec0 KNN)";

    public static string Batched(int size, bool allCores = false) =>
        $"VectorShard batched ×{size}" + (allCores ? $", {Environment.ProcessorCount} threads" : "");

    /// <summary>
    /// Core's single-query search, as users call it (ids, keys and metadata of the k found), on one thread or
    /// with the default of one thread per core: int8 bounds, then float32 rescoring of the rows that could rank
    /// (BoundedScan), or with <paramref name="fullScan"/> every float32 row read (the scan the bandwidth bound describes).
    /// </summary>
    public static Contender VectorShardExact(Shard shard, int k, bool allCores, bool fullScan = false)
    {
        var options = new SearchOptions(K: k, MaxThreads: allCores ? 0 : 1, FullScan: fullScan);
        return new Contender(fullScan ? ExactFullScan : allCores ? ExactAllCores : Exact, 1,
            queries => [shard.Search(queries[0], options).Select(r => r.Id).ToArray()], null, allCores ? Environment.ProcessorCount : 1);
    }

    /// <summary>
    /// Core's search on one thread over a Float16 copy of the shard, one query a call or in batches of
    /// <paramref name="batchSize"/>: half the bytes to scan, neighbours ranked on the rounded vectors (so its
    /// recall is reported).
    /// </summary>
    public static Contender VectorShardFloat16(Shard float16Shard, int k, int batchSize)
    {
        var options = new SearchOptions(K: k, MaxThreads: 1);
        return new Contender(batchSize == 1 ? "VectorShard Float16 exact, 1 thread" : $"VectorShard Float16 batched ×{batchSize}", batchSize,
            queries => float16Shard.SearchMany(queries, options).Select(answer => answer.Select(r => r.Id).ToArray()).ToArray(), null)
        {
            Approximate = true,
            BytesFraction = 0.5,
        };
    }

    /// <summary>
    /// Core's quantized search: int8, 4-bit or sign-bit prescan, exact rescoring of k × <paramref name="oversample"/> candidates,
    /// on one thread or with the default of one thread per core (the prescan splits only above 16 MiB of codes).
    /// </summary>
    public static Contender VectorShardQuantized(Shard shard, int k, SearchQuantization quantization, int oversample, bool allCores = false)
    {
        var options = new SearchOptions(K: k, MaxThreads: allCores ? 0 : 1, Quantization: quantization, Oversample: oversample);
        var name = $"VectorShard {quantization.ToString().ToLowerInvariant()} + rescoring ×{oversample}" +
            (allCores ? $", {Environment.ProcessorCount} threads" : "");
        return new Contender(name, 1, queries => [shard.Search(queries[0], options).Select(r => r.Id).ToArray()], null,
            allCores ? Environment.ProcessorCount : 1) { Approximate = true, Quantized = true };
    }

    /// <summary>
    /// Core's multi-query search in batches of <paramref name="size"/>, if Core has one (see <see cref="BatchedSearch"/>):
    /// on one thread, or with one per core, as a BLAS matrix multiply would use them.
    /// </summary>
    public static Contender VectorShardBatched(Shard shard, int k, int size, out string binding, bool allCores = false)
    {
        var run = BatchedSearch.TryBind(shard, k, allCores, out binding);
        return new Contender(Batched(size, allCores), size, run, run is null ? binding : null, allCores ? Environment.ProcessorCount : 1);
    }

    /// <summary>The same search measured apart, its calls one after another with nothing between them, so its data stays in cache.</summary>
    public static Contender BackToBack(Contender c) =>
        new(c.Name + ", back to back", c.BatchSize, c.Run, c.Unavailable, c.Threads)
        {
            Approximate = c.Approximate,
            Quantized = c.Quantized,
            BytesFraction = c.BytesFraction,
        };

    /// <summary>
    /// What an application without VectorShard would write: read every row through ADO.NET
    /// (SqliteDataReader, GetFieldValue&lt;byte[]&gt;, copy to float[]) and compare in a plain loop, keeping the top k.
    /// </summary>
    public static Contender NaiveAdoNet(SqliteConnection connection, Workload w)
    {
        return new Contender(Naive, 1, queries =>
        {
            var query = queries[0];
            var norm = PlainExact.Norm(query);
            var best = new SmallTopK(w.K);
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT id, vector FROM vectors";
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                var bytes = reader.GetFieldValue<byte[]>(1);
                var vector = new float[bytes.Length / sizeof(float)];
                Buffer.BlockCopy(bytes, 0, vector, 0, bytes.Length);
                best.Add(reader.GetInt64(0), PlainExact.Distance(w.Metric, query, norm, vector));
            }

            return [best.Ids()];
        }, null);
    }

    /// <summary>sqlite-vec's exact KNN on a vec0 table holding the same rows under the same ids.</summary>
    public static Contender SqliteVecKnn(SqliteConnection? connection, int k, string? unavailable)
    {
        if (connection is null)
        {
            return new Contender(SqliteVec, 1, null, unavailable);
        }

        var command = connection.CreateCommand();
        command.CommandText = "SELECT rowid FROM v WHERE embedding MATCH $q AND k = $k ORDER BY distance";
        var vector = command.Parameters.Add("$q", SqliteType.Blob);
        command.Parameters.AddWithValue("$k", k);
        return new Contender(SqliteVec, 1, queries =>
        {
            vector.Value = System.Runtime.InteropServices.MemoryMarshal.AsBytes(queries[0].AsSpan()).ToArray();
            var ids = new List<long>(k);
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                ids.Add(reader.GetInt64(0));
            }

            return [ids.ToArray()];
        }, null);
    }

    /// <summary>A plain connection to a file (no pooling) with Core's Balanced cache and mmap sizes, for fairness.</summary>
    public static SqliteConnection OpenPlain(string path)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWrite,
            Pooling = false,
        }.ToString());
        connection.Open();
        ApplyReadPragmas(connection);
        return connection;
    }

    /// <summary>Balanced's read-side pragmas: 64 MiB page cache, 256 MiB mmap.</summary>
    public static void ApplyReadPragmas(SqliteConnection connection) =>
        DataCache.Execute(connection, "PRAGMA cache_size = -65536; PRAGMA mmap_size = 268435456;");
}
