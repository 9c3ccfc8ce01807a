using System.Diagnostics;
using System.Numerics.Tensors;
using VectorShard.Core.Search;

namespace VectorShard.Benchmarks;

/// <summary>
/// How fast this machine streams a buffer of the workload's size from memory: a SIMD sum over the stored
/// vectors themselves, on one thread and on two. An exact query must read every stored vector once, so
/// bytes ÷ single-thread bandwidth is a lower bound on a single-threaded exact query's latency. Each pass
/// starts from memory, as every contender's query does (the others' turns evict its data between them).
/// </summary>
/// <param name="Bytes">The bytes streamed per pass.</param>
/// <param name="OneThreadGBps">The fastest single-thread pass: what sets the bound.</param>
/// <param name="TwoThreadsGBps">The fastest two-thread pass.</param>
/// <param name="MedianOneThreadGBps">The median single-thread pass, to read p50 latencies against like for like.</param>
/// <param name="MedianTwoThreadsGBps">The median two-thread pass.</param>
/// <param name="Passes">How many passes of each were taken.</param>
public sealed record BandwidthProbe(long Bytes, double OneThreadGBps, double TwoThreadsGBps,
    double MedianOneThreadGBps, double MedianTwoThreadsGBps, int Passes)
{
    /// <summary>The lower bound per exact single-threaded query, in seconds.</summary>
    public double BoundSeconds => Bytes / (OneThreadGBps * 1e9);

    /// <summary>The same bound with both cores streaming.</summary>
    public double TwoThreadBoundSeconds => Bytes / (TwoThreadsGBps * 1e9);

    /// <summary>
    /// Probe passes taken at intervals during a workload's measurement (between the contenders' rounds), keeping
    /// the fastest: a noisy phase at any one moment, such as a neighbour on the host streaming memory just when
    /// the probe ran, no longer sets the bound for the whole workload.
    /// </summary>
    public sealed class Sampler
    {
        private readonly Memory<float> _buffer;
        private readonly float[] _eviction = new float[EvictionBytes / sizeof(float)];
        private readonly long _bytes;
        private readonly List<double> _one = [];
        private readonly List<double> _two = [];
        private float _sink;

        /// <summary>
        /// Probes a copy of <paramref name="vectors"/> held as the shard's image holds its rows (<see cref="PinnedArena{T}"/>):
        /// from a cache-line boundary (a float[] starts 16 bytes past one, and then every 64-byte load straddles two lines,
        /// which measured 20–30% slower streaming from memory) and on huge pages where Linux offers them (fewer TLB misses).
        /// The bound is the fastest this machine streams the bytes, so it is measured on memory like that.
        /// </summary>
        public Sampler(float[] vectors)
        {
            _buffer = AlignedCopy(vectors);
            _bytes = (long)vectors.Length * sizeof(float);
            _sink += TensorPrimitives.Sum(_buffer.Span); // touch every page once before timing
        }

        private static Memory<float> AlignedCopy(float[] source)
        {
            // Memory like the image's: pinned, cache-line aligned, on huge pages where the OS offers them.
            var copy = new PinnedArena<float>().Allocate(source.Length);
            source.CopyTo(copy);
            return copy;
        }

        /// <summary>The fastest passes so far, as bandwidths, with the median ones beside them.</summary>
        public BandwidthProbe Best => new(_bytes, GBps(_one.Min()), GBps(_two.Min()), GBps(Median(_one)), GBps(Median(_two)), _one.Count);

        private double GBps(double seconds) => _bytes / seconds / 1e9;

        private static double Median(List<double> seconds) => seconds.Order().ElementAt(seconds.Count / 2);

        /// <summary>One timed pass on one thread and one on two.</summary>
        public void Sample()
        {
            Evict();
            var t = Stopwatch.GetTimestamp();
            _sink += TensorPrimitives.Sum(_buffer.Span);
            _one.Add(Stopwatch.GetElapsedTime(t).TotalSeconds);

            var half = _buffer.Length / 2;
            var sums = new float[2];
            using var start = new Barrier(2);
            var worker = new Thread(() =>
            {
                start.SignalAndWait();
                sums[1] = TensorPrimitives.Sum(_buffer.Span[half..]);
            });
            worker.Start();
            Evict();
            start.SignalAndWait();
            t = Stopwatch.GetTimestamp();
            sums[0] = TensorPrimitives.Sum(_buffer.Span[..half]);
            worker.Join();
            _two.Add(Stopwatch.GetElapsedTime(t).TotalSeconds);
            _sink += sums[0] + sums[1];
            GC.KeepAlive(_sink);
        }

        /// <summary>
        /// The fastest of <paramref name="passes"/> single-thread passes taken one after another, without eviction: the
        /// bandwidth for data the last pass left in cache (W1's 58.6 MiB fit in this machine's L3), in GB/s.
        /// </summary>
        public double CacheResidentGBps(int passes = 20)
        {
            var fastest = double.MaxValue;
            for (var p = 0; p < passes; p++)
            {
                var t = Stopwatch.GetTimestamp();
                _sink += TensorPrimitives.Sum(_buffer.Span);
                fastest = Math.Min(fastest, Stopwatch.GetElapsedTime(t).TotalSeconds);
            }

            GC.KeepAlive(_sink);
            return GBps(fastest);
        }

        private void Evict() => _sink += TensorPrimitives.Sum(_eviction);

        /// <summary>
        /// The size of the buffer read before each timed pass, so that the probe's buffer is not left in the CPU cache by
        /// the pass before (W1's 58.6 MiB read 40.7 GB/s just after a pass, 27.8 from memory): twice the last-level cache
        /// where Linux tells its size, at least 256 MiB. The Xeon VM's L3 is 260 MiB, and with 256 MiB read between passes
        /// one W1 pass in 80 still found part of its buffer there (24.3 GB/s against a median of 15.9).
        /// </summary>
        public static int EvictionBytes { get; } = Math.Max(256 << 20, (int)Math.Min(1L << 30, 2 * LastLevelCacheBytes()));

        // sysfs gives each cache level's size (e.g. "266240K"); 0 where it cannot be read (Windows, macOS).
        private static long LastLevelCacheBytes()
        {
            var largest = 0L;
            foreach (var file in Directory.Exists("/sys/devices/system/cpu/cpu0/cache")
                ? Directory.GetFiles("/sys/devices/system/cpu/cpu0/cache", "size", SearchOption.AllDirectories) : [])
            {
                var text = File.ReadAllText(file).Trim();
                var unit = text.EndsWith('K') ? 1L << 10 : text.EndsWith('M') ? 1L << 20 : 1L;
                if (long.TryParse(text.TrimEnd('K', 'M'), out var size))
                {
                    largest = Math.Max(largest, size * unit);
                }
            }

            return largest;
        }
    }
}
