using System.Globalization;
using System.Net;
using System.Text;

namespace VectorShard.Benchmarks;

/// <summary>Everything measured for one workload.</summary>
public sealed record WorkloadResult(
    Workload Workload,
    BandwidthProbe Bandwidth,
    IReadOnlyList<Contender> Contenders,
    IReadOnlyList<string> Notes,
    double Seconds,
    BackToBackResult? BackToBack = null);

/// <summary>Contenders measured one at a time, each call right after the one before (see <see cref="Workload.BackToBack"/>).</summary>
public sealed record BackToBackResult(double CacheResidentGBps, long Bytes, IReadOnlyList<Contender> Contenders)
{
    /// <summary>The lower bound per exact single-threaded query when every vector is read from cache, in seconds.</summary>
    public double BoundSeconds => Bytes / (CacheResidentGBps * 1e9);
}

/// <summary>A workload that did not run, and why (the MiniLM corpus is not cached, say).</summary>
public sealed record SkippedWorkload(Workload Workload, string Reason);

/// <summary>The run as a whole, for the report.</summary>
public sealed record RunResult(
    BenchOptions Options,
    string CommandLine,
    string Machine,
    DateTimeOffset Started,
    double Seconds,
    IReadOnlyList<WorkloadResult> Workloads,
    IReadOnlyList<SkippedWorkload> Skipped,
    IReadOnlyList<IngestResult> Ingest,
    int IngestCount,
    int IngestRepetitions);

