using System.Diagnostics;
using System.Numerics.Tensors;

namespace VectorShard.Benchmarks;

/// <summary>
/// How fast this machine streams a buffer of the workload's size from memory: a SIMD sum over the stored
/// vectors themselves, on one thread and on two. An exact query must read every stored vector once, so
/// bytes ÷ single-thread bandwidth is a lower bound on a single-threaded exact query's latency.
/// </summary>
public sealed record BandwidthProbe(long Bytes, double OneThreadGBps, double TwoThreadsGBps)
{
    /// <summary>The lower bound per exact single-threaded query, in seconds.</summary>
    public double BoundSeconds => Bytes / (OneThreadGBps * 1e9);

    /// <summary>The same bound with both cores streaming.</summary>
    public double TwoThreadBoundSeconds => Bytes / (TwoThreadsGBps * 1e9);

    /// <summary>Best of several passes (the bound should be the machine's best, not a noisy pass).</summary>
    public static BandwidthProbe Measure(float[] buffer, int passes)
    {
        var bytes = (long)buffer.Length * sizeof(float);
        var sink = 0f;
        sink += TensorPrimitives.Sum(buffer.AsSpan()); // touch every page once before timing

        var one = double.MaxValue;
        for (var p = 0; p < passes; p++)
        {
            var t = Stopwatch.GetTimestamp();
            sink += TensorPrimitives.Sum(buffer.AsSpan());
            one = Math.Min(one, Stopwatch.GetElapsedTime(t).TotalSeconds);
        }

        var half = buffer.Length / 2;
        var sums = new float[2];
        using var start = new Barrier(2);
        var two = double.MaxValue;
        for (var p = 0; p < passes; p++)
        {
            var worker = new Thread(() =>
            {
                start.SignalAndWait();
                sums[1] = TensorPrimitives.Sum(buffer.AsSpan(half));
            });
            worker.Start();
            start.SignalAndWait();
            var t = Stopwatch.GetTimestamp();
            sums[0] = TensorPrimitives.Sum(buffer.AsSpan(0, half));
            worker.Join();
            two = Math.Min(two, Stopwatch.GetElapsedTime(t).TotalSeconds);
            sink += sums[0] + sums[1];
        }

        GC.KeepAlive(sink);
        return new BandwidthProbe(bytes, bytes / one / 1e9, bytes / two / 1e9);
    }
}
