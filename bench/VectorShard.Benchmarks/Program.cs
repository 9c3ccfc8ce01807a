using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Microsoft.Data.Sqlite;
using VectorShard.Benchmarks;
using VectorShard.Core;
using VectorShard.Core.Search.Kernels;

// The end-to-end search benchmark. Progress goes to stdout as it happens; the markdown table follows at the end
// and is written to --out, with the SVG chart beside it. See README.md.
CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
var options = BenchOptions.Parse(args);
if (options is null)
{
    return args.Any(a => a is "--help" or "-h" or "-?") ? 0 : 2;
}

var started = DateTimeOffset.UtcNow;
var clock = Stopwatch.StartNew();
Directory.CreateDirectory(options.CacheDir);
Console.WriteLine($"VectorShard benchmark ({(options.Quick ? "quick" : "full")}): {string.Join(", ", options.Workloads.Select(w => w.Name))}; cache {options.CacheDir}");

// sqlite-vec: fetched once into the cache; any failure only removes its column.
string? vecLibrary = null;
string? vecUnavailable = "--no-sqlite-vec";
var vecVersion = "not used";
if (options.SqliteVec)
{
    vecLibrary = SqliteVecExtension.Locate(options.CacheDir, out var reason);
    vecUnavailable = vecLibrary is null ? reason : null;
    if (vecLibrary is not null)
    {
        try
        {
            using var probe = SqliteVecExtension.Open(":memory:", vecLibrary, SqliteOpenMode.Memory);
            using var command = probe.CreateCommand();
            command.CommandText = "SELECT vec_version()";
            vecVersion = (string)command.ExecuteScalar()!;
        }
        catch (Exception e) when (e is SqliteException or InvalidOperationException)
        {
            vecUnavailable = $"vec0 did not load: {e.Message}";
            vecLibrary = null;
        }
    }

    Console.WriteLine(vecLibrary is null ? $"sqlite-vec skipped: {vecUnavailable}" : $"sqlite-vec {vecVersion} from {vecLibrary}");
}

var loadAtStart = Machine.LoadAverage();
var machine = Machine.Describe(vecVersion);
Console.WriteLine($"Machine: {machine}");

var workloads = new List<WorkloadResult>();
foreach (var workload in options.Workloads)
{
    workloads.Add(WorkloadRun.Run(workload, options, vecLibrary, vecUnavailable));
}

var repetitions = options.Quick ? 2 : 3;
Console.WriteLine($"== Ingest: {options.IngestCount:N0} × {IngestBench.Dimension}, {repetitions} repetitions");
var ingest = IngestBench.Run(options.IngestCount, options.Seed, options.CacheDir, vecLibrary, vecUnavailable, repetitions);
foreach (var i in ingest)
{
    Console.WriteLine(i.Rates.Count > 0 && i.Unavailable is null ? $"  {i.Name}: {i.Median:N0} vectors/s" : $"  {i.Name}: n/a ({i.Unavailable})");
}

var commandLine = "dotnet run -c Release --project bench/VectorShard.Benchmarks" + (args.Length > 0 ? " -- " + string.Join(' ', args) : "");
if (loadAtStart is not null)
{
    // Other work on the machine shows up as noise: say how busy it was.
    machine += $" Load average (1 min) at start {loadAtStart}, at end {Machine.LoadAverage()}.";
}

var run = new RunResult(options, commandLine, machine, started, clock.Elapsed.TotalSeconds, workloads, ingest, options.IngestCount, repetitions);
var markdown = Report.Markdown(run);
var svgPath = Path.ChangeExtension(options.OutPath, ".svg");
Directory.CreateDirectory(Path.GetDirectoryName(options.OutPath)!);
File.WriteAllText(options.OutPath, markdown);
File.WriteAllText(svgPath, Report.Svg(run));
File.WriteAllText(Path.ChangeExtension(options.OutPath, ".json"), Report.Json(run));
Console.WriteLine();
Console.WriteLine(markdown);
Console.WriteLine($"Written: {options.OutPath}, {svgPath} and .json ({Report.Duration(clock.Elapsed.TotalSeconds)})");

// A wrong answer from VectorShard fails the run (after the results are written); slowness never does.
var wrong = workloads.SelectMany(w => w.Contenders)
    .Where(c => c.Name.StartsWith("VectorShard", StringComparison.Ordinal) && !c.Approximate && c.Recall is { Correct: false }).ToList();
foreach (var c in wrong)
{
    Console.WriteLine($"ERROR: {c.Name} returned wrong neighbours on {c.Recall!.Misses} queries");
}

return wrong.Count > 0 ? 1 : 0;

namespace VectorShard.Benchmarks
{
    /// <summary>One workload from data to numbers.</summary>
    public static class WorkloadRun
    {
        /// <summary>Distinct queries per workload: enough for a batch of 64.</summary>
        private const int MinQuerySet = 64;

