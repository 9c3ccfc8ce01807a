using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace VectorShard.Core.Search.Kernels;

/// <summary>
/// Picks the distance kernel for this process. <see cref="Current"/> is chosen once, on first use: the
/// backend named by the environment variable <c>VECTORSHARD_SIMD</c> (Scalar, Sse, Avx2, Avx512 or Neon;
/// case-insensitive) if set, otherwise the best this CPU supports. Kernels are stateless and thread-safe.
/// </summary>
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
