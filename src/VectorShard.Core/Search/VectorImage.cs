using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Microsoft.Data.Sqlite;
using VectorShard.Core.Search.Kernels;
using VectorShard.Core.Storage;

namespace VectorShard.Core.Search;

/// <summary>
/// The hot copy of a shard's vectors that exact search scans: rows packed contiguously in chunks of about
/// 1 MiB (so a chunk stays in cache while a batch of queries passes over it), with their ids, norms and labels
/// (<see cref="RowLabel"/>: results read the row table only for metadata). The chunks'
/// rows and codes are carved from large pinned slabs (<see cref="PinnedArena{T}"/>: huge pages where Linux offers them).
/// Stepping SQLite row by row costs more than the arithmetic, so search reads this instead; the shard
/// keeps it coherent with its own writes and rebuilds it when another connection has written
/// (PRAGMA data_version). Removal moves the last row into the hole, so rows stay dense.
/// A Float16 shard's image keeps its rows as halves, so a scan reads half the memory; <see cref="GetRows"/>
/// converts a few rows at a time to float32 for the kernels. Short rows (up to <see cref="BlockMaxDimension"/> float32
/// or <see cref="HalfBlockMaxDimension"/> Float16 components) are kept block-transposed (<see cref="ImageLayout.Blocks"/>),
/// which the kernels scan faster.
/// </summary>
public sealed class VectorImage
{
    private const int ChunkBytes = 1 << 20;

    // A Float16 block converted to float32 is about 32 KiB, so it stays in L1/L2 while the queries pass over it.
    private const int BlockFloats = 1 << 13;

    /// <summary>
    /// The longest float32 rows kept block-transposed by default. A full scan of short rows gains from blocks, measured in
    /// one process against the row-by-row layout, from memory, p50 per query (1 thread; batch 8; batch 64): 1,000,000 × 96
    /// 14.4 vs 18.2 ms; 2.25 vs 3.39; 1.79 vs 2.16 (AMD Zen 5). At 384 components it gained 6–12% there (100,000 × 384 6.0
    /// vs 6.4 ms, MiniLM 2.57 vs 2.90), but exact search now scans int8 codes and rescores a few rows, and rescoring one
    /// row of a block reads the whole block (16 rows): on the Intel VM, in alternating runs, MiniLM rows kept row by row
    /// searched exactly in 0.84–0.88 against 1.01–1.05 ms, with sign bits 0.36–0.37 against 0.41, batches of 8 0.30–0.31
    /// against 0.31–0.32 and full scans 4.8–4.9 against 5.3 ms; 100,000 × 384 came out alike or 3–5% ahead. So rows of
    /// 129–384 components, like longer ones, stay row by row.
    /// </summary>
    public const int BlockMaxDimension = 128;

    /// <summary>
    /// The longest Float16 rows kept block-transposed by default. Widening halves to floats, not memory, bounds a
    /// Float16 scan in either layout, so blocks gain less. Measured as for float32 (1 thread; batch 8; batch 64):
    /// W3 96 components 11.3 vs 12.0 ms; 3.15 vs 4.19; 2.79 vs 3.51. W2 384 components 3.88 vs 3.31 ms, slower;
    /// 1.01 vs 1.31; 0.94 vs 0.84. So Float16 rows up to 128 components.
    /// </summary>
    public const int HalfBlockMaxDimension = 128;

    private readonly List<Chunk> _chunks = [];
    private readonly Dictionary<long, int> _rowOfId = [];

    // The kinds of codes kept beside the floats for quantized search, each built on its first search.
    private readonly List<SearchQuantization> _codeKinds = [];

    // Decodes one Float16 or block-transposed row for writes, sorting and quantizing (which run under the shard's lock).
    private readonly float[] _rowScratch;

    // One Float16 row's halves, for writes into a block-transposed Float16 image (under the shard's lock).
    private readonly Half[] _halfScratch;

    // Where the chunks' rows and codes live: large pinned slabs, on huge pages where the OS offers them.
    private readonly PinnedArena<float> _floats = new();
    private readonly PinnedArena<Half> _halves = new();
    private readonly PinnedArena<byte> _codes = new();

