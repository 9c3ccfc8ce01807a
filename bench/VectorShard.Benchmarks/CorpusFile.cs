using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;

namespace VectorShard.Benchmarks;

/// <summary>
/// An embedded text corpus as cached on disk (bench/VectorShard.Corpus writes it, the M1 workload reads it):
/// texts and their float32 vectors, row i belonging to text i. Little-endian: the magic "VSCORPUS", format
/// version, count, dimension, the model's description, count × dimension floats, then the texts (UTF-8,
/// length-prefixed as BinaryWriter writes strings).
/// </summary>
public sealed class CorpusFile(string model, int dimension, IReadOnlyList<string> texts, float[] vectors, string fingerprint)
{
    /// <summary>The file name in the benchmark's cache folder.</summary>
    public const string DefaultFileName = "minilm-corpus.bin";

    private const string Magic = "VSCORPUS";
    private const int FormatVersion = 1;

    /// <summary>Which model made the vectors, for the report.</summary>
    public string Model { get; } = model;

    public int Dimension { get; } = dimension;

    public IReadOnlyList<string> Texts { get; } = texts;

    /// <summary>Texts.Count × Dimension floats, row-major.</summary>
    public float[] Vectors { get; } = vectors;

    /// <summary>The first 12 hex digits of the file's SHA-256: cached shards built from it carry it in their names.</summary>
    public string Fingerprint { get; } = fingerprint;

    public int Count => Texts.Count;

    /// <summary>Writes the corpus to <paramref name="path"/> (through a temporary file, so a reader never sees half of it).</summary>
    public static void Write(string path, string model, int dimension, IReadOnlyList<string> texts, float[] vectors)
    {
        if (vectors.Length != (long)texts.Count * dimension)
        {
            throw new ArgumentException($"{vectors.Length} floats for {texts.Count} texts of dimension {dimension}");
        }

        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var part = path + ".part";
        using (var writer = new BinaryWriter(File.Create(part), Encoding.UTF8))
        {
            writer.Write(Encoding.ASCII.GetBytes(Magic));
            writer.Write(FormatVersion);
            writer.Write(texts.Count);
            writer.Write(dimension);
            writer.Write(model);
            writer.Write(MemoryMarshal.AsBytes(vectors.AsSpan()));
            foreach (var text in texts)
            {
                writer.Write(text);
            }
        }

        File.Move(part, path, overwrite: true);
    }

    /// <summary>Reads a corpus file; throws <see cref="InvalidDataException"/> if it is not one.</summary>
    public static CorpusFile Read(string path)
    {
        var bytes = File.ReadAllBytes(path);
        using var reader = new BinaryReader(new MemoryStream(bytes), Encoding.UTF8);
        if (Encoding.ASCII.GetString(reader.ReadBytes(Magic.Length)) != Magic || reader.ReadInt32() != FormatVersion)
        {
            throw new InvalidDataException($"{path} is not a corpus file of format {FormatVersion}");
        }

        var count = reader.ReadInt32();
        var dimension = reader.ReadInt32();
        var model = reader.ReadString();
        var vectors = new float[checked(count * dimension)];
        if (reader.Read(MemoryMarshal.AsBytes(vectors.AsSpan())) != vectors.Length * sizeof(float))
        {
            throw new InvalidDataException($"{path} ends inside its vectors");
        }

        var texts = new string[count];
        for (var i = 0; i < count; i++)
        {
            texts[i] = reader.ReadString();
        }

        return new CorpusFile(model, dimension, texts, vectors, Convert.ToHexString(SHA256.HashData(bytes))[..12].ToLowerInvariant());
    }
}
