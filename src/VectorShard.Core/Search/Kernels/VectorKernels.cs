using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace VectorShard.Core.Search.Kernels;

/// <summary>
/// Picks the distance kernel for this process. <see cref="Current"/> is chosen once, on first use: the
/// backend named by the environment variable <c>VECTORSHARD_SIMD</c> (Scalar, Sse, Avx2, Avx512 or Neon;
/// case-insensitive) if set, otherwise the best this CPU supports. Kernels are stateless and thread-safe.
/// </summary>
/// <remarks>
/// Hand-written kernel or TensorPrimitives? The project rule is TensorPrimitives unless a benchmark shows a
/// hand-written kernel winning. bench/VectorShard.KernelBenchmarks measured (RESULTS.md: AMD EPYC Zen 5, 2 cores,
/// 2026-11-26, medians of 3 runs; hand-written vs TensorPrimitives at the same vector width):
/// <list type="bullet">
/// <item>Avx512: one 1536-dim dot in L1 50 vs 66 ns; one query over 10,000 × 1536 1.6 vs 2.6 ms (38 vs 23 GB/s:
/// the row loads are aligned), over 100,000 × 384 4.8 vs 7.4 ms; batches of 8 0.43 vs 1.02 ms per query,
/// of 64 0.26 vs 0.82.</item>
/// <item>Avx2: dot 73 vs 87 ns; one query over many rows 1.87 vs 1.74 ms and 4.3 vs 4.0 ms (TensorPrimitives
/// 7 % ahead in that run; other runs ranged 1.5–2.2 ms for both: memory-bound and within the noise of this
/// shared machine); batches of 8 0.49 vs 1.12 ms per query, of 64 0.38 vs 0.98.</item>
/// <item>Sse: dot 111 vs 186 ns; one query 1.6 vs 3.0 ms; batches 2× faster.</item>
/// <item>Scalar: equal within noise (both plain loops).</item>
/// </list>
/// The hand-written kernels win or tie everywhere except that one memory-bound AVX2 case, and win the batched
/// search, which TensorPrimitives cannot register-block, by 2–3×; their squared distance also skips
/// TensorPrimitives.Distance's square root. So <see cref="Current"/> is the hand-written kernel of the chosen
/// backend for every backend, the default included; <see cref="TensorPrimitivesKernel"/> stays for the benchmark
/// and as a cross-check in the tests. (TensorPrimitives could not honour VECTORSHARD_SIMD anyway: it always uses
/// the widest vectors the runtime accelerates.)
/// </remarks>
public static class VectorKernels
{
    /// <summary>The environment variable that forces a backend.</summary>
    public const string EnvironmentVariable = "VECTORSHARD_SIMD";

    // Lazy rather than a static initializer: a bad VECTORSHARD_SIMD then surfaces as the VectorShardException
    // itself (rethrown on every use), not wrapped in a TypeInitializationException.
    private static readonly Lazy<VectorKernel> current =
        new(() => Choose(Environment.GetEnvironmentVariable(EnvironmentVariable)), LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>The kernel for this process (see the class remarks). Throws UnsupportedSimdBackend if VECTORSHARD_SIMD is invalid.</summary>
    public static VectorKernel Current => current.Value;

    /// <summary>Every backend this CPU (and runtime configuration, e.g. DOTNET_EnableAVX512F=0) supports, from Scalar up.</summary>
    public static IReadOnlyList<SimdBackend> Supported { get; } =
        Enum.GetValues<SimdBackend>().Where(IsSupported).ToArray();

    /// <summary>
    /// The widest supported backend: Avx512 only where the runtime also accelerates Vector512 (it declines on
    /// CPUs that slow down on 512-bit work), then Avx2, Neon, Sse, Scalar.
    /// </summary>
    public static SimdBackend Best { get; } =
        IsSupported(SimdBackend.Avx512) && Vector512.IsHardwareAccelerated ? SimdBackend.Avx512
        : IsSupported(SimdBackend.Avx2) ? SimdBackend.Avx2
        : IsSupported(SimdBackend.Neon) ? SimdBackend.Neon
        : IsSupported(SimdBackend.Sse) ? SimdBackend.Sse
        : SimdBackend.Scalar;

    /// <summary>Whether this CPU can run <paramref name="backend"/>.</summary>
    public static bool IsSupported(SimdBackend backend) => backend switch
    {
        SimdBackend.Scalar => true,
        SimdBackend.Sse => Sse.IsSupported,
        SimdBackend.Avx2 => Avx2.IsSupported && Fma.IsSupported,
        SimdBackend.Avx512 => Avx512F.IsSupported,
        SimdBackend.Neon => AdvSimd.Arm64.IsSupported,
        _ => false,
    };

    /// <summary>The hand-written kernel of <paramref name="backend"/>; throws UnsupportedSimdBackend if this CPU lacks it.</summary>
    public static VectorKernel For(SimdBackend backend)
    {
        if (!IsSupported(backend))
        {
            throw ShardErrors.UnsupportedSimdBackend(backend.ToString(), Supported);
        }

        return backend switch
        {
            SimdBackend.Scalar => ScalarKernel.Instance,
            SimdBackend.Sse => SseKernel.Instance,
            SimdBackend.Avx2 => Avx2Kernel.Instance,
            SimdBackend.Avx512 => Avx512Kernel.Instance,
            SimdBackend.Neon => NeonKernel.Instance,
            _ => throw ShardErrors.UnsupportedSimdBackend(backend.ToString(), Supported),
        };
    }

    /// <summary>
    /// The selection behind <see cref="Current"/>, for a given value of VECTORSHARD_SIMD: null, empty or blank
    /// means the best supported; otherwise a backend name (case-insensitive, surrounding blanks ignored; numbers
    /// are not accepted). Throws UnsupportedSimdBackend for an unknown name or a backend this CPU lacks.
    /// </summary>
    public static VectorKernel Choose(string? requested)
    {
        if (string.IsNullOrWhiteSpace(requested))
        {
            return For(Best);
        }

        var name = requested.Trim();
        foreach (var backend in Enum.GetValues<SimdBackend>())
        {
            if (string.Equals(backend.ToString(), name, StringComparison.OrdinalIgnoreCase))
            {
                return IsSupported(backend) ? For(backend) : throw ShardErrors.UnsupportedSimdBackend(requested, Supported);
            }
        }

        throw ShardErrors.UnsupportedSimdBackend(requested, Supported);
    }
}
