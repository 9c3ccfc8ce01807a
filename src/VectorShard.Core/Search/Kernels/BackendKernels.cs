using System.Runtime.Intrinsics;

namespace VectorShard.Core.Search.Kernels;

/// <summary>128-bit SSE: separate multiply and add. Only <see cref="VectorKernels.For"/> hands it out, after checking the CPU.</summary>
internal sealed class SseKernel : SimdKernel<Sse128Ops, Vector128<float>>
{
    /// <summary>The one instance.</summary>
    public static readonly SseKernel Instance = new();

    private SseKernel()
    {
    }

    /// <inheritdoc/>
    public override SimdBackend Backend => SimdBackend.Sse;
}

/// <summary>128-bit ARM64 AdvSIMD with fused multiply-add (same code as <see cref="SseKernel"/>, FMLA instead of MUL+ADD).</summary>
internal sealed class NeonKernel : SimdKernel<Neon128Ops, Vector128<float>>
{
    /// <summary>The one instance.</summary>
    public static readonly NeonKernel Instance = new();

    private NeonKernel()
    {
    }

    /// <inheritdoc/>
    public override SimdBackend Backend => SimdBackend.Neon;
}

/// <summary>256-bit AVX2 with FMA3.</summary>
internal sealed class Avx2Kernel : SimdKernel<Avx2Ops, Vector256<float>>
{
    /// <summary>The one instance.</summary>
    public static readonly Avx2Kernel Instance = new();

    private Avx2Kernel()
    {
    }

    /// <inheritdoc/>
    public override SimdBackend Backend => SimdBackend.Avx2;
}

/// <summary>512-bit AVX-512F with its fused multiply-add.</summary>
internal sealed class Avx512Kernel : SimdKernel<Avx512Ops, Vector512<float>>
{
    /// <summary>The one instance.</summary>
    public static readonly Avx512Kernel Instance = new();

    private Avx512Kernel()
    {
    }

    /// <inheritdoc/>
    public override SimdBackend Backend => SimdBackend.Avx512;
}
