using System.Numerics.Tensors;

namespace VectorShard.Core.Storage;

/// <summary>Checks a vector against its shard before anything is written, and computes its norm.</summary>
public static class VectorValidator
{
    /// <summary>Returns the vector's Euclidean norm, or throws the error that names what is wrong with it.</summary>
    public static float Validate(ReadOnlySpan<float> vector, int dimension, DistanceMetric metric, string row)
    {
        if (vector.IsEmpty)
        {
            throw ShardErrors.EmptyVector(row);
        }

        if (vector.Length != dimension)
        {
            throw ShardErrors.DimensionMismatch(row, vector.Length, dimension);
        }

        var norm = TensorPrimitives.Norm(vector);
        if (!float.IsFinite(norm))
        {
            // Rare: name the culprit. With none, the squares of finite values overflowed float32.
            for (var i = 0; i < vector.Length; i++)
            {
                if (!float.IsFinite(vector[i]))
                {
                    throw ShardErrors.NonFiniteComponent(row, i, vector[i]);
                }
            }

            throw ShardErrors.NormOverflow(row);
        }

        if (metric == DistanceMetric.Cosine && norm == 0)
        {
            throw ShardErrors.ZeroVector(row);
        }

        return norm;
    }
}
