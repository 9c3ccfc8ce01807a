using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Microsoft.Data.Sqlite;
using VectorShard.Core.Storage;

namespace VectorShard.Core.Search;

/// <summary>
/// The hot copy of a shard's vectors that exact search scans: rows packed contiguously in chunks of about
/// 1 MiB (so a chunk stays in cache while a batch of queries passes over it), with their ids and norms.
/// Stepping SQLite row by row costs more than the arithmetic, so search reads this instead; the shard
/// keeps it coherent with its own writes and rebuilds it when another connection has written
/// (PRAGMA data_version). Removal moves the last row into the hole, so rows stay dense.
/// A Float16 shard's image keeps its rows as halves, so a scan reads half the memory; <see cref="GetRows"/>
/// converts a few rows at a time to float32 for the kernels.
/// </summary>
public sealed class VectorImage
{
    private const int ChunkBytes = 1 << 20;

    // A Float16 block converted to float32 is about 32 KiB, so it stays in L1/L2 while the queries pass over it.
    private const int BlockFloats = 1 << 13;

    private readonly List<Chunk> _chunks = [];
    private readonly Dictionary<long, int> _rowOfId = [];

    // The kinds of codes kept beside the floats for quantized search, each built on its first search.
    private readonly List<SearchQuantization> _codeKinds = [];

    // Decodes one Float16 row for writes, sorting and quantizing (which run under the shard's lock).
    private readonly float[] _rowScratch;

    private VectorImage(int dimension, StoragePrecision precision)
    {
        Dimension = dimension;
        Precision = precision;
        RowsPerChunk = Math.Max(16, ChunkBytes / (VectorBlob.BytesPerComponent(precision) * dimension));
        RowsPerBlock = precision == StoragePrecision.Float16 ? Math.Clamp(BlockFloats / dimension, 16, 64) : RowsPerChunk;
        _rowScratch = precision == StoragePrecision.Float16 ? new float[dimension] : [];
    }

    /// <summary>The dimension of every row.</summary>
    public int Dimension { get; }

    /// <summary>How the rows are held: float32, or halves for a Float16 shard.</summary>
    public StoragePrecision Precision { get; }

    /// <summary>Rows per chunk (the last chunk may hold fewer).</summary>
    public int RowsPerChunk { get; }

    /// <summary>
    /// Rows a scan scores per kernel call: the whole chunk for float32 (read in place), a small block for
    /// float16 (converted into a buffer from <see cref="NewBlockBuffer"/>).
    /// </summary>
    public int RowsPerBlock { get; }

    /// <summary>The number of rows.</summary>
    public int Count { get; private set; }

    /// <summary>The number of chunks holding rows.</summary>
    public int ChunkCount => (Count + RowsPerChunk - 1) / RowsPerChunk;

    /// <summary>SQLite's data_version when this image last matched the file.</summary>
    public long DataVersion { get; set; }

    /// <summary>Reads every vector of the shard (id, BLOB, norm) through SQLite's raw API.</summary>
    public static VectorImage Load(SqliteConnection connection, int dimension, StoragePrecision precision = StoragePrecision.Float32)
    {
        var image = new VectorImage(dimension, precision) { DataVersion = connection.ScalarInteger("PRAGMA data_version") };
        using var statement = new RawStatement(connection, "SELECT id, vector, norm FROM vectors");
        while (statement.Step())
        {
            image.Append(statement.Int64(0), VectorBlob.AsFloats(statement.Blob(1), precision, image._rowScratch), (float)statement.Double(2));
        }

        return image;
    }

    /// <summary>
    /// The rows of chunk <paramref name="index"/>: their vectors (rows × dimension; empty for a Float16 image,
    /// whose rows <see cref="GetRows"/> gives), norms and ids.
    /// </summary>
    public (ReadOnlyMemory<float> Vectors, ReadOnlyMemory<float> Norms, ReadOnlyMemory<long> Ids) GetChunk(int index)
    {
        var rows = Math.Min(RowsPerChunk, Count - index * RowsPerChunk);
        var chunk = _chunks[index];
        return (chunk.Halves is not null ? default : chunk.Vectors[..(rows * Dimension)], chunk.Norms.AsMemory(0, rows), chunk.Ids.AsMemory(0, rows));
    }

    /// <summary>
    /// The rows of chunk <paramref name="index"/> of a Float16 image as stored (rows × dimension halves), for
    /// kernels that widen them as they read (<see cref="Kernels.VectorKernel.DotRowsManyHalf"/>).
    /// </summary>
    public ReadOnlyMemory<Half> GetChunkHalves(int index)
    {
        var rows = Math.Min(RowsPerChunk, Count - index * RowsPerChunk);
        return _chunks[index].Halves.AsMemory(0, rows * Dimension);
    }

    /// <summary>A per-thread buffer for <see cref="GetRows"/>: <see cref="RowsPerBlock"/> rows of floats, or empty for float32.</summary>
    public float[] NewBlockBuffer() => Precision == StoragePrecision.Float16 ? new float[RowsPerBlock * Dimension] : [];

