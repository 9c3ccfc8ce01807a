using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using VectorShard;
using VectorShard.Core.Search.Kernels;

// Kernel micro-benchmark: the hand-written kernels against TensorPrimitives, per backend.
//
//   dotnet run -c Release --project bench/VectorShard.KernelBenchmarks [-- --repeat 3] [--backends Avx512,Avx2] [--quick]
//
// The parent process starts one child per backend (and per repeat), each with the runtime's ISA switches set so
// that TensorPrimitives, which picks its own instruction set, runs at the width of the hand-written kernel it is
// compared with:  Avx512: none   Avx2: DOTNET_EnableAVX512=0   Sse: DOTNET_EnableAVX=0   Scalar: DOTNET_EnableHWIntrinsic=0.
// Within a child, each figure is the median of timed calls after a warm-up, with the two kernels (and, for the
// batches, all batch sizes) timed alternately so that load from other processes hits them alike. With --repeat N
// the table shows, per cell, the median over the N children.
var culture = CultureInfo.InvariantCulture;
CultureInfo.DefaultThreadCurrentCulture = culture;
CultureInfo.CurrentCulture = culture;

var quick = args.Contains("--quick");
var childIndex = Array.IndexOf(args, "--child");
if (childIndex >= 0)
{
    return Child.Run(Enum.Parse<SimdBackend>(args[childIndex + 1]), quick);
}

var backendsIndex = Array.IndexOf(args, "--backends");
var backends = backendsIndex >= 0
    ? args[backendsIndex + 1].Split(',').Select(Enum.Parse<SimdBackend>).ToArray()
    : [SimdBackend.Avx512, SimdBackend.Avx2, SimdBackend.Sse, SimdBackend.Scalar];
var repeatIndex = Array.IndexOf(args, "--repeat");
var repeats = repeatIndex >= 0 ? int.Parse(args[repeatIndex + 1], culture) : 1;

Console.WriteLine($"VectorShard kernel benchmark, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC; {repeats} run(s) per backend");
Console.WriteLine($"{RuntimeInformation.OSDescription}, {RuntimeInformation.FrameworkDescription}, {Environment.ProcessorCount} cores, " +
    $"{RuntimeInformation.ProcessArchitecture}; load average before: {LoadAverage()}");
Console.WriteLine($"VectorKernels.Best = {VectorKernels.Best}; supported: {string.Join(", ", VectorKernels.Supported)}; " +
    $"VectorKernels.Current = {VectorKernels.Current.GetType().Name} ({VectorKernels.Current.Backend})");

var total = Stopwatch.StartNew();
var failed = false;
var samples = new Dictionary<(SimdBackend Backend, string Kernel), List<Child.Figures>>();
var widths = new Dictionary<SimdBackend, string>();
for (var run = 0; run < repeats; run++)
{
    foreach (var backend in backends)
    {
        var start = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardOutput = true, UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(Environment.ProcessPath!) == "dotnet")
        {
            start.ArgumentList.Add(Assembly.GetEntryAssembly()!.Location);
        }

        start.ArgumentList.Add("--child");
        start.ArgumentList.Add(backend.ToString());
        if (quick)
        {
            start.ArgumentList.Add("--quick");
        }

        start.Environment.Remove(VectorKernels.EnvironmentVariable);
        switch (backend)
        {
            case SimdBackend.Avx2:
                start.Environment["DOTNET_EnableAVX512"] = "0";
                start.Environment["DOTNET_EnableAVX512F"] = "0"; // the .NET 8/9 name of the same switch
                break;
            case SimdBackend.Sse:
                start.Environment["DOTNET_EnableAVX"] = "0";
                break;
            case SimdBackend.Scalar:
                start.Environment["DOTNET_EnableHWIntrinsic"] = "0";
                break;
        }

        using var child = Process.Start(start)!;
        string? line;
        while ((line = child.StandardOutput.ReadLine()) is not null)
        {
            if (Child.Figures.TryParse(line, out var kernel, out var width, out var figures))
            {
                widths[backend] = width;
                if (!samples.TryGetValue((backend, kernel), out var list))
                {
                    samples[(backend, kernel)] = list = [];
                }

                list.Add(figures);
            }
            else
            {
                Console.WriteLine(line);
            }
        }

        child.WaitForExit();
        failed |= child.ExitCode != 0;
    }
}

Console.WriteLine();
Console.WriteLine("| Backend | Kernel | TP width | Dot 1536, L1 (ns) | DotRows 10k×1536 ms (GB/s) | DotRows 100k×384 ms (GB/s) | " +
    "SqDistRows 10k×1536 ms | Many b1 ms/q | Many b8 ms/q (×b1) | Many b64 ms/q (×b1) | SqDistMany b8 ms/q | DotBlocks 100k×384 ms (GB/s) |");
