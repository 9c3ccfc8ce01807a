using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using VectorShard;
using VectorShard.Core.Search.Kernels;

// Kernel micro-benchmark. The parent process starts one child per backend, each with the runtime's ISA switches
// set so that TensorPrimitives (which picks its own instruction set) runs at the same width as the hand-written
// kernel it is compared with:
//   Avx512: no switches   Avx2: DOTNET_EnableAVX512=0   Sse: DOTNET_EnableAVX=0   Scalar: DOTNET_EnableHWIntrinsic=0
// Every figure is the median of repeated timed calls after a warm-up.
//   dotnet run -c Release --project bench/VectorShard.KernelBenchmarks [-- --backends Avx512,Avx2] [--quick]
var culture = CultureInfo.InvariantCulture;
CultureInfo.DefaultThreadCurrentCulture = culture;
CultureInfo.CurrentCulture = culture;

var childIndex = Array.IndexOf(args, "--child");
var quick = args.Contains("--quick");
if (childIndex >= 0)
{
    return Child.Run(Enum.Parse<SimdBackend>(args[childIndex + 1]), quick);
}

var backendsIndex = Array.IndexOf(args, "--backends");
var backends = backendsIndex >= 0
    ? args[backendsIndex + 1].Split(',').Select(Enum.Parse<SimdBackend>).ToArray()
    : [SimdBackend.Avx512, SimdBackend.Avx2, SimdBackend.Sse, SimdBackend.Scalar];

Console.WriteLine($"VectorShard kernel benchmark, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
Console.WriteLine($"{RuntimeInformation.OSDescription}, {RuntimeInformation.FrameworkDescription}, {Environment.ProcessorCount} cores, " +
    $"{RuntimeInformation.ProcessArchitecture}; load average before: {LoadAverage()}");
Console.WriteLine($"VectorKernels.Best = {VectorKernels.Best}; supported: {string.Join(", ", VectorKernels.Supported)}; " +
    $"VectorKernels.Current = {VectorKernels.Current.GetType().Name} ({VectorKernels.Current.Backend})");
Console.WriteLine();
Console.WriteLine(Child.Header);
Console.WriteLine(Child.Rule);

var total = Stopwatch.StartNew();
var failed = false;
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
        Console.WriteLine(line);
    }

    child.WaitForExit();
    failed |= child.ExitCode != 0;
}

Console.WriteLine();
Console.WriteLine($"Total {total.Elapsed.TotalSeconds:F0} s; load average after: {LoadAverage()}");
return failed ? 1 : 0;

static string LoadAverage() =>
    File.Exists("/proc/loadavg") ? string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";

internal static class Child
{
    public const string Header =
        "| Backend | Kernel | TP width | Dot 1536, L1 (ns) | DotRows 10k×1536 ms (GB/s) | DotRows 100k×384 ms (GB/s) | SqDistRows 10k×1536 ms | " +
        "Many b1 ms/q | Many b8 ms/q (×b1) | Many b64 ms/q (×b1) | SqDistMany b8 ms/q |";

    public const string Rule = "|---|---|---|--:|--:|--:|--:|--:|--:|--:|--:|";

    public static int Run(SimdBackend backend, bool quick)
    {
        if (!VectorKernels.IsSupported(backend))
        {
            Console.WriteLine($"| {backend} | (not supported here) | | | | | | | | | |");
            return 0;
        }

        var tpWidth = Vector512.IsHardwareAccelerated ? "512" : Vector256.IsHardwareAccelerated ? "256" : Vector128.IsHardwareAccelerated ? "128" : "scalar";
        var random = new Random(42);
        var big = Data(random, 10_000 * 1536);
        var wide = Data(random, 100_000 * 384);
        var queries = Data(random, 64 * 1536);
        var results = new float[64 * 10_000];
        var l1Row = Data(random, 1536);
        var l1Query = Data(random, 1536);
        var one = new float[1];

        VectorKernel[] kernels = [VectorKernels.For(backend), TensorPrimitivesKernel.Instance];
        var budget = quick ? 0.2 : 0.5;

        // Each figure times both kernels alternately (hand-written, TensorPrimitives, hand-written, ...), so that
        // drifting load from other processes on this shared machine hits both alike.
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

        // (3) Batches of queries over 10,000 × 1536; per query.
        var many = new Dictionary<int, double[]>();
        foreach (var batch in (int[])[1, 8, 64])
        {
            many[batch] = Pair(kernels, kernel => () => kernel.DotRowsMany(queries.AsSpan(0, batch * 1536), batch, big, 1536, results), budget)
                .Select(t => t / batch).ToArray();
        }

        var sqMany = Pair(kernels, kernel => () => kernel.SquaredDistanceRowsMany(queries.AsSpan(0, 8 * 1536), 8, big, 1536, results), budget)
            .Select(t => t / 8).ToArray();

        static string Ms(double seconds) => (seconds * 1e3).ToString(seconds * 1e3 < 10 ? "F3" : "F1", CultureInfo.InvariantCulture);
        static string GBs(double seconds, int floats) => (floats * 4.0 / seconds / 1e9).ToString("F1", CultureInfo.InvariantCulture);
        for (var k = 0; k < kernels.Length; k++)
        {
            var name = k == 0 ? "hand-written" : "TensorPrimitives";
            Console.WriteLine(
                $"| {backend} | {name} | {tpWidth} | {dotNs[k]:F1} | {Ms(rowsBig[k])} ({GBs(rowsBig[k], big.Length)}) | {Ms(rowsWide[k])} ({GBs(rowsWide[k], wide.Length)}) | " +
                $"{Ms(sqRows[k])} | {Ms(many[1][k])} | {Ms(many[8][k])} ({many[1][k] / many[8][k]:F1}×) | {Ms(many[64][k])} ({many[1][k] / many[64][k]:F1}×) | {Ms(sqMany[k])} |");
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

    /// <summary>
    /// Median seconds per call of each kernel's action: warm up (so tiered compilation has produced optimized
    /// code), then time the kernels in turn until <paramref name="budget"/> seconds have passed, at least 5 and at
    /// most 201 samples each.
    /// </summary>
    private static double[] Pair(VectorKernel[] kernels, Func<VectorKernel, Action> bind, double budget)
    {
        var actions = kernels.Select(bind).ToArray();

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
