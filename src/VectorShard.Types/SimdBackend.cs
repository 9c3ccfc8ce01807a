namespace VectorShard;

/// <summary>The instruction set the search kernels use, chosen once per process from what the CPU has.</summary>
public enum SimdBackend
{
    /// <summary>Plain loops: the reference every other backend is tested against.</summary>
    Scalar,

    /// <summary>128-bit vectors on x86 (SSE).</summary>
    Sse,

    /// <summary>256-bit vectors with fused multiply-add (AVX2 + FMA).</summary>
    Avx2,

    /// <summary>512-bit vectors (AVX-512F).</summary>
    Avx512,

    /// <summary>128-bit vectors on ARM64 (AdvSIMD/NEON).</summary>
    Neon,
}