    /// <summary>
    /// Rows [<paramref name="start"/>, start + <paramref name="count"/>) of chunk <paramref name="index"/> as
    /// float32: in place for a float32 image, converted into <paramref name="buffer"/> for a Float16 one
    /// (count at most <see cref="RowsPerBlock"/> there).
    /// </summary>
    public ReadOnlySpan<float> GetRows(int index, int start, int count, Span<float> buffer)
    {
        var chunk = _chunks[index];
        if (chunk.Halves is null)
        {
            return chunk.Vectors.Span.Slice(start * Dimension, count * Dimension);
        }

        var floats = buffer[..(count * Dimension)];
        TensorPrimitives.ConvertToSingle(chunk.Halves.AsSpan(start * Dimension, count * Dimension), floats);
        return floats;
    }

    /// <summary>
    /// The smallest and largest norm chunk <paramref name="index"/> may hold: exact after a sort, wider (never
    /// narrower) after removals, so bounds computed from it stay safe.
    /// </summary>
    public (float Min, float Max) GetChunkNormRange(int index) => (_chunks[index].MinNorm, _chunks[index].MaxNorm);

    /// <summary>Whether rows are ordered by norm (until later writes append out of order).</summary>
    public bool IsSortedByNorm { get; private set; }

    /// <summary>(largest − smallest norm) ÷ largest norm over all rows: near 0 for unit vectors.</summary>
    public float RelativeNormSpread()
    {
        var (min, max) = (float.PositiveInfinity, 0f);
        for (var c = 0; c < ChunkCount; c++)
        {
            foreach (var norm in GetChunk(c).Norms.Span)
            {
                (min, max) = (MathF.Min(min, norm), MathF.Max(max, norm));
            }
        }

        return max == 0 ? 0 : (max - min) / max;
    }

    /// <summary>
    /// Reorders the rows by norm, so that each chunk covers a narrow band of norms that a norm bound can
    /// rule out as a whole.
    /// </summary>
    public void SortByNorm()
    {
        var rows = Enumerable.Range(0, Count).Select(row => (Row: row, Locate(row).Chunk.Norms[row % RowsPerChunk]))
            .OrderBy(r => r.Item2).Select(r => r.Row).ToArray();
        var old = _chunks.ToArray();
        var count = Count;
        _chunks.Clear();
        _rowOfId.Clear();
        Count = 0;
        foreach (var row in rows)
        {
            var chunk = old[row / RowsPerChunk];
            var offset = row % RowsPerChunk;
            Append(chunk.Ids[offset], RowFloats(chunk, offset), chunk.Norms[offset]);
        }

        IsSortedByNorm = count == Count;
    }

    /// <summary>Whether codes of this kind are kept for every row.</summary>
    public bool HasCodes(SearchQuantization kind) => _codeKinds.Contains(kind);

    /// <summary>The codes (rows × <see cref="RowCodes.BytesPerRow"/>) and per-row scales of chunk <paramref name="index"/>; needs <see cref="EnsureCodes"/>.</summary>
    public (ReadOnlyMemory<byte> Codes, ReadOnlyMemory<float> Scales) GetChunkCodes(int index, SearchQuantization kind)
    {
        var rows = Math.Min(RowsPerChunk, Count - index * RowsPerChunk);
        var chunk = _chunks[index];
        return (chunk.Codes[(int)kind][..(rows * RowCodes.BytesPerRow(kind, Dimension))], chunk.Scales[(int)kind]!.AsMemory(0, rows));
    }

    /// <summary>Encodes every row as codes of this kind (once); later writes keep them in step.</summary>
    public void EnsureCodes(SearchQuantization kind)
    {
        if (HasCodes(kind))
        {
            return;
        }

        if (kind == SearchQuantization.None)
        {
            throw new ArgumentOutOfRangeException(nameof(kind), kind, "not a quantization");
        }

        foreach (var chunk in _chunks)
        {
            chunk.AddCodes(kind, RowsPerChunk, Dimension);
        }

        _codeKinds.Add(kind);
        for (var row = 0; row < Count; row++)
        {
            var (chunk, offset) = Locate(row);
            chunk.Encode(kind, offset, RowFloats(chunk, offset), Dimension);
        }
    }

    /// <summary>
    /// The vector and norm of the row with this id, or false if there is none. A Float16 row is converted into
    /// <paramref name="buffer"/> (at least <see cref="Dimension"/> floats), which the returned vector then views.
    /// </summary>
    public bool TryGetRow(long id, float[] buffer, out ReadOnlyMemory<float> vector, out float norm)
    {
        if (!_rowOfId.TryGetValue(id, out var row))
        {
            (vector, norm) = (default, 0);
            return false;
        }

        var (chunk, offset) = Locate(row);
        vector = RowFloats(chunk, offset, buffer);
        norm = chunk.Norms[offset];
        return true;
    }

