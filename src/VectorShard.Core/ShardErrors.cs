using System.Globalization;

namespace VectorShard.Core;

/// <summary>Every error VectorShard raises on purpose, in one place: ErrorId, category and message.</summary>
public static class ShardErrors
{
    private static VectorShardException Error(string id, ShardErrorCategory category, object? target, string message) =>
        new(id, category, message, target);

    private static string Show(float value) => value.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>The vector has the wrong number of components.</summary>
    public static VectorShardException DimensionMismatch(string row, int actual, int expected) =>
        Error("DimensionMismatch", ShardErrorCategory.InvalidArgument, row,
            $"Vector {row} has {actual} components, but the shard's dimension is {expected}.");

    /// <summary>The vector has no components.</summary>
    public static VectorShardException EmptyVector(string row) =>
        Error("EmptyVector", ShardErrorCategory.InvalidArgument, row, $"Vector {row} is empty.");

    /// <summary>A component is NaN or infinite.</summary>
    public static VectorShardException NonFiniteComponent(string row, int index, float value) =>
        Error("NonFiniteComponent", ShardErrorCategory.InvalidArgument, value,
            $"Vector {row} has the non-finite value {Show(value)} at index {index}.");

    /// <summary>A component does not fit the shard's float16 storage.</summary>
    public static VectorShardException VectorOutOfRange(string row, int index, float value) =>
        Error("VectorOutOfRange", ShardErrorCategory.InvalidData, value,
            $"Vector {row} has the value {Show(value)} at index {index}, outside the ±{Storage.VectorBlob.MaxHalf} that a Float16 shard stores. " +
            "Scale the vectors down, or use a Float32 shard.");

    /// <summary>The vector is too long to compare without overflow.</summary>
    public static VectorShardException NormOverflow(string row, double norm) =>
        Error("NormOverflow", ShardErrorCategory.InvalidArgument, row,
            $"Vector {row} has the norm {norm:G3}, above the limit of {Storage.VectorValidator.MaxNorm:G0}. Scale it down.");

    /// <summary>A cosine vector too short to measure an angle with.</summary>
    public static VectorShardException NormUnderflow(string row, double norm) =>
        Error("NormUnderflow", ShardErrorCategory.InvalidArgument, row,
            $"Vector {row} has the norm {norm:G3}, below the {Storage.VectorValidator.MinCosineNorm:G0} that cosine distance needs. Scale it up.");

    /// <summary>A setting is not one of the defined values.</summary>
    public static VectorShardException UnknownSetting(string setting, object value) =>
        Error("Unknown" + setting, ShardErrorCategory.InvalidArgument, value,
            $"'{value}' is not a {setting}. Use one of: {string.Join(", ", Enum.GetNames(value.GetType()))}.");

    /// <summary>The input is not a list of numbers.</summary>
    public static VectorShardException NotAVector(string row, object? value) =>
        Error("NotAVector", ShardErrorCategory.InvalidType, value,
            $"Vector {row} is '{value}', which is not a list of numbers nor an object with a Vector property.");

    /// <summary>A component is not a number.</summary>
    public static VectorShardException NotNumeric(string row, int index, object? value) =>
        Error("NonNumericComponent", ShardErrorCategory.InvalidType, value,
            $"Vector {row} has the non-numeric value '{value}' at index {index}.");

    /// <summary>A zero vector has no direction, so no cosine distance.</summary>
    public static VectorShardException ZeroVector(string row) =>
        Error("ZeroVector", ShardErrorCategory.InvalidArgument, row,
            $"Vector {row} is all zeros, which has no cosine distance to anything. Use the L2 or Dot metric for such vectors.");

    /// <summary>A key that exists already was added without upsert.</summary>
    public static VectorShardException DuplicateKey(string key) =>
        Error("DuplicateKey", ShardErrorCategory.ResourceExists, key,
            $"The key '{key}' exists already in the shard. Use -Force to replace it.");

    /// <summary>The same key appears twice in one batch.</summary>
    public static VectorShardException DuplicateKeyInBatch(string key) =>
        Error("DuplicateKeyInBatch", ShardErrorCategory.InvalidArgument, key,
            $"The key '{key}' appears more than once in the input.");

    /// <summary>The dimension given at creation is out of range.</summary>
    public static VectorShardException InvalidDimension(int dimension) =>
        Error("InvalidDimension", ShardErrorCategory.InvalidArgument, dimension,
            $"The dimension {dimension} is out of range: it must be from 1 to {ShardLimits.MaxDimension}.");

    /// <summary>k is out of range.</summary>
    public static VectorShardException InvalidK(int k) =>
        Error("InvalidK", ShardErrorCategory.InvalidArgument, k, $"K must be at least 1, but was {k}.");