Console.WriteLine("|---|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|");
foreach (var ((backend, kernel), list) in samples)
{
    double M(Func<Child.Figures, double> field)
    {
        var values = list.Select(field).Order().ToArray();
        return values.Length % 2 == 1 ? values[values.Length / 2] : (values[values.Length / 2 - 1] + values[values.Length / 2]) / 2;
    }

    static string Ms(double seconds) => (seconds * 1e3).ToString(seconds * 1e3 < 10 ? "F3" : "F1", CultureInfo.InvariantCulture);
    static string GBs(double seconds, double floats) => (floats * 4 / seconds / 1e9).ToString("F1", CultureInfo.InvariantCulture);
    Console.WriteLine(
        $"| {backend} | {kernel} | {widths[backend]} | {M(f => f.DotNs):F1} | {Ms(M(f => f.RowsBig))} ({GBs(M(f => f.RowsBig), Child.BigFloats)}) | " +
        $"{Ms(M(f => f.RowsWide))} ({GBs(M(f => f.RowsWide), Child.WideFloats)}) | {Ms(M(f => f.SqRows))} | {Ms(M(f => f.Many1))} | " +
        $"{Ms(M(f => f.Many8))} ({M(f => f.Many1 / f.Many8):F1}×) | {Ms(M(f => f.Many64))} ({M(f => f.Many1 / f.Many64):F1}×) | {Ms(M(f => f.SqMany8))} | " +
        $"{Ms(M(f => f.BlocksWide))} ({GBs(M(f => f.BlocksWide), Child.WideFloats)}) |");
}

Console.WriteLine();
Console.WriteLine($"Total {total.Elapsed.TotalSeconds:F0} s; load average after: {LoadAverage()}");
return failed ? 1 : 0;

static string LoadAverage() =>
    File.Exists("/proc/loadavg") ? string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";

internal static class Child
{
    public const int BigFloats = 10_000 * 1536;

    public const int WideFloats = 100_000 * 384;