        public static WorkloadResult Run(Workload w, BenchOptions options, string? vecLibrary, string? vecUnavailable)
        {
            var clock = Stopwatch.StartNew();
            var notes = new List<string>();
            Console.WriteLine($"== {w.Title}");
            var stream = (ulong)(Workload.All.ToList().IndexOf(w) + 1);
            var data = DataGenerator.UnitVectors(w.Count, w.Dimension, options.Seed, stream);
            if (w.WideNorms)
            {
                DataGenerator.SpreadNorms(data, w.Dimension, options.Seed + stream);
            }
            var queryData = DataGenerator.UnitVectors(Math.Max(options.Queries, MinQuerySet), w.Dimension, options.Seed, stream + 1000);
            var queries = Enumerable.Range(0, queryData.Length / w.Dimension).Select(q => DataGenerator.Row(queryData, w.Dimension, q)).ToArray();
            Console.WriteLine($"  data generated ({clock.Elapsed.TotalSeconds:F1} s)");

            var shardPath = DataCache.ShardPath(options.CacheDir, w, options.Seed);
            var shardBuild = DataCache.EnsureShard(shardPath, w, data);
            notes.Add(shardBuild.Describe("Shard (Shard.Add, batches of 10,000, Balanced profile)"));
            Console.WriteLine($"  {notes[^1]}");

            string? vecPath = null;
            if (vecLibrary is not null)
            {
                try
                {
                    var path = DataCache.Vec0Path(options.CacheDir, w, options.Seed);
                    notes.Add(DataCache.EnsureVec0(path, vecLibrary, w, data).Describe("sqlite-vec table (INSERT, 10,000 per transaction)"));
                    Console.WriteLine($"  {notes[^1]}");
                    vecPath = path;
                }
                catch (SqliteException e)
                {
                    vecUnavailable = $"building the vec0 table failed: {e.Message}";
                }
            }

            var t = Stopwatch.GetTimestamp();
            var reference = PlainExact.SearchAll(data, w.Dimension, w.Metric, queries, w.K);
            Console.WriteLine($"  reference answers for {queries.Length} queries ({Stopwatch.GetElapsedTime(t).TotalSeconds:F1} s)");
            // About 2 GB streamed per probe: many passes over a small buffer, at least 5 over a large one.
            var bandwidth = BandwidthProbe.Measure(data, passes: (int)Math.Clamp(2e9 / w.VectorBytes, 5, 30));
            Console.WriteLine($"  bandwidth {bandwidth.OneThreadGBps:F1} GB/s (1 thread), {bandwidth.TwoThreadsGBps:F1} GB/s (2 threads); bound {Report.Ms(bandwidth.BoundSeconds)} ms");

            using var shard = Shard.Open(shardPath);
            using var naive = Contenders.OpenPlain(shardPath);
            using var vec = vecPath is null ? null : SqliteVecExtension.Open(vecPath, vecLibrary!, SqliteOpenMode.ReadWrite);
            if (vec is not null)
            {
                Contenders.ApplyReadPragmas(vec);
            }

            var contenders = new List<Contender>
            {
                Contenders.VectorShardExact(shard, w.K, allCores: false),
                Contenders.VectorShardExact(shard, w.K, allCores: true),
                Contenders.VectorShardQuantized(shard, w.K, SearchQuantization.Int8, oversample: 4),
                Contenders.VectorShardQuantized(shard, w.K, SearchQuantization.Binary, oversample: 20),
                Contenders.VectorShardBatched(shard, w.K, 8, out var binding),
                Contenders.VectorShardBatched(shard, w.K, 64, out _),
                Contenders.NaiveAdoNet(naive, w),
                Contenders.SqliteVecKnn(vec, w.K, vecUnavailable),
            };
            notes.Add(contenders[1].Run is null ? $"Batched search: n/a ({binding})" : $"Batched search bound to {binding}");

            Measurement.Run(contenders, queries, options.Queries, options.BudgetSeconds);

            foreach (var c in contenders.Where(c => c.HasNumbers))
            {
                c.Recall = RecallReport.Compute(c.Answers, reference, queries, data, w.Dimension, w.Metric);
            }

            var exact = contenders[0];
            if (exact.Recall is { } r)
            {
                notes.Add($"Correctness: VectorShard exact top-{w.K} ids equal the naive exact answer on {r.Exact}/{r.Queries} queries" +
                    (r.NearTies > 0 ? $", {r.NearTies} differ only by float near-ties (within 1e-5)" : "") +
                    (r.Misses > 0 ? $", **{r.Misses} are WRONG**" : "") + ".");
            }

            notes.Add("First call, before measuring (JIT, page cache, anything built on first use; a batch call covers its whole batch): " +
                string.Join(", ", contenders.Where(c => c.FirstCallSeconds is not null).Select(c => $"{c.Name} {Report.Ms(c.FirstCallSeconds!.Value)} ms")) + ".");
            notes.Add($"Reference answers: plain float loop over the generated vectors, {queries.Length} queries; the data is the same bytes in every store.");
            foreach (var c in contenders.Where(c => c.HasNumbers))
            {
                Console.WriteLine($"  {c.Name}: {c.QueriesAnswered} queries, p50 {Report.Ms(c.Median)} ms, p99 {Report.Ms(c.P99)} ms, " +
                    $"{c.Qps:N1} QPS, {c.Median / bandwidth.BoundSeconds:F2}× bound, recall {c.Recall?.Recall:F3}");
            }

            return new WorkloadResult(w, bandwidth, contenders, notes, clock.Elapsed.TotalSeconds);
        }
    }