    /// <summary>A workload value is out of range.</summary>
    public static VectorShardException InvalidWorkload(ShardWorkload workload, string rule) =>
        Error("InvalidWorkload", ShardErrorCategory.InvalidArgument, workload, $"The workload {workload} is invalid: {rule}.");

    /// <summary>The shard file does not exist.</summary>
    public static VectorShardException ShardNotFound(string path) =>
        Error("ShardNotFound", ShardErrorCategory.ObjectNotFound, path, $"There is no shard at '{path}'.");

    /// <summary>The folder for a new shard does not exist.</summary>
    public static VectorShardException DirectoryNotFound(string path) =>
        Error("DirectoryNotFound", ShardErrorCategory.ObjectNotFound, path,
            $"The folder of '{path}' does not exist. Create it first.");

    /// <summary>A shard file exists where a new one was to be created.</summary>
    public static VectorShardException ShardExists(string path) =>
        Error("ShardExists", ShardErrorCategory.ResourceExists, path,
            $"A shard or file exists already at '{path}'. Use -Force to replace it.");

    /// <summary>The file is not a VectorShard shard.</summary>
    public static VectorShardException NotAShard(string path, string why) =>
        Error("NotAShard", ShardErrorCategory.InvalidData, path, $"'{path}' is not a VectorShard shard: {why}.");

    /// <summary>The shard was written by a newer VectorShard.</summary>
    public static VectorShardException NewerFormat(string path, int format) =>
        Error("ShardFormatTooNew", ShardErrorCategory.InvalidData, path,
            $"'{path}' has storage format {format}, newer than this VectorShard reads ({ShardLimits.FormatVersion}). Update the module.");

    /// <summary>The shard cannot be written.</summary>
    public static VectorShardException ShardReadOnly(string path) =>
        Error("ShardReadOnly", ShardErrorCategory.PermissionDenied, path, $"The shard '{path}' is read-only.");

    /// <summary>Another connection holds the lock.</summary>
    public static VectorShardException ShardBusy(string path, Exception inner) =>
        new("ShardBusy", ShardErrorCategory.ResourceBusy,
            $"The shard '{path}' is locked by another connection or process: {inner.Message}", path, inner);

    /// <summary>In-memory shards exist only with the UltraFast profile.</summary>
    public static VectorShardException InMemoryProfileFixed(string path, ShardProfile profile) =>
        Error("InMemoryProfileFixed", ShardErrorCategory.InvalidOperation, profile,
            $"The in-memory shard '{path}' always uses the UltraFast profile; {profile} needs a shard file.");

    /// <summary>A metadata value cannot be stored as JSON.</summary>
    public static VectorShardException UnsupportedMetadata(string row, string name, object? value) =>
        Error("UnsupportedMetadata", ShardErrorCategory.InvalidType, value,
            $"The metadata '{name}' of vector {row} has a value of type {value?.GetType().FullName} that cannot be stored as JSON.");

    /// <summary>Metadata given as text is not a JSON object.</summary>
    public static VectorShardException InvalidMetadataJson(string row, string json) =>
        Error("InvalidMetadataJson", ShardErrorCategory.InvalidArgument, json,
            $"The metadata of vector {row} is text but not a JSON object: '{json}'.");

    /// <summary>Shards searched together must measure distance alike.</summary>
    public static VectorShardException IncompatibleShards(string first, string other) =>
        Error("IncompatibleShards", ShardErrorCategory.InvalidArgument, other,
            $"The shard '{other}' has another metric or dimension than '{first}': shards searched together must share both.");

    /// <summary>A metadata filter names an unusable field.</summary>
    public static VectorShardException InvalidFilter(string field, string why) =>
        Error("InvalidFilter", ShardErrorCategory.InvalidArgument, field, $"The filter on '{field}' is invalid: {why}.");

    /// <summary>
    /// A SIMD backend was requested (VECTORSHARD_SIMD or <see cref="Search.Kernels.VectorKernels.For"/>) that is
    /// not a backend at all, or that this CPU lacks.
    /// </summary>
    public static VectorShardException UnsupportedSimdBackend(string requested, IEnumerable<SimdBackend> supported)
    {
        var here = string.Join(", ", supported);
        var known = Enum.GetNames<SimdBackend>().Any(name => string.Equals(name, requested.Trim(), StringComparison.OrdinalIgnoreCase));
        return Error("UnsupportedSimdBackend", ShardErrorCategory.InvalidArgument, requested, known
            ? $"The SIMD backend '{requested}' is not supported on this CPU. Supported here: {here}. " +
              $"Unset {Search.Kernels.VectorKernels.EnvironmentVariable} to use the best one."
            : $"'{requested}' is not a SIMD backend. Use one of: {string.Join(", ", Enum.GetNames<SimdBackend>())} " +
              $"(supported here: {here}), or unset {Search.Kernels.VectorKernels.EnvironmentVariable} to use the best one.");
    }
}
