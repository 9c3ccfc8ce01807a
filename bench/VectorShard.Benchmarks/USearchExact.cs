using System.Runtime.InteropServices;
using Cloud.Unum.USearch;

namespace VectorShard.Benchmarks;

/// <summary>
/// The SIMD peer: USearch's brute-force exact search (<c>usearch_exact_search</c> of its C library, whose
/// distance kernels are NumKong's, chosen for the CPU at run time) over the workload's vectors in memory, one
/// thread. sqlite-vec's prebuilt binary has no SIMD; this shows what a SIMD scan outside SQLite does on the
/// same data. The NuGet package Cloud.Unum.USearch ships the native library (linux-x64, win-x64,
/// osx-arm64); its C# API has only the HNSW index, so the exact search is called directly.
/// </summary>
public sealed class USearchExact : IDisposable
{
    public const string PackageVersion = "2.26.6";

    public const string Name = "USearch " + PackageVersion + " exact (SIMD)";

    private const string Library = "libusearch_c";
    private const int ScalarFloat32 = 1; // usearch_scalar_f32_k

    private readonly GCHandle _data;
    private readonly int _dimension;
    private readonly int _rows;
    private readonly int _metric;

    private USearchExact(float[] data, int dimension, DistanceMetric metric)
    {
        _dimension = dimension;
        _rows = data.Length / dimension;
        _metric = metric switch
        {
            DistanceMetric.L2 => 3, // usearch_metric_l2sq_k
            DistanceMetric.Cosine => 1, // usearch_metric_cos_k
            _ => 2, // usearch_metric_ip_k: 1 − dot, the same order as −dot
        };
        _data = GCHandle.Alloc(data, GCHandleType.Pinned);
    }

    /// <summary>Whether the native library loads here, with its version and the SIMD it uses, or why not.</summary>
    public static bool Probe(out string description)
    {
        try
        {
            description = $"USearch {USearchCapabilities.Version()} (NumKong SIMD targets available: {USearchCapabilities.HardwareAccelerationAvailable()})";
            return true;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or BadImageFormatException)
        {
            description = $"the native USearch library did not load on {RuntimeInformation.RuntimeIdentifier}: {e.Message}";
            return false;
        }
    }

    /// <summary>A peer over <paramref name="data"/> (pinned while the peer lives; rows are ids 1..n).</summary>
    public static USearchExact Over(float[] data, int dimension, DistanceMetric metric) => new(data, dimension, metric);

    /// <summary>The k nearest ids (row + 1) of one query, computed on one thread.</summary>
    public long[] Search(float[] query, int k)
    {
        if (query.Length != _dimension)
        {
            throw new ArgumentException($"query has {query.Length} dimensions, not {_dimension}");
        }

        var count = Math.Min(k, _rows);
        var keys = new ulong[count];
        var distances = new float[count];
        var stride = (nuint)(_dimension * sizeof(float));
        ExactSearch(_data.AddrOfPinnedObject(), (nuint)_rows, stride, query, 1, stride, ScalarFloat32, (nuint)_dimension, _metric,
            (nuint)count, threads: 1, keys, (nuint)(count * sizeof(ulong)), distances, (nuint)(count * sizeof(float)), out var error);
        if (error != IntPtr.Zero)
        {
            throw new InvalidOperationException($"usearch_exact_search: {Marshal.PtrToStringUTF8(error)}");
        }

        // Keys are row offsets into the dataset; the stores' ids are row + 1.
        return keys.Select(key => (long)key + 1).ToArray();
    }

    /// <summary>The peer as a contender; n/a with the reason when the library is not available.</summary>
    public static Contender Contender(USearchExact? peer, int k, string? unavailable) =>
        peer is null
            ? new Contender(Name, 1, null, unavailable)
            : new Contender(Name, 1, queries => [peer.Search(queries[0], k)], null);

    public void Dispose()
    {
        if (_data.IsAllocated)
        {
            _data.Free();
        }
    }

    // void usearch_exact_search(dataset, dataset_size, dataset_stride, queries, queries_size, queries_stride,
    //     scalar_kind, dimensions, metric_kind, count, threads, keys, keys_stride, distances, distances_stride, error)
    [DllImport(Library, EntryPoint = "usearch_exact_search", CallingConvention = CallingConvention.Cdecl)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.AssemblyDirectory | DllImportSearchPath.SafeDirectories)]
    private static extern void ExactSearch(IntPtr dataset, nuint datasetSize, nuint datasetStride,
        float[] queries, nuint queriesSize, nuint queriesStride, int scalarKind, nuint dimensions, int metricKind,
        nuint count, nuint threads, [Out] ulong[] keys, nuint keysStride, [Out] float[] distances, nuint distancesStride, out IntPtr error);
}
