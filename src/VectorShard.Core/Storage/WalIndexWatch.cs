using System.IO.MemoryMappedFiles;

namespace VectorShard.Core.Storage;

/// <summary>
/// Tells, without a system call, whether any connection may have committed to a WAL shard since a baseline. Every
/// commit rewrites the wal-index header, both copies of which open the -shm file (https://sqlite.org/walformat.html,
/// the same on Unix and Windows), and every connection maps that file; so while the header's bytes are the baseline's,
/// nothing has been committed, and the search skips its PRAGMA data_version step. That step takes file locks: with
/// caches evicted it took about 0.04 ms, an eighth of a sign-bit search on MiniLM embeddings, where these bytes are a
/// cache miss or two. A changed header only sends the caller back to data_version (a checkpoint changes it too).
/// </summary>
/// <remarks>
/// Only for a writable connection in WAL journal mode and normal locking, opened after that connection has read the
/// file: it then holds the -shm file open (and its dead-man lock), so no other connection can truncate or re-create it
/// while this maps it, and none can leave WAL mode.
/// </remarks>
internal sealed unsafe class WalIndexWatch : IDisposable
{
    // The two 48-byte copies of the header that writers update on commit.
    private const int HeaderWords = 12;

    private readonly MemoryMappedFile _file;
    private readonly MemoryMappedViewAccessor _view;
    private readonly ulong* _header;
    private readonly ulong[] _baseline = new ulong[HeaderWords];
    private bool _hasBaseline;

    private WalIndexWatch(MemoryMappedFile file, MemoryMappedViewAccessor view)
    {
        _file = file;
        _view = view;
        byte* start = null;
        view.SafeMemoryMappedViewHandle.AcquirePointer(ref start);
        _header = (ulong*)(start + view.PointerOffset);
    }

    /// <summary>A watch on the -shm file of <paramref name="databasePath"/>, or null where it cannot be mapped.</summary>
    public static WalIndexWatch? TryOpen(string databasePath)
    {
        FileStream? stream = null;
        try
        {
            stream = new FileStream(databasePath + "-shm", FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            if (stream.Length < HeaderWords * sizeof(ulong))
            {
                stream.Dispose();
                return null;
            }

            var file = MemoryMappedFile.CreateFromFile(stream, null, 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: false);
            return new WalIndexWatch(file, file.CreateViewAccessor(0, HeaderWords * sizeof(ulong), MemoryMappedFileAccess.Read));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException)
        {
            stream?.Dispose();
            return null;
        }
    }

    /// <summary>Whether the header still holds the baseline's bytes: if so, no connection has committed since it was taken.</summary>
    public bool Unchanged()
    {
        if (!_hasBaseline)
        {
            return false;
        }

        for (var i = 0; i < HeaderWords; i++)
        {
            if (Volatile.Read(ref _header[i]) != _baseline[i])
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// Copies the current header; pass it to <see cref="Rebase"/> once the caller has confirmed its view of the data by
    /// other means. Taken before that check, so a commit after the copy shows as a change, never as the baseline.
    /// </summary>
    public ulong[] Read()
    {
        var header = new ulong[HeaderWords];
        for (var i = 0; i < HeaderWords; i++)
        {
            header[i] = Volatile.Read(ref _header[i]);
        }

        return header;
    }

    /// <summary>Makes <paramref name="header"/> (from <see cref="Read"/>) the baseline that <see cref="Unchanged"/> compares with.</summary>
    public void Rebase(ulong[] header)
    {
        header.CopyTo(_baseline, 0);
        _hasBaseline = true;
    }

    /// <summary>Unmaps the file.</summary>
    public void Dispose()
    {
        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _file.Dispose();
    }
}