    private VectorImage(int dimension, StoragePrecision precision, ImageLayout layout)
    {
        Dimension = dimension;
        Precision = precision;
        Layout = layout;
        // A whole number of blocks per chunk, so that a chunk's blocks are never split.
        RowsPerChunk = Math.Max(BlockLayout.Rows, ChunkBytes / (VectorBlob.BytesPerComponent(precision) * dimension) / BlockLayout.Rows * BlockLayout.Rows);
        var inPlace = precision == StoragePrecision.Float32 && layout == ImageLayout.Rows;
        RowsPerBlock = inPlace ? RowsPerChunk : Math.Clamp(BlockFloats / dimension, 16, 64);
        _rowScratch = inPlace ? [] : new float[dimension];
        _halfScratch = precision == StoragePrecision.Float16 && layout == ImageLayout.Blocks ? new Half[dimension] : [];
    }

    /// <summary>
    /// The layout an image of this shape gets: <see cref="ImageLayout.Blocks"/> for rows of up to <see cref="BlockMaxDimension"/>
    /// float32 or <see cref="HalfBlockMaxDimension"/> Float16 components.
    /// </summary>
    public static ImageLayout DefaultLayout(int dimension, StoragePrecision precision) =>
        dimension <= (precision == StoragePrecision.Float16 ? HalfBlockMaxDimension : BlockMaxDimension) ? ImageLayout.Blocks : ImageLayout.Rows;

    /// <summary>The dimension of every row.</summary>
    public int Dimension { get; }

    /// <summary>How the rows are held: float32, or halves for a Float16 shard.</summary>
    public StoragePrecision Precision { get; }

    /// <summary>How the rows are laid out: row by row, or block-transposed for short rows.</summary>
    public ImageLayout Layout { get; }

    /// <summary>Rows per chunk (the last chunk may hold fewer).</summary>
    public int RowsPerChunk { get; }

    /// <summary>
    /// Rows <see cref="GetRows"/> gives per call: the whole chunk for float32 rows (read in place), a small block
    /// for float16 or block-transposed rows (converted into a buffer from <see cref="NewBlockBuffer"/>).
    /// </summary>
    public int RowsPerBlock { get; }

    /// <summary>The number of rows.</summary>
    public int Count { get; private set; }

    /// <summary>The number of chunks holding rows.</summary>
    public int ChunkCount => (Count + RowsPerChunk - 1) / RowsPerChunk;

    /// <summary>SQLite's data_version when this image last matched the file.</summary>
    public long DataVersion { get; set; }

    /// <summary>
    /// Reads every vector of the shard (id, BLOB, norm, and the row's label) through SQLite's raw API, into the given layout
    /// (<see cref="DefaultLayout"/> if none).
    /// </summary>
    public static VectorImage Load(SqliteConnection connection, int dimension, StoragePrecision precision = StoragePrecision.Float32,
        ImageLayout? layout = null)
    {
        var image = new VectorImage(dimension, precision, layout ?? DefaultLayout(dimension, precision))
        {
            DataVersion = connection.ScalarInteger("PRAGMA data_version"),
        };
        // One slab for the rows there are, rather than a series of growing ones.
        var rows = connection.ScalarInteger("SELECT count(*) FROM vectors");
        var elements = (rows + image.RowsPerChunk - 1) / image.RowsPerChunk * image.RowsPerChunk * dimension;
        image._floats.Reserve(precision == StoragePrecision.Float32 ? elements : 0);
        image._halves.Reserve(precision == StoragePrecision.Float16 ? elements : 0);
        using var statement = new RawStatement(connection, "SELECT id, vector, norm, key, metadata IS NOT NULL FROM vectors");
        while (statement.Step())
        {
            image.Append(statement.Int64(0), VectorBlob.AsFloats(statement.Blob(1), precision, image._rowScratch), (float)statement.Double(2),
                new RowLabel(statement.Text(3), statement.Int64(4) != 0));
        }

        return image;
    }

    /// <summary>The norms and ids of the rows of chunk <paramref name="index"/> (their vectors: <see cref="GetRows"/>, <see cref="GetChunkBlocks"/>).</summary>
    public (ReadOnlyMemory<float> Norms, ReadOnlyMemory<long> Ids) GetChunk(int index)
    {
        var rows = ChunkRows(index);
        var chunk = _chunks[index];
        return (chunk.Norms.AsMemory(0, rows), chunk.Ids.AsMemory(0, rows));
    }