    /// <summary>Adds a row, or overwrites the row with the same id (an upsert).</summary>
    public void Upsert(long id, ReadOnlySpan<float> vector, float norm)
    {
        if (_rowOfId.TryGetValue(id, out var row))
        {
            Write(row, id, vector, norm);
        }
        else
        {
            Append(id, vector, norm);
        }
    }

    /// <summary>Removes the row with this id, if there is one.</summary>
    public void Remove(long id)
    {
        if (!_rowOfId.Remove(id, out var row))
        {
            return;
        }

        var last = Count - 1;
        if (row != last)
        {
            var (chunk, offset) = Locate(last);
            Write(row, chunk.Ids[offset], RowFloats(chunk, offset), chunk.Norms[offset]);
            _rowOfId[chunk.Ids[offset]] = row;
        }

        Count = last;
    }

    private void Append(long id, ReadOnlySpan<float> vector, float norm)
    {
        if (Count == _chunks.Count * RowsPerChunk)
        {
            var chunk = new Chunk(RowsPerChunk, Dimension, Precision);
            foreach (var kind in _codeKinds)
            {
                chunk.AddCodes(kind, RowsPerChunk, Dimension);
            }

            _chunks.Add(chunk);
        }

        Write(Count, id, vector, norm);
        _rowOfId[id] = Count++;
    }

    private void Write(int row, long id, ReadOnlySpan<float> vector, float norm)
    {
        var (chunk, offset) = Locate(row);
        if (chunk.Halves is null)
        {
            vector.CopyTo(chunk.Vectors.Span.Slice(offset * Dimension, Dimension));
        }
        else
        {
            TensorPrimitives.ConvertToHalf(vector, chunk.Halves.AsSpan(offset * Dimension, Dimension));
            // Codes and sign bits describe the row as stored, even if the caller passed unrounded floats.
            vector = RowFloats(chunk, offset);
        }

        chunk.Norms[offset] = norm;
        chunk.Ids[offset] = id;
        chunk.MinNorm = MathF.Min(chunk.MinNorm, norm);
        chunk.MaxNorm = MathF.Max(chunk.MaxNorm, norm);
        foreach (var kind in _codeKinds)
        {
            chunk.Encode(kind, offset, vector, Dimension);
        }
    }

    private (Chunk Chunk, int Offset) Locate(int row) => (_chunks[row / RowsPerChunk], row % RowsPerChunk);

    // One row as floats: in place for float32; for float16 converted into the image's row buffer, valid until its next use.
    private ReadOnlySpan<float> RowFloats(Chunk chunk, int offset) => RowFloats(chunk, offset, _rowScratch).Span;

    // One row as floats: in place for float32; for float16 converted into buffer (at least Dimension floats).
    private ReadOnlyMemory<float> RowFloats(Chunk chunk, int offset, float[] buffer)
    {
        if (chunk.Halves is null)
        {
            return chunk.Vectors.Slice(offset * Dimension, Dimension);
        }

        TensorPrimitives.ConvertToSingle(chunk.Halves.AsSpan(offset * Dimension, Dimension), buffer.AsSpan(0, Dimension));
        return buffer.AsMemory(0, Dimension);
    }

    private sealed class Chunk(int rows, int dimension, StoragePrecision precision)
    {
        private static readonly int CodeKinds = Enum.GetValues<SearchQuantization>().Length;

        // Exactly one of the two holds the rows, by the shard's precision.
        public Memory<float> Vectors { get; } = precision == StoragePrecision.Float16 ? default : CacheAligned.Allocate<float>(rows * dimension, pinned: true);

        public Half[]? Halves { get; } = precision == StoragePrecision.Float16 ? new Half[rows * dimension] : null;

        public float[] Norms { get; } = new float[rows];

        public long[] Ids { get; } = new long[rows];

        public float MinNorm { get; set; } = float.PositiveInfinity;

        public float MaxNorm { get; set; }

        // By SearchQuantization: the codes and per-row scales of each kind the image keeps, null for the others.
        public Memory<byte>[] Codes { get; } = new Memory<byte>[CodeKinds];

        public float[]?[] Scales { get; } = new float[CodeKinds][];

        public void AddCodes(SearchQuantization kind, int rowCount, int dimension)
        {
            // Cache-line aligned like the vectors (and so 8-byte aligned, as sign bits are read as words).
            Codes[(int)kind] = CacheAligned.Allocate<byte>(rowCount * RowCodes.BytesPerRow(kind, dimension), pinned: true);
            Scales[(int)kind] = new float[rowCount];
        }

        public void Encode(SearchQuantization kind, int offset, ReadOnlySpan<float> vector, int dimension)
        {
            var bytes = RowCodes.BytesPerRow(kind, dimension);
            Scales[(int)kind]![offset] = RowCodes.Encode(kind, vector, Codes[(int)kind].Span.Slice(offset * bytes, bytes));
        }
    }
}
