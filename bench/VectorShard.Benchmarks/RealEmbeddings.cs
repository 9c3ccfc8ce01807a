using System.Globalization;

namespace VectorShard.Benchmarks;

/// <summary>
/// The real-embeddings workload's data: the MiniLM corpus that bench/VectorShard.Corpus caches (built once,
/// never here: embedding takes minutes), split by the seed into held-out query texts and stored texts, so no
/// query is ever searched against its own vector.
/// </summary>
public static class RealEmbeddings
{
    /// <summary>Texts held out as queries: the measured queries come first, the rest only feed recall.</summary>
    public const int HeldOutQueries = 500;

    /// <summary>How to build the corpus, for the skip message and the docs.</summary>
    public const string BuildCommand = "dotnet run -c Release --project bench/VectorShard.Corpus";

    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static string CorpusPath(string cacheDir) => Path.Combine(cacheDir, CorpusFile.DefaultFileName);

    /// <summary>The workload's stored vectors and held-out queries, or null with the reason it is skipped.</summary>
    public static WorkloadData? Load(Workload w, BenchOptions options, out string skipReason)
    {
        var path = CorpusPath(options.CacheDir);
        var hint = $"build it once (a few minutes on 2 cores) with `{BuildCommand}` or `dotnet pwsh ./build.ps1 Bench`";
        if (!File.Exists(path))
        {
            skipReason = $"no MiniLM corpus at {path}; {hint}";
            return null;
        }

        CorpusFile corpus;
        try
        {
            corpus = CorpusFile.Read(path);
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
        {
            skipReason = $"the corpus at {path} did not read ({e.Message}); delete it and {hint}";
            return null;
        }

        if (corpus.Dimension != w.Dimension || corpus.Count < 4 * HeldOutQueries)
        {
            skipReason = $"the corpus at {path} has {corpus.Count:N0} × {corpus.Dimension}, not at least {4 * HeldOutQueries:N0} × {w.Dimension}; " +
                $"rebuild it with `{BuildCommand} -- --force`";
            return null;
        }

        skipReason = "";
        var d = corpus.Dimension;
        var heldOut = DataGenerator.SampleRows(corpus.Count, HeldOutQueries, options.Seed);
        var isQuery = new bool[corpus.Count];
        foreach (var r in heldOut)
        {
            isQuery[r] = true;
        }

        // Stored rows keep the corpus order: stored row i (id i + 1) is the i-th text not held out.
        var storedRows = Enumerable.Range(0, corpus.Count).Where(r => !isQuery[r]).ToArray();
        var stored = new float[storedRows.Length * d];
        for (var i = 0; i < storedRows.Length; i++)
        {
            corpus.Vectors.AsSpan(storedRows[i] * d, d).CopyTo(stored.AsSpan(i * d, d));
        }

        var queries = heldOut.Select(r => DataGenerator.Row(corpus.Vectors, d, r)).ToArray();
        var norms = Enumerable.Range(0, storedRows.Length).Select(i => Norm(stored.AsSpan(i * d, d))).ToArray();
        var workload = w with { Count = storedRows.Length, DataTag = "corpus" + corpus.Fingerprint };

        // A sanity line for the console only (the texts stay out of the committed report): the nearest stored
        // text of the first query should be about the same thing.
        var nearest = PlainExact.Search(stored, d, w.Metric, queries[0], 1)[0];
        Console.WriteLine($"  e.g. query \"{Clip(corpus.Texts[heldOut[0]])}\" → nearest stored \"{Clip(corpus.Texts[storedRows[nearest - 1]])}\"");

        var notes = new List<string>
        {
            string.Create(Inv, $"Data: {corpus.Model} embeddings of the {corpus.Count:N0} unique `<summary>` texts of the .NET reference XML docs " +
                $"(corpus {corpus.Fingerprint}, built by bench/VectorShard.Corpus); {heldOut.Length} texts held out by seed {options.Seed} as queries " +
                $"(never stored; timed calls take them in order, {Math.Min(options.Queries, heldOut.Length)} per single-query contender), the other {storedRows.Length:N0} stored."),
            string.Create(Inv, $"Norm spread of the stored vectors: min {norms.Min():F6}, max {norms.Max():F6}, mean {norms.Average():F6} (MiniLM emits unit vectors)."),
        };
        return new WorkloadData(workload, stored, queries, notes);
    }

    private static double Norm(ReadOnlySpan<float> row)
    {
        var sum = 0.0;
        foreach (var x in row)
        {
            sum += (double)x * x;
        }

        return Math.Sqrt(sum);
    }

    private static string Clip(string text) => text.Length <= 90 ? text : text[..87] + "...";
}