    /// <summary>
    /// Runs the contenders in turns: each round, every contender still going answers one call (one query, or one
    /// batch), in a rotating order, so slow drift in the machine hits them all alike. A contender stops at its
    /// target or when its time budget is spent (after at least three calls).
    /// </summary>
    public static class Measurement
    {
        public static void Run(IReadOnlyList<Contender> contenders, float[][] queries, int queryTarget, double budgetSeconds)
        {
            var active = contenders.Where(c => c.Run is not null && c.Unavailable is null).ToList();
            var n = queries.Length;

            // Warm-up (JIT, page cache): two calls each, one if the first is slow. Not recorded.
            foreach (var c in active)
            {
                for (var i = 0; i < 2; i++)
                {
                    var t = Stopwatch.GetTimestamp();
                    var indices = Enumerable.Range(0, c.BatchSize).Select(j => (n - 1 - (i * c.BatchSize + j) % n + n) % n).ToArray();
                    if (!c.Measure(queries, indices, record: false) || Stopwatch.GetElapsedTime(t).TotalSeconds > 1)
                    {
                        break;
                    }
                }
            }

            active.RemoveAll(c => c.Unavailable is not null);
            foreach (var c in active)
            {
                c.Answers.Clear(); // recall is reported over the measured calls only
            }

            var target = active.ToDictionary(c => c, c => c.BatchSize == 1 ? queryTarget : Math.Max((queryTarget + c.BatchSize - 1) / c.BatchSize, 5));
            var spent = active.ToDictionary(c => c, _ => 0.0);
            GC.Collect();
            GC.WaitForPendingFinalizers();
            for (var round = 0; active.Count > 0; round++)
            {
                var order = active.Skip(round % active.Count).Concat(active.Take(round % active.Count)).ToList();
                foreach (var c in order)
                {
                    var indices = Enumerable.Range(0, c.BatchSize).Select(j => (c.Calls * c.BatchSize + j) % n).ToArray();
                    var t = Stopwatch.GetTimestamp();
                    var ok = c.Measure(queries, indices, record: true);
                    spent[c] += Stopwatch.GetElapsedTime(t).TotalSeconds;
                    if (!ok || c.Calls >= target[c] || (spent[c] >= budgetSeconds && c.Calls >= 3))
                    {
                        active.Remove(c);
                    }
                }
            }
        }
    }

    /// <summary>One line about the machine and the software under test.</summary>
    public static class Machine
    {
        public static string Describe(string vecVersion)
        {
            var cpu = "unknown CPU";
            try
            {
                cpu = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? cpu;
            }
            catch (IOException)
            {
            }

            var simd = Avx512F.IsSupported ? "AVX-512" : Avx2.IsSupported ? "AVX2" : RuntimeInformation.ProcessArchitecture.ToString();
            string sqlite;
            using (var connection = new SqliteConnection("Data Source=:memory:"))
            {
                connection.Open();
                using var command = connection.CreateCommand();
                command.CommandText = "SELECT sqlite_version()";
                sqlite = (string)command.ExecuteScalar()!;
            }

            var ram = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (1024.0 * 1024 * 1024);
            return string.Create(CultureInfo.InvariantCulture,
                $"{cpu}, {Environment.ProcessorCount} cores, {simd} (Vector512 accelerated: {Vector512.IsHardwareAccelerated}), {ram:F0} GiB; " +
                $"{RuntimeInformation.OSDescription}; {RuntimeInformation.FrameworkDescription}; SQLite {sqlite}; sqlite-vec {vecVersion}; " +
                $"VectorShard.Core {typeof(Shard).Assembly.GetName().Version}{Commit()}, search kernel {VectorKernels.Current.Backend}.");
        }

        /// <summary>The 1-minute load average (Linux), or null where there is none.</summary>
        public static string? LoadAverage()
        {
            try
            {
                return File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : null;
            }
            catch (IOException)
            {
                return null;
            }
        }

        // The repository's commit, read from .git without running git (the working tree may differ from it).
        private static string Commit()
        {
            try
            {
                if (BenchOptions.RepositoryRoot() is not { } root || !File.Exists(Path.Combine(root, ".git", "HEAD")))
                {
                    return "";
                }

                var head = File.ReadAllText(Path.Combine(root, ".git", "HEAD")).Trim();
                if (head.StartsWith("ref: ", StringComparison.Ordinal))
                {
                    var name = head[5..];
                    var loose = Path.Combine(root, ".git", name);
                    head = File.Exists(loose) ? File.ReadAllText(loose).Trim()
                        : File.ReadLines(Path.Combine(root, ".git", "packed-refs")).FirstOrDefault(l => l.EndsWith(" " + name, StringComparison.Ordinal))?.Split(' ')[0] ?? "";
                }

                return head.Length >= 7 ? $" at commit {head[..7]} (plus any uncommitted changes)" : "";
            }
            catch (IOException)
            {
                return "";
            }
        }
    }
}