    /// <summary>One child's figures for one kernel: seconds per call (per query for the batches), ns for the dot.</summary>
    public sealed record Figures(double DotNs, double RowsBig, double RowsWide, double SqRows, double Many1, double Many8, double Many64, double SqMany8,
        double BlocksWide)
    {
        private const string Prefix = "FIGURES|";

        public string Format(string kernel, string width) =>
            Prefix + string.Join('|', new[] { kernel, width }.Concat(
                new[] { DotNs, RowsBig, RowsWide, SqRows, Many1, Many8, Many64, SqMany8, BlocksWide }.Select(v => v.ToString("R", CultureInfo.InvariantCulture))));

        public static bool TryParse(string line, out string kernel, out string width, out Figures figures)
        {
            kernel = width = "";
            figures = null!;
            if (!line.StartsWith(Prefix, StringComparison.Ordinal))
            {
                return false;
            }

            var parts = line[Prefix.Length..].Split('|');
            var v = parts[2..].Select(p => double.Parse(p, CultureInfo.InvariantCulture)).ToArray();
            (kernel, width, figures) = (parts[0], parts[1], new Figures(v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8]));
            return true;
        }
    }

    public static int Run(SimdBackend backend, bool quick)
    {
        if (!VectorKernels.IsSupported(backend))
        {
            Console.WriteLine($"{backend}: not supported here, skipped.");
            return 0;
        }

        var width = Vector512.IsHardwareAccelerated ? "512" : Vector256.IsHardwareAccelerated ? "256" : Vector128.IsHardwareAccelerated ? "128" : "scalar";
        var random = new Random(42);
        var big = Data(random, BigFloats);
        var wide = Data(random, WideFloats);
        var queries = Data(random, 64 * 1536);
        var results = new float[64 * 10_000];
        var l1Row = Data(random, 1536);
        var l1Query = Data(random, 1536);
        var one = new float[1];

        VectorKernel[] kernels = [VectorKernels.For(backend), TensorPrimitivesKernel.Instance];
        var budget = quick ? 0.2 : 0.5;

        // (1) One 1536-dim dot product, both vectors in L1: a loop of 1,000 calls per sample.
        var dotNs = Pair(kernels, kernel => () =>
        {
            for (var r = 0; r < 1000; r++)
            {
                kernel.DotRows(l1Query, l1Row, 1536, one);
            }
        }, budget).Select(t => t * 1e9 / 1000).ToArray();

        // (2) One query over many rows (streams from memory).
        var rowsBig = Pair(kernels, kernel => () => kernel.DotRows(queries.AsSpan(0, 1536), big, 1536, results), budget);
        var rowsWide = Pair(kernels, kernel => () => kernel.DotRows(queries.AsSpan(0, 384), wide, 384, results.AsSpan(0, 100_000)), budget);
        var sqRows = Pair(kernels, kernel => () => kernel.SquaredDistanceRows(queries.AsSpan(0, 1536), big, 1536, results), budget);

        // (3) Batches of queries over 10,000 × 1536, per query. All three batch sizes of both kernels are timed
        // in one interleaved round, so that the speed-ups against batch 1 compare like with like.
        int[] batches = [1, 8, 64];
        var manyTimes = Interleaved(
            batches.SelectMany(batch => kernels.Select(kernel => (Action)(() =>
                kernel.DotRowsMany(queries.AsSpan(0, batch * 1536), batch, big, 1536, results)))).ToArray(),
            budget * 3);
        double Many(int b, int k) => manyTimes[b * kernels.Length + k] / batches[b];

        var sqMany = Pair(kernels, kernel => () => kernel.SquaredDistanceRowsMany(queries.AsSpan(0, 8 * 1536), 8, big, 1536, results), budget);

        // (4) One query over the 100,000 × 384 rows block-transposed (BlockLayout), as the search image keeps them: in
        // a pinned array from a 64-byte boundary, as the image's chunks are. (TensorPrimitives has no such kernel; its
        // column gathers each row and scores it pair by pair.)
        var blocks = AlignedBlocks(wide, 384);
        var blocksWide = Pair(kernels, kernel => () => kernel.DotBlocks(queries.AsSpan(0, 384), 1, blocks.Span, 384, results.AsSpan(0, 100_000)), budget);

        for (var k = 0; k < kernels.Length; k++)
        {
            var figures = new Figures(dotNs[k], rowsBig[k], rowsWide[k], sqRows[k], Many(0, k), Many(1, k), Many(2, k), sqMany[k] / 8, blocksWide[k]);
            Console.WriteLine(figures.Format(k == 0 ? "hand-written" : "TensorPrimitives", width));
        }

        return 0;
    }

    private static float[] Data(Random random, int length)
    {
        var data = new float[length];
        for (var i = 0; i < data.Length; i++)
        {
            data[i] = random.NextSingle() * 2 - 1;
        }

        return data;
    }

    private static Memory<float> AlignedBlocks(float[] rows, int dimension)
    {
        // Pinned, so the address read once stays valid.
        var array = GC.AllocateUninitializedArray<float>(rows.Length + 16, pinned: true);
        var handle = GCHandle.Alloc(array, GCHandleType.Pinned);
        var skip = (int)((64 - handle.AddrOfPinnedObject() % 64) % 64 / sizeof(float));
        handle.Free();

        var blocks = array.AsMemory(skip, rows.Length);
        for (var i = 0; i < rows.Length / dimension; i++)
        {
            BlockLayout.Write(rows.AsSpan(i * dimension, dimension), blocks.Span, i);
        }

        return blocks;
    }

    /// <summary>The same measurement for each kernel, interleaved.</summary>
    private static double[] Pair(VectorKernel[] kernels, Func<VectorKernel, Action> bind, double budget) =>
        Interleaved(kernels.Select(bind).ToArray(), budget);

    /// <summary>
    /// Median seconds per call of each action: warm up (so tiered compilation has produced optimized code), then
    /// time the actions in turn until <paramref name="budget"/> seconds have passed, at least 5 and at most 201
    /// rounds.
    /// </summary>
    private static double[] Interleaved(Action[] actions, double budget)
    {
        // Warm up for a fixed time, not a fixed count: tiered compilation waits ~100 ms after the last
        // tier-0 activity before it compiles the optimized code, and short calls must not be timed before that.
        var warm = Stopwatch.StartNew();
        for (var i = 0; i < 2 || warm.Elapsed.TotalSeconds < 0.3; i++)
        {
            foreach (var action in actions)
            {
                action();
            }
        }

        var times = actions.Select(_ => new List<double>()).ToArray();
        var total = Stopwatch.StartNew();
        while (times[0].Count < 5 || (total.Elapsed.TotalSeconds < budget && times[0].Count < 201))
        {
            for (var k = 0; k < actions.Length; k++)
            {
                var watch = Stopwatch.StartNew();
                actions[k]();
                times[k].Add(watch.Elapsed.TotalSeconds);
            }
        }

        return times.Select(list =>
        {
            list.Sort();
            return list[list.Count / 2];
        }).ToArray();
    }
}
