using System.Globalization;

namespace VectorShard.Benchmarks;

/// <summary>The command line: which workloads, how many queries, where results and cached data go.</summary>
public sealed record BenchOptions(
    bool Quick,
    string OutPath,
    IReadOnlyList<Workload> Workloads,
    ulong Seed,
    int Queries,
    double BudgetSeconds,
    int IngestCount,
    string CacheDir,
    bool SqliteVec,
    bool USearch)
{
    public const string Usage = """
        VectorShard end-to-end search benchmark.

        dotnet run -c Release --project bench/VectorShard.Benchmarks -- [options]

          --quick             W1, W2 (and M1 if its corpus is cached), 20 queries, 6 s per contender (~1-2 min)
          --workloads W1,M1   which workloads (W1 10k x 1536, W2 100k x 384, W3 1M x 96, W4 100k x 384 with
                              spread norms, M1 ~45k x 384 real MiniLM embeddings; default all)
                              M1 reads the corpus cached by bench/VectorShard.Corpus and is skipped without it
          --out PATH          markdown results (default bench/VectorShard.Benchmarks/RESULTS.md under the
                              repository root); the SVG chart goes beside it with the .svg extension
          --queries N         measured single queries per contender (default 50; quick 20)
          --budget SECONDS    time cap per contender per workload (default 25; quick 6); at least 3 calls run
          --ingest N          vectors per ingest measurement at 384 dims (default 100000; quick 20000)
          --seed N            data seed (default 42); cached shards are reused only for the same seed and size
          --cache DIR         where shards, sqlite-vec databases, vec0.so and the MiniLM corpus are kept
                              (default $VECTORSHARD_BENCH_CACHE or ~/.cache/vectorshard-bench)
          --no-sqlite-vec     skip the sqlite-vec rows
          --no-usearch        skip the SIMD peer's rows (USearch exact search)
          --help              this text
        """;

    /// <summary>Parses the arguments; null (after printing why) when they are wrong or --help was given.</summary>
    public static BenchOptions? Parse(string[] args)
    {
        var quick = args.Contains("--quick");
        string? outPath = null;
        string? workloads = null;
        var seed = 42UL;
        int? queries = null;
        double? budget = null;
        int? ingest = null;
        string? cache = Environment.GetEnvironmentVariable("VECTORSHARD_BENCH_CACHE");
        var sqliteVec = true;
        var usearch = true;

        for (var i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            try
            {
                switch (args[i])
                {
                    case "--quick": break;
                    case "--out": outPath = Next(); break;
                    case "--workloads": workloads = Next(); break;
                    case "--seed": seed = ulong.Parse(Next(), CultureInfo.InvariantCulture); break;
                    case "--queries": queries = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                    case "--budget": budget = double.Parse(Next(), CultureInfo.InvariantCulture); break;
                    case "--ingest": ingest = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                    case "--cache": cache = Next(); break;
                    case "--no-sqlite-vec": sqliteVec = false; break;
                    case "--no-usearch": usearch = false; break;
                    case "--help" or "-h" or "-?":
                        Console.WriteLine(Usage);
                        return null;
                    default: throw new ArgumentException($"unknown argument '{args[i]}'");
                }
            }
            catch (Exception e) when (e is ArgumentException or FormatException or OverflowException)
            {
                Console.Error.WriteLine($"error: {e.Message}");
                Console.Error.WriteLine(Usage);
                return null;
            }
        }

        var chosen = new List<Workload>();
        foreach (var name in (workloads ?? (quick ? "W1,W2,M1" : "W1,W2,W3,W4,M1")).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var workload = Workload.All.FirstOrDefault(w => string.Equals(w.Name, name, StringComparison.OrdinalIgnoreCase));
            if (workload is null)
            {
                Console.Error.WriteLine($"error: unknown workload '{name}' (known: {string.Join(", ", Workload.All.Select(w => w.Name))})");
                return null;
            }

            if (!chosen.Contains(workload))
            {
                chosen.Add(workload);
            }
        }

        if (queries is < 1 || budget is <= 0 || ingest is < 1)
        {
            Console.Error.WriteLine("error: --queries, --budget and --ingest must be positive");
            return null;
        }

        cache ??= Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "vectorshard-bench");
        outPath ??= DefaultOutPath();
        return new BenchOptions(quick, Path.GetFullPath(outPath), chosen, seed, queries ?? (quick ? 20 : 50),
            budget ?? (quick ? 6 : 25), ingest ?? (quick ? 20_000 : 100_000), Path.GetFullPath(cache), sqliteVec, usearch);
    }

    /// <summary>The repository root: the first folder up from here (or from the program) holding VectorShard.slnx.</summary>
    public static string? RepositoryRoot()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "VectorShard.slnx")))
                {
                    return dir.FullName;
                }
            }
        }

        return null;
    }

    private static string DefaultOutPath() =>
        RepositoryRoot() is { } root
            ? Path.Combine(root, "bench", "VectorShard.Benchmarks", "RESULTS.md")
            : Path.Combine(Directory.GetCurrentDirectory(), "RESULTS.md");
}
