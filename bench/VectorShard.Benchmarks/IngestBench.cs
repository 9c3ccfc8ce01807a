using System.Diagnostics;
using System.Runtime.InteropServices;
using Microsoft.Data.Sqlite;
using VectorShard.Core;
using VectorShard.Core.Storage;

namespace VectorShard.Benchmarks;

/// <summary>
/// One writer's ingest rate: vectors per second for each repetition. <paramref name="Peer"/> names the plain SQLite
/// writer with the same pragmas, which its rate is compared with (null: the first plain writer).
/// </summary>
public sealed record IngestResult(string Name, string Detail, List<double> Rates, string? Unavailable, string? Peer = null)
{
    public double Median => Rates.Order().ElementAt(Rates.Count / 2);
}

/// <summary>
/// Bulk insert at 384 dimensions into fresh files, in transactions of 10,000: Core's Shard.Add in the Balanced
/// profile (WAL, synchronous NORMAL) and in the UltraFast one (journal in memory, synchronous OFF, exclusive lock), plain
/// SQLite BLOB inserts with each profile's pragmas and page size (and with SQLite's default 4 KiB pages, and its default
/// rollback journal, to show what those are worth), and sqlite-vec's vec0.
/// Only the insert calls are timed; the writers take turns, each repetition in a different order.
/// </summary>
public static class IngestBench
{
    public const int Dimension = 384;
    private const int DefaultPageSize = 4096;
    private const int BatchSize = 10_000;

    public static IReadOnlyList<IngestResult> Run(int count, ulong seed, string cacheDir, string? vecLibrary, string? vecUnavailable, int repetitions)
    {
        var data = DataGenerator.UnitVectors(count, Dimension, seed, stream: 99);
        var batches = Enumerable.Range(0, (count + BatchSize - 1) / BatchSize)
            .Select(b => DataCache.Inputs(data, Dimension, b * BatchSize, Math.Min(BatchSize, count - b * BatchSize))).ToList();
        var shardPageSize = ShardSchema.PageSize(Dimension, StoragePrecision.Float32);
        // Every writer gets the shard's page cache: its size sets how much fresh memory a bulk write first touches.
        var cacheKiB = PragmaPlan.ForProfile(ShardProfile.Balanced).CacheSizeKiB;
        var folder = Path.Combine(cacheDir, $"ingest-{Environment.ProcessId}");
        Directory.CreateDirectory(folder);

        var ultraFast = PragmaPlan.ForProfile(ShardProfile.UltraFast);
        var ultraFastPragmas = $"journal_mode = {ultraFast.JournalMode}, synchronous = {ultraFast.Synchronous}, locking_mode = {ultraFast.LockingMode}";
        const string Plain = "Plain SQLite BLOB INSERT", PlainUltraFast = "Plain SQLite BLOB INSERT, UltraFast's pragmas";
        var results = new List<IngestResult>
        {
            new("VectorShard Shard.Add", $"Balanced profile (WAL, synchronous NORMAL, {shardPageSize / 1024} KiB pages, {cacheKiB / 1024} MiB cache), validation, norms, " +
                "metadata, versions, the profile's indexes", [], null, Plain),
            new("VectorShard Shard.Add, UltraFast profile", $"the same in the UltraFast profile ({ultraFastPragmas}; a bulk load's profile: a crash " +
                "mid-write can lose the shard) and its indexes", [], null, PlainUltraFast),
            new(Plain, $"id INTEGER PRIMARY KEY, vector BLOB; WAL, synchronous NORMAL; {shardPageSize / 1024} KiB pages " +
                "and cache (the shard's); prepared, raw API", [], null),
            new("Plain SQLite BLOB INSERT, 4 KiB pages", "the same with SQLite's default page size", [], null),
            new("Plain SQLite BLOB INSERT, rollback journal", "the same with SQLite's default journal (journal_mode = DELETE, synchronous = FULL): " +
                "appended pages are written once, where WAL writes them twice (the log, then the checkpoint)", [], null),
            new(PlainUltraFast, $"the same with {ultraFastPragmas}", [], null, PlainUltraFast),
            new("sqlite-vec vec0 INSERT", "vec0(embedding float[384]); WAL, synchronous NORMAL, the shard's cache; prepared", [], vecUnavailable),
        };
        var writers = new Func<string, double>[]
        {
            path => ShardAdd(path, batches, ShardProfile.Balanced),
            path => ShardAdd(path, batches, ShardProfile.UltraFast),
            path => PlainInsert(path, batches, shardPageSize, cacheKiB, "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;"),
            path => PlainInsert(path, batches, DefaultPageSize, cacheKiB, "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;"),
            path => PlainInsert(path, batches, shardPageSize, cacheKiB, "PRAGMA journal_mode = DELETE; PRAGMA synchronous = FULL;"),
            path => PlainInsert(path, batches, shardPageSize, cacheKiB, $"PRAGMA journal_mode = {ultraFast.JournalMode}; " +
                $"PRAGMA synchronous = {ultraFast.Synchronous}; PRAGMA locking_mode = {ultraFast.LockingMode};"),
            path =>
            {
                using var connection = SqliteVecExtension.Open(path, vecLibrary!, SqliteOpenMode.ReadWriteCreate);
                DataCache.Execute(connection, $"PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA cache_size = -{cacheKiB};");
                DataCache.Execute(connection, DataCache.Vec0Table("v", Dimension, DistanceMetric.L2));
                return DataCache.InsertVec0(connection, "v", data, Dimension, count);
            },
        };

        try
        {
            for (var rep = 0; rep < repetitions; rep++)
            {
                for (var turn = 0; turn < writers.Length; turn++)
                {
                    var w = (turn + rep) % writers.Length;
                    if (results[w].Unavailable is not null)
                    {
                        continue;
                    }

                    var path = Path.Combine(folder, $"ingest-{w}.db");
                    Delete(path);
                    try
                    {
                        results[w].Rates.Add(count / writers[w](path));
                    }
                    catch (Exception e) when (e is SqliteException or VectorShardException or IOException)
                    {
                        results[w] = results[w] with { Unavailable = $"failed: {e.Message}" };
                    }
                    finally
                    {
                        Delete(path);
                    }
                }
            }
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }

        return results;
    }