/// <summary>The markdown table and the SVG chart.</summary>
public static class Report
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static string Markdown(RunResult run)
    {
        var md = new StringBuilder();
        var o = run.Options;
        md.AppendLine("# VectorShard end-to-end search benchmark").AppendLine();
        md.AppendLine(Inv, $"Mode **{(o.Quick ? "quick" : "full")}** ({string.Join(", ", run.Workloads.Select(w => w.Workload.Name))}" +
            $"{(run.Skipped.Count > 0 ? $"; skipped: {string.Join(", ", run.Skipped.Select(s => s.Workload.Name))}" : "")}), seed {o.Seed}, " +
            $"up to {o.Queries} measured queries per contender (time cap {o.BudgetSeconds:0.#} s each), " +
            $"run {run.Started.UtcDateTime:yyyy-MM-dd HH:mm} UTC, took {Duration(run.Seconds)}.");
        md.AppendLine().AppendLine(Inv, $"Machine: {run.Machine}");
        md.AppendLine().AppendLine(Inv, $"Command: `{run.CommandLine}`").AppendLine();
        md.AppendLine("Every contender runs in this one process on the same vectors (seeded unit vectors; M1: real MiniLM embeddings) and the same queries, taking turns " +
            "query by query, so compare ratios within a run, not milliseconds across runs or machines. Latency is per query on one " +
            "thread after warm-up; batched rows give the batch call's time ÷ batch size. **× bound** = p50 ÷ (bytes of vectors ÷ " +
            "memory bandwidth, single-thread or, for the all-threads row, two-thread): 1.0 would be streaming every vector at memory speed. **vs sqlite-vec** = sqlite-vec's " +
            "p50 ÷ this p50 (above 1 = faster than sqlite-vec); **vs USearch** likewise against the SIMD peer, USearch's exact (brute-force) search " +
            "on one thread. **Recall@k** is against the naive exact answer (a plain float loop), over the measured queries; " +
            "p99 is nearest-rank over the calls, so with fewer than 100 calls it is the slowest one.");

        foreach (var result in run.Workloads)
        {
            var w = result.Workload;
            var bw = result.Bandwidth;
            var vec = result.Contenders.FirstOrDefault(c => c.Name == Contenders.SqliteVec && c.HasNumbers);
            var peer = result.Contenders.FirstOrDefault(c => c.Name == USearchExact.Name && c.HasNumbers);
            md.AppendLine().AppendLine(Inv, $"## {w.Title}").AppendLine();
            md.AppendLine(Inv, $"{w.VectorBytes / 1048576.0:N1} MiB of vectors. Memory bandwidth (fastest SIMD sum over a cache-line-aligned copy of these vectors, each pass from memory, passes taken before and between the contenders' rounds): " +
                $"1 thread {bw.OneThreadGBps:F1} GB/s, 2 threads {bw.TwoThreadsGBps:F1} GB/s → lower bound per exact query " +
                $"**{Ms(bw.BoundSeconds)} ms** (1 thread), {Ms(bw.TwoThreadBoundSeconds)} ms (2 threads). The median of the {bw.Passes} passes: " +
                $"1 thread {bw.MedianOneThreadGBps:F1} GB/s, 2 threads {bw.MedianTwoThreadsGBps:F1} GB/s{MedianRatios(result)}.").AppendLine();
            md.AppendLine(Inv, $"| Contender | Queries | p50 ms | p99 ms | QPS | × bound | vs sqlite-vec | vs USearch | Recall@{w.K} |");
            md.AppendLine("| --- | --: | --: | --: | --: | --: | --: | --: | --: |");
            foreach (var c in result.Contenders)
            {
                if (!c.HasNumbers)
                {
                    md.AppendLine(Inv, $"| {c.Name} | n/a | n/a | n/a | n/a | n/a | n/a | n/a | n/a |");
                    continue;
                }

                md.AppendLine(Inv, $"| {c.Name} | {c.QueriesAnswered}{(c.BatchSize > 1 ? $" ({c.Calls} calls)" : "")} | {Ms(c.Median)} | {Ms(c.P99)} | {c.Qps:N1} | " +
                    $"{c.Median / Bound(bw, c):F2} | {Versus(vec, c)} | {Versus(peer, c)} | " +
                    $"{RecallText(c.Recall, c.Approximate)} |");
            }

            if (result.BackToBack is { } b2b)
            {
                md.AppendLine().AppendLine(Inv, $"Back to back: each of these contenders measured on its own, its calls one right after another, so what it " +
                    $"reads stays in cache (in the rounds above, every other contender and a probe pass over {BandwidthProbe.Sampler.EvictionBytes >> 20} MiB run between two calls). " +
                    $"A steady stream of queries on one shard that fits in cache runs like this; the issue's W1 reference figures were taken " +
                    $"so. Cache-resident bandwidth (fastest of 20 passes one after another over the same copy): {b2b.CacheResidentGBps:F1} GB/s " +
                    $"→ lower bound per exact query **{Ms(b2b.BoundSeconds)} ms**.").AppendLine();
                md.AppendLine(Inv, $"| Contender | Queries | p50 ms | p99 ms | QPS | × cache bound | Recall@{w.K} |");
                md.AppendLine("| --- | --: | --: | --: | --: | --: | --: |");
                foreach (var c in b2b.Contenders.Where(c => c.HasNumbers))
                {
                    md.AppendLine(Inv, $"| {c.Name} | {c.QueriesAnswered} | {Ms(c.Median)} | {Ms(c.P99)} | {c.Qps:N1} | " +
                        $"{c.Median / b2b.BoundSeconds:F2} | {RecallText(c.Recall, c.Approximate)} |");
                }
            }

            md.AppendLine();
            foreach (var c in result.Contenders.Where(c => !c.HasNumbers))
            {
                md.AppendLine(Inv, $"- {c.Name}: n/a — {c.Unavailable}");
            }

            foreach (var note in result.Notes)
            {
                md.AppendLine(Inv, $"- {note}");
            }
        }

        foreach (var skipped in run.Skipped)
        {
            md.AppendLine().AppendLine(Inv, $"## {skipped.Workload.Title}").AppendLine();
            md.AppendLine(Inv, $"Skipped: {skipped.Reason}");
        }

        if (run.Workloads.Count > 1)
        {
            var names = run.Workloads.SelectMany(r => r.Contenders.Select(c => c.Name)).Distinct().ToList();
            md.AppendLine().AppendLine("## Summary: p50 latency (ms) and × bound").AppendLine();
            md.AppendLine("| Workload | memory bound | " + string.Join(" | ", names) + " |");
            md.AppendLine("| --- | --: |" + string.Concat(names.Select(_ => " --: |")));
            foreach (var result in run.Workloads)
            {
                var bound = result.Bandwidth.BoundSeconds;
                md.AppendLine($"| {result.Workload.Name} | {Ms(bound)} | " + string.Join(" | ", names.Select(name =>
                    result.Contenders.FirstOrDefault(c => c.Name == name) is { HasNumbers: true } c
                        ? string.Create(Inv, $"{Ms(c.Median)} ({c.Median / bound:F1}×)") : "n/a")) + " |");
            }
        }

        if (run.Ingest.Count > 0)
        {
            var plain = run.Ingest.FirstOrDefault(i => i.Name.StartsWith("Plain", StringComparison.Ordinal) && i.Rates.Count > 0);
            md.AppendLine().AppendLine(Inv, $"## Ingest: {run.IngestCount:N0} vectors × {IngestBench.Dimension} dims, 10,000 per transaction " +
                $"(median of {run.IngestRepetitions})").AppendLine();
            md.AppendLine("| Writer | vectors/s | MB/s of vectors | vs plain SQLite, same pragmas | How |");
            md.AppendLine("| --- | --: | --: | --: | --- |");
            foreach (var i in run.Ingest)
            {
                if (i.Rates.Count == 0 || i.Unavailable is not null)
                {
                    md.AppendLine(Inv, $"| {i.Name} | n/a | n/a | n/a | {i.Unavailable ?? i.Detail} |");
                    continue;
                }

                var peer = run.Ingest.FirstOrDefault(p => p.Name == i.Peer && p.Rates.Count > 0 && p.Unavailable is null) ?? plain;
                md.AppendLine(Inv, $"| {i.Name} | {i.Median:N0} | {i.Median * IngestBench.Dimension * 4 / 1e6:N0} | " +
                    $"{(peer is null ? "n/a" : (i.Median / peer.Median).ToString("F2", Inv))} | {i.Detail} |");
            }
        }

        md.AppendLine().AppendLine("Chart: [RESULTS.svg](RESULTS.svg) (p50 per contender per workload; dashed line = memory bound).");
        return md.ToString();
    }

    /// <summary>
    /// The ratios as JSON, for bench/Test-PerfRegression.ps1 to compare against a committed baseline:
    /// per workload and contender, p50 ÷ the bandwidth bound measured in the same run, and recall.
    /// </summary>
    public static string Json(RunResult run) => System.Text.Json.JsonSerializer.Serialize(new
    {
        mode = run.Options.Quick ? "quick" : "full",
        started = run.Started,
        machine = run.Machine,
        workloads = run.Workloads.Select(result => new
        {
            name = result.Workload.Name,
            boundMs = result.Bandwidth.BoundSeconds * 1000,
            contenders = result.Contenders.Where(c => c.HasNumbers).Select(c => new
            {
                name = c.Name,
                p50Ms = c.Median * 1000,
                timesBound = c.Median / Bound(result.Bandwidth, c),
                qps = c.Qps,
                recall = c.Recall?.Recall,
                recallAllQueries = c.RecallAllQueries?.Recall,
            }),
            backToBack = result.BackToBack?.Contenders.Where(c => c.HasNumbers).Select(c => new
            {
                name = c.Name,
                p50Ms = c.Median * 1000,
                timesCacheBound = c.Median / result.BackToBack.BoundSeconds,
                qps = c.Qps,
                recall = c.Recall?.Recall,
                recallAllQueries = c.RecallAllQueries?.Recall,
            }),
        }),
        skipped = run.Skipped.Select(s => new { name = s.Workload.Name, reason = s.Reason }),
    }, new System.Text.Json.JsonSerializerOptions { WriteIndented = true });

    // The exact scans' p50 against the median probe pass: like for like, where × bound holds a p50 to the fastest pass.
    private static string MedianRatios(WorkloadResult result)
    {
        var bw = result.Bandwidth;
        var parts = result.Contenders.Where(c => c.HasNumbers && c.Name.StartsWith("VectorShard exact", StringComparison.Ordinal))
            .Select(c => string.Create(Inv, $"{c.Name} {c.Median / (bw.Bytes / ((c.Threads > 1 ? bw.MedianTwoThreadsGBps : bw.MedianOneThreadGBps) * 1e9)):F2}×"))
            .ToList();
        return parts.Count == 0 ? "" : "; against it, p50 for p50: " + string.Join(", ", parts);
    }

    // A contender that may use several threads is held to the bound for that many, and one that scans fewer
    // bytes (a Float16 shard) to the bound for those.
    private static double Bound(BandwidthProbe bandwidth, Contender contender) =>
        (contender.Threads > 1 ? bandwidth.TwoThreadBoundSeconds : bandwidth.BoundSeconds) * contender.BytesFraction;

    // "2.50×": how many times faster than the other contender this one is (p50), or n/a.
    private static string Versus(Contender? other, Contender c) =>
        other is null ? "n/a" : (other.Median / c.Median).ToString("F2", Inv) + "×";

    /// <summary>Horizontal bars of p50 latency, one panel per workload, each on its own scale.</summary>
    public static string Svg(RunResult run)
    {
        const int width = 1080, labelWidth = 290, barArea = 580, rowHeight = 24, panelGap = 18, titleHeight = 26;
        string[] colors = ["#1f77b4", "#4f9fd8", "#8cc3eb", "#d62728", "#2ca02c", "#9467bd"];
        var svg = new StringBuilder();
        var height = 50 + run.Workloads.Sum(r => titleHeight + r.Contenders.Count * rowHeight + panelGap);
        svg.AppendLine(Inv, $"""<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">""");
        svg.AppendLine(Inv, $"""<rect width="{width}" height="{height}" fill="white"/>""");
        svg.AppendLine(Inv, $"""<text x="10" y="22" font-size="16" font-weight="bold">VectorShard search: p50 latency per query (ms, lower is better; {(run.Options.Quick ? "quick" : "full")} run {run.Started.UtcDateTime:yyyy-MM-dd})</text>""");
        var y = 50;
        foreach (var result in run.Workloads)
        {
            var bound = result.Bandwidth.BoundSeconds;
            var max = Math.Max(bound, result.Contenders.Where(c => c.HasNumbers).Select(c => c.Median).DefaultIfEmpty(bound).Max());
            svg.AppendLine(Inv, $"""<text x="10" y="{y + 16}" font-size="14" font-weight="bold">{Esc(result.Workload.Title)}</text>""");
            y += titleHeight;
            var top = y;

            // The bound first, so bars and labels draw over it.
            var bx = labelWidth + bound / max * barArea;
            var bottom = y + result.Contenders.Count * rowHeight;
            svg.AppendLine(Inv, $"""<line x1="{bx:F1}" y1="{top}" x2="{bx:F1}" y2="{bottom}" stroke="#444" stroke-dasharray="4 3"/>""");
            svg.AppendLine(Inv, $"""<text x="{bx + 3:F1}" y="{top - 2}" font-size="10" fill="#444">memory bound {Ms(bound)} ms</text>""");
            for (var i = 0; i < result.Contenders.Count; i++)
            {
                var c = result.Contenders[i];
                svg.AppendLine(Inv, $"""<text x="{labelWidth - 8}" y="{y + 16}" text-anchor="end">{Esc(c.Name)}</text>""");
                if (c.HasNumbers)
                {
                    var length = Math.Max(1, c.Median / max * barArea);
                    svg.AppendLine(Inv, $"""<rect x="{labelWidth}" y="{y + 4}" width="{length:F1}" height="{rowHeight - 8}" fill="{colors[i % colors.Length]}"/>""");
                    svg.AppendLine(Inv, $"""<text x="{labelWidth + length + 6:F1}" y="{y + 16}" paint-order="stroke" stroke="white" stroke-width="3">{Ms(c.Median)} ms ({c.Median / bound:F1}× bound)</text>""");
                }
                else
                {
                    svg.AppendLine(Inv, $"""<text x="{labelWidth + 6}" y="{y + 16}" fill="#888">n/a</text>""");
                }

                y += rowHeight;
            }

            y += panelGap;
        }

        svg.AppendLine("</svg>");
        return svg.ToString();
    }

    /// <summary>Milliseconds with about three significant digits.</summary>
    public static string Ms(double seconds)
    {
        var ms = seconds * 1000;
        return ms.ToString(ms < 1 ? "F3" : ms < 10 ? "F2" : ms < 100 ? "F1" : "F0", Inv);
    }

    public static string Duration(double seconds) =>
        seconds < 60 ? string.Create(Inv, $"{seconds:F0} s") : string.Create(Inv, $"{(int)(seconds / 60)} min {seconds % 60:00} s");

    private static string RecallText(RecallReport? r, bool approximate)
    {
        if (r is null || r.Queries == 0)
        {
            return "n/a";
        }

        var text = r.Recall.ToString("F3", Inv);
        if (r.NearTies > 0)
        {
            text += $" ({r.NearTies} near-tie)";
        }

        // An approximate search may miss neighbours: its recall says how many, and a miss is no error.
        if (r.Misses > 0 && !approximate)
        {
            text += $" **{r.Misses} WRONG**";
        }

        return text;
    }

    private static string Esc(string s) => WebUtility.HtmlEncode(s);
}
