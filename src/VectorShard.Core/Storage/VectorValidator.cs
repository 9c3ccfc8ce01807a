using System.Numerics;
using System.Runtime.CompilerServices;

namespace VectorShard.Core.Storage;

/// <summary>Checks a vector against its shard before anything is written, and computes its norm.</summary>
public static class VectorValidator
{
    /// <summary>
    /// The largest norm accepted: below it, squared distances and dot products of any two vectors stay
    /// finite in float32 (4 × 1e36 is far below float.MaxValue ≈ 3.4e38).
    /// </summary>
    public const double MaxNorm = 1e18;

    /// <summary>
    /// The smallest norm a cosine vector may have: below it, float32 dot products lose precision to
    /// underflow, so the angle between two such vectors is not measurable.
    /// </summary>
    public const double MinCosineNorm = 1e-18;

    /// <summary>Returns the vector's Euclidean norm, or throws the error that names what is wrong with it.</summary>
    public static float Validate(ReadOnlySpan<float> vector, int dimension, DistanceMetric metric, string row) =>
        Validate(vector, dimension, metric, row, StoragePrecision.Float32);

    /// <summary>
    /// Same, for a vector to be stored at <paramref name="precision"/>: a Float16 shard refuses components
    /// beyond ±65504, and the norm (and the zero check under cosine) is that of the vector rounded to half
    /// precision, as stored, so that distances agree with the stored components.
    /// </summary>
    public static float Validate(ReadOnlySpan<float> vector, int dimension, DistanceMetric metric, string row, StoragePrecision precision)
    {
        var half = precision == StoragePrecision.Float16;
        if (vector.IsEmpty)
        {
            throw ShardErrors.EmptyVector(row);
        }

        if (vector.Length != dimension)
        {
            throw ShardErrors.DimensionMismatch(row, vector.Length, dimension);
        }

        // In double, so neither tiny components underflow nor large ones overflow. A finite float squares to a
        // finite double, so a finite sum means every component is finite; only a bad vector (or a Float16
        // shard, which rounds each component) takes the loop that finds the offending component.
        var sumOfSquares = half ? double.NaN : SumOfSquares(vector);
        if (!double.IsFinite(sumOfSquares))
        {
            sumOfSquares = CheckEachComponent(vector, row, half);
        }

        var norm = Math.Sqrt(sumOfSquares);
        if (norm > MaxNorm)
        {
            throw ShardErrors.NormOverflow(row, norm);
        }

        if (metric == DistanceMetric.Cosine && norm < MinCosineNorm)
        {
            throw norm == 0 ? ShardErrors.ZeroVector(row) : ShardErrors.NormUnderflow(row, norm);
        }

        return (float)norm;
    }

    // Component by component: the first non-finite (or, for Float16, out-of-range) one throws; returns the sum
    // of squares of the components as stored.
    private static double CheckEachComponent(ReadOnlySpan<float> vector, string row, bool half)
    {
        var sumOfSquares = 0.0;
        for (var i = 0; i < vector.Length; i++)
        {
            var x = vector[i];
            if (!float.IsFinite(x))
            {
                throw ShardErrors.NonFiniteComponent(row, i, x);
            }

            if (half)
            {
                if (MathF.Abs(x) > VectorBlob.MaxHalf)
                {
                    throw ShardErrors.VectorOutOfRange(row, i, x);
                }

                x = (float)(Half)x;
            }

            sumOfSquares += (double)x * x;
        }

        return sumOfSquares;
    }

    // The sum of squares in double precision, widening a SIMD vector of floats at a time.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static double SumOfSquares(ReadOnlySpan<float> vector)
    {
        var lanes = Vector<float>.Count;
        var sums = Vector<double>.Zero;
        var i = 0;
        for (; i <= vector.Length - lanes; i += lanes)
        {
            Vector.Widen(new Vector<float>(vector[i..]), out var low, out var high);
            sums += low * low + high * high;
        }

        var sum = Vector.Sum(sums);
        for (; i < vector.Length; i++)
        {
            sum += (double)vector[i] * vector[i];
        }

        return sum;
    }
}