    private static double ShardAdd(string path, List<List<VectorInput>> batches, ShardProfile profile)
    {
        using var shard = Shard.Create(path, new ShardOptions(Dimension, DistanceMetric.L2, profile));
        var t = Stopwatch.GetTimestamp();
        foreach (var batch in batches)
        {
            shard.Add(batch);
        }

        return Stopwatch.GetElapsedTime(t).TotalSeconds;
    }

    // Nothing but the row: the fastest this SQLite writes these BLOBs with these pragmas.
    private static double PlainInsert(string path, List<List<VectorInput>> batches, int pageSize, long cacheKiB, string journalPragmas)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        connection.Open();
        DataCache.Execute(connection, $"PRAGMA page_size = {pageSize}; {journalPragmas} " +
            $"PRAGMA cache_size = -{cacheKiB}; CREATE TABLE vectors (id INTEGER PRIMARY KEY, vector BLOB NOT NULL);");
        var t = Stopwatch.GetTimestamp();
        using var insert = new RawStatement(connection, "INSERT INTO vectors (vector) VALUES (?1)");
        foreach (var batch in batches)
        {
            using var transaction = connection.BeginTransaction();
            foreach (var row in batch)
            {
                insert.Bind(1, MemoryMarshal.AsBytes(row.Vector.AsSpan()));
                insert.Step();
                insert.Reset();
            }

            transaction.Commit();
        }

        return Stopwatch.GetElapsedTime(t).TotalSeconds;
    }

    private static void Delete(string path)
    {
        SqliteConnection.ClearAllPools();
        foreach (var suffix in new[] { "", "-wal", "-shm", "-journal" })
        {
            File.Delete(path + suffix);
        }
    }
}
