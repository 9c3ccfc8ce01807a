namespace VectorShard.Core.Search;

/// <summary>
/// A query prepared for <see cref="Int4Codes.DotRows"/>: its int8 codes split into even and odd components,
/// the offset the stored nibbles' +8 adds to every dot product, and the query's scale.
/// </summary>
public sealed record Int4Query(sbyte[] Even, sbyte[] Odd, int Offset, float Scale, int Dimension);
