using Microsoft.Data.Sqlite;
using VectorShard.Core.Storage;

namespace VectorShard.Core.Search;

/// <summary>
/// The hot copy of a shard's vectors that exact search scans: rows packed contiguously in chunks of about
/// 1 MiB (so a chunk stays in cache while a batch of queries passes over it), with their ids and norms.
/// Stepping SQLite row by row costs more than the arithmetic, so search reads this instead; the shard
/// keeps it coherent with its own writes and rebuilds it when another connection has written
/// (PRAGMA data_version). Removal moves the last row into the hole, so rows stay dense.
/// </summary>
public sealed class VectorImage
{
    private const int ChunkFloats = 1 << 18;

    private readonly List<Chunk> _chunks = [];
    private readonly Dictionary<long, int> _rowOfId = [];

    private VectorImage(int dimension)
    {
        Dimension = dimension;
        RowsPerChunk = Math.Max(16, ChunkFloats / dimension);
    }

    /// <summary>The dimension of every row.</summary>
    public int Dimension { get; }

    /// <summary>Rows per chunk (the last chunk may hold fewer).</summary>
    public int RowsPerChunk { get; }

    /// <summary>The number of rows.</summary>
    public int Count { get; private set; }

    /// <summary>The number of chunks holding rows.</summary>
    public int ChunkCount => (Count + RowsPerChunk - 1) / RowsPerChunk;

    /// <summary>SQLite's data_version when this image last matched the file.</summary>
    public long DataVersion { get; set; }

    /// <summary>Reads every vector of the shard (id, BLOB, norm) through SQLite's raw API.</summary>
    public static VectorImage Load(SqliteConnection connection, int dimension)
    {
        var image = new VectorImage(dimension) { DataVersion = connection.ScalarInteger("PRAGMA data_version") };
        using var statement = new RawStatement(connection, "SELECT id, vector, norm FROM vectors");
        while (statement.Step())
        {
            image.Append(statement.Int64(0), VectorBlob.AsFloats(statement.Blob(1)), (float)statement.Double(2));
        }

        return image;
    }

    /// <summary>The rows of chunk <paramref name="index"/>: their vectors (rows × dimension), norms and ids.</summary>
    public (ReadOnlyMemory<float> Vectors, ReadOnlyMemory<float> Norms, ReadOnlyMemory<long> Ids) GetChunk(int index)
    {
        var rows = Math.Min(RowsPerChunk, Count - index * RowsPerChunk);
        var chunk = _chunks[index];
        return (chunk.Vectors.AsMemory(0, rows * Dimension), chunk.Norms.AsMemory(0, rows), chunk.Ids.AsMemory(0, rows));
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
            Write(row, chunk.Ids[offset], chunk.Vectors.AsSpan(offset * Dimension, Dimension), chunk.Norms[offset]);
            _rowOfId[chunk.Ids[offset]] = row;
        }

        Count = last;
    }

    private void Append(long id, ReadOnlySpan<float> vector, float norm)
    {
        if (Count == _chunks.Count * RowsPerChunk)
        {
            _chunks.Add(new Chunk(RowsPerChunk, Dimension));
        }

        Write(Count, id, vector, norm);
        _rowOfId[id] = Count++;
    }

    private void Write(int row, long id, ReadOnlySpan<float> vector, float norm)
    {
        var (chunk, offset) = Locate(row);
        vector.CopyTo(chunk.Vectors.AsSpan(offset * Dimension, Dimension));
        chunk.Norms[offset] = norm;
        chunk.Ids[offset] = id;
    }

    private (Chunk Chunk, int Offset) Locate(int row) => (_chunks[row / RowsPerChunk], row % RowsPerChunk);

    private sealed class Chunk(int rows, int dimension)
    {
        public float[] Vectors { get; } = new float[rows * dimension];

        public float[] Norms { get; } = new float[rows];

        public long[] Ids { get; } = new long[rows];
    }
}