    /// <summary>
    /// The rows of chunk <paramref name="index"/> of a float32 block-transposed image as stored: whole blocks
    /// (<see cref="BlockLayout"/>), so the last may hold rows past the chunk's, whose scores mean nothing.
    /// </summary>
    public ReadOnlyMemory<float> GetChunkBlocks(int index)
    {
        if (Layout != ImageLayout.Blocks || Precision != StoragePrecision.Float32)
        {
            throw new InvalidOperationException($"The image's rows are {Precision} laid out as {Layout}, not float32 blocks.");
        }

        return _chunks[index].Vectors[..(StoredRows(index) * Dimension)];
    }

    /// <summary>
    /// The rows of chunk <paramref name="index"/> of a Float16 image as stored (rows × dimension halves, or whole
    /// blocks in the block-transposed layout), for kernels that widen them as they read
    /// (<see cref="Kernels.VectorKernel.DotRowsManyHalf"/>, <see cref="Kernels.VectorKernel.DotBlocksHalf"/>).
    /// </summary>
    public ReadOnlyMemory<Half> GetChunkHalves(int index)
    {
        return _chunks[index].Halves[..(StoredRows(index) * Dimension)];
    }

    /// <summary>A per-thread buffer for <see cref="GetRows"/>: <see cref="RowsPerBlock"/> rows of floats, or empty where rows are read in place.</summary>
    public float[] NewBlockBuffer() => _rowScratch.Length == 0 ? [] : new float[RowsPerBlock * Dimension];

    /// <summary>
    /// Rows [<paramref name="start"/>, start + <paramref name="count"/>) of chunk <paramref name="index"/> as
    /// float32 rows: in place for a float32 row-by-row image, converted into <paramref name="buffer"/> for a
    /// Float16 or block-transposed one (count at most <see cref="RowsPerBlock"/> there).
    /// </summary>
    public ReadOnlySpan<float> GetRows(int index, int start, int count, Span<float> buffer)
    {
        var chunk = _chunks[index];
        if (_rowScratch.Length == 0)
        {
            return chunk.Vectors.Span.Slice(start * Dimension, count * Dimension);
        }

        var floats = buffer[..(count * Dimension)];
        for (var i = 0; i < count; i++)
        {
            RowFloats(chunk, start + i, floats.Slice(i * Dimension, Dimension));
        }

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
            Append(chunk.Ids[offset], RowFloats(chunk, offset), chunk.Norms[offset], chunk.Labels[offset]);
        }

