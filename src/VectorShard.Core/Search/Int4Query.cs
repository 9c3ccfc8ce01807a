namespace VectorShard.Core.Search;

/// <summary>
/// A query prepared for <see cref="Int4Codes.DotRows"/>: its int8 codes split into even and odd components,
/// each half cache-line aligned (see <see cref="CacheAligned"/>), the offset the stored nibbles' +8 adds to every dot product, and the query's scale.
/// </summary>
public sealed record Int4Query(ReadOnlyMemory<sbyte> Even, ReadOnlyMemory<sbyte> Odd, int Offset, float Scale, int Dimension);