        IsSortedByNorm = count == Count;
    }

    /// <summary>Whether codes of this kind are kept for every row.</summary>
    public bool HasCodes(SearchQuantization kind) => _codeKinds.Contains(kind);

    /// <summary>The codes (<see cref="RowCodes.StoredRows"/> × <see cref="RowCodes.BytesPerRow"/>) and per-row scales of chunk <paramref name="index"/>; needs <see cref="EnsureCodes"/>.</summary>
    public (ReadOnlyMemory<byte> Codes, ReadOnlyMemory<float> Scales) GetChunkCodes(int index, SearchQuantization kind)
    {
        var rows = ChunkRows(index);
        var chunk = _chunks[index];
        return (chunk.Codes[(int)kind][..(RowCodes.StoredRows(kind, rows) * RowCodes.BytesPerRow(kind, Dimension))], chunk.Scales[(int)kind]!.AsMemory(0, rows));
    }

    /// <summary>
    /// Reads the bookkeeping of chunks [<paramref name="first"/>, <paramref name="end"/>) that a scan over codes of this
    /// kind looks up (each chunk's arrays of codes, scales, residuals, norms and ids) in one tight loop, and returns a
    /// checksum of their lengths. From cold caches each chunk's lookups are a few dependent misses; here those of
    /// different chunks are independent and overlap, where a scan would otherwise wait for them one chunk at a time.
    /// </summary>
    internal int WarmChunks(SearchQuantization kind, int first, int end)
    {
        var sum = 0;
        for (var c = first; c < end; c++)
        {
            var chunk = _chunks[c];
            sum += chunk.Codes[(int)kind].Length + (chunk.Scales[(int)kind]?.Length ?? 0) + (chunk.Residuals?.Length ?? 0) + chunk.Norms.Length +
                chunk.Ids.Length;
        }

        return sum;
    }

    /// <summary>
    /// ‖row − scale × codes‖ of each row of chunk <paramref name="index"/> (never below the true value): how far its
    /// int8 codes are from it, which bounds their error on any dot product (<see cref="BoundedScan"/>); needs Int8 codes.
    /// </summary>
    public ReadOnlyMemory<float> GetChunkResiduals(int index) => _chunks[index].Residuals!.AsMemory(0, ChunkRows(index));

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

        _codes.Reserve((long)_chunks.Count * RowsPerChunk * RowCodes.BytesPerRow(kind, Dimension));
        foreach (var chunk in _chunks)
        {
            chunk.AddCodes(kind, RowsPerChunk, Dimension, _codes);
        }

        _codeKinds.Add(kind);
        for (var row = 0; row < Count; row++)
        {
            var (chunk, offset) = Locate(row);
            chunk.Encode(kind, offset, RowFloats(chunk, offset), Dimension);
        }
    }

    /// <summary>Adds a row, or overwrites the row with the same id (an upsert).</summary>
    public void Upsert(long id, ReadOnlySpan<float> vector, float norm, RowLabel label = default)
    {
        if (_rowOfId.TryGetValue(id, out var row))
        {
            Write(row, id, vector, norm, label);
        }
        else
        {
            Append(id, vector, norm, label);
        }
    }

    /// <summary>The label of the row with this id, if there is one.</summary>
    public bool TryGetLabel(long id, out RowLabel label)
    {
        var found = _rowOfId.TryGetValue(id, out var row);
        label = found ? _chunks[row / RowsPerChunk].Labels[row % RowsPerChunk] : default;
        return found;
    }

    /// <summary>Removes the row with this id, if there is one.</summary>
    public void Remove(long id)
    {
        if (!_rowOfId.Remove(id, out var row))
        {
            return;
        }

        var last = Count - 1;
        var (lastChunk, lastOffset) = Locate(last);
        if (row != last)
        {
            Write(row, lastChunk.Ids[lastOffset], RowFloats(lastChunk, lastOffset), lastChunk.Norms[lastOffset], lastChunk.Labels[lastOffset]);
            _rowOfId[lastChunk.Ids[lastOffset]] = row;
        }

        // The vacated slot lets go of its key.
        lastChunk.Labels[lastOffset] = default;
        Count = last;
    }

    private void Append(long id, ReadOnlySpan<float> vector, float norm, RowLabel label)
    {
        if (Count == _chunks.Count * RowsPerChunk)
        {
            var size = RowsPerChunk * Dimension;
            var chunk = Precision == StoragePrecision.Float16
                ? new Chunk(RowsPerChunk, default, _halves.Allocate(size))
                : new Chunk(RowsPerChunk, _floats.Allocate(size), default);
            foreach (var kind in _codeKinds)
            {
                chunk.AddCodes(kind, RowsPerChunk, Dimension, _codes);
            }

            _chunks.Add(chunk);
        }

        Write(Count, id, vector, norm, label);
        _rowOfId[id] = Count++;
    }

    private void Write(int row, long id, ReadOnlySpan<float> vector, float norm, RowLabel label)
    {
        var (chunk, offset) = Locate(row);
        if (!chunk.Halves.IsEmpty)
        {
            var inBlocks = Layout == ImageLayout.Blocks;
            TensorPrimitives.ConvertToHalf(vector, inBlocks ? _halfScratch : chunk.Halves.Span.Slice(offset * Dimension, Dimension));
            if (inBlocks)
            {
                BlockLayout.Write<Half>(_halfScratch, chunk.Halves.Span, offset);
            }

            // Codes and sign bits describe the row as stored, even if the caller passed unrounded floats.
            vector = RowFloats(chunk, offset);
        }
        else if (Layout == ImageLayout.Blocks)
        {
            BlockLayout.Write(vector, chunk.Vectors.Span, offset);
        }
        else
        {
            vector.CopyTo(chunk.Vectors.Span.Slice(offset * Dimension, Dimension));
        }

        chunk.Norms[offset] = norm;
        chunk.Ids[offset] = id;
        chunk.Labels[offset] = label;
        chunk.MinNorm = MathF.Min(chunk.MinNorm, norm);
        chunk.MaxNorm = MathF.Max(chunk.MaxNorm, norm);
        foreach (var kind in _codeKinds)
        {
            chunk.Encode(kind, offset, vector, Dimension);
        }
    }

    private (Chunk Chunk, int Offset) Locate(int row) => (_chunks[row / RowsPerChunk], row % RowsPerChunk);

    private int ChunkRows(int index) => Math.Min(RowsPerChunk, Count - index * RowsPerChunk);

    // Rows of chunk index as stored: its rows, or whole blocks of them.
    private int StoredRows(int index) => Layout == ImageLayout.Blocks ? BlockLayout.PaddedRows(ChunkRows(index)) : ChunkRows(index);

    // One row as floats: in place for float32 rows; otherwise converted into the image's row buffer, valid until its next use.
    private ReadOnlySpan<float> RowFloats(Chunk chunk, int offset)
    {
        if (_rowScratch.Length == 0)
        {
            return chunk.Vectors.Span.Slice(offset * Dimension, Dimension);
        }

        RowFloats(chunk, offset, _rowScratch);
        return _rowScratch;
    }

    // One row copied into floats (Dimension of them), from any layout.
    private void RowFloats(Chunk chunk, int offset, Span<float> floats)
    {
        if (!chunk.Halves.IsEmpty && Layout == ImageLayout.Blocks)
        {
            // No shared scratch here: readers with their own buffers may run on several threads.
            BlockLayout.Read(chunk.Halves.Span, offset, floats);
        }
        else if (!chunk.Halves.IsEmpty)
        {
            TensorPrimitives.ConvertToSingle(chunk.Halves.Span.Slice(offset * Dimension, Dimension), floats);
        }
        else if (Layout == ImageLayout.Blocks)
        {
            BlockLayout.Read(chunk.Vectors.Span, offset, floats);
        }
        else
        {
            chunk.Vectors.Span.Slice(offset * Dimension, Dimension).CopyTo(floats);
        }
    }

    // Exactly one of vectors and halves holds the rows, by the shard's precision (either row by row or in blocks).
    private sealed class Chunk(int rows, Memory<float> vectors, Memory<Half> halves)
    {
        private static readonly int CodeKinds = Enum.GetValues<SearchQuantization>().Length;

        public Memory<float> Vectors { get; } = vectors;

        /// <summary>Empty for a float32 image.</summary>
        public Memory<Half> Halves { get; } = halves;

        public float[] Norms { get; } = new float[rows];

        public long[] Ids { get; } = new long[rows];

        public RowLabel[] Labels { get; } = new RowLabel[rows];

        public float MinNorm { get; set; } = float.PositiveInfinity;

        public float MaxNorm { get; set; }

        // By SearchQuantization: the codes and per-row scales of each kind the image keeps, null for the others.
        public Memory<byte>[] Codes { get; } = new Memory<byte>[CodeKinds];

        public float[]?[] Scales { get; } = new float[CodeKinds][];

        // With int8 codes: each row's distance from its codes (GetChunkResiduals).
        public float[]? Residuals { get; private set; }

        public void AddCodes(SearchQuantization kind, int rowCount, int dimension, PinnedArena<byte> arena)
        {
            // Cache-line aligned like the vectors (and so 8-byte aligned, as sign bits are read as words).
            Codes[(int)kind] = arena.Allocate(rowCount * RowCodes.BytesPerRow(kind, dimension));
            Scales[(int)kind] = new float[rowCount];
            if (kind == SearchQuantization.Int8)
            {
                Residuals = new float[rowCount];
            }
        }

        public void Encode(SearchQuantization kind, int offset, ReadOnlySpan<float> vector, int dimension)
        {
            var codes = Codes[(int)kind].Span;
            var scale = Scales[(int)kind]![offset] = RowCodes.Encode(kind, vector, codes, offset);
            if (kind == SearchQuantization.Int8)
            {
                Residuals![offset] = Int8Codes.Residual(vector, MemoryMarshal.Cast<byte, sbyte>(codes.Slice(offset * dimension, dimension)), scale);
            }
        }
    }
}
