namespace VectorShard.Core.Storage;

/// <summary>
/// The shards open in this process, one connection per file, so that every command in a session (and
/// every runspace) reuses it. Closing the registry closes them all.
/// </summary>
public sealed class ShardRegistry : IDisposable
{
    private static readonly StringComparer PathComparer =
        OperatingSystem.IsWindows() || OperatingSystem.IsMacOS() ? StringComparer.OrdinalIgnoreCase : StringComparer.Ordinal;

    private readonly Dictionary<string, Shard> _open = new(PathComparer);

    /// <summary>The process's registry, used by the PowerShell module.</summary>
    public static ShardRegistry Shared { get; } = new();

    /// <summary>The open shard at this full path, opening it if needed.</summary>
    public Shard Open(string path)
    {
        path = FullPath(path);
        lock (_open)
        {
            if (_open.TryGetValue(path, out var shard))
            {
                // A file deleted behind our back is not the shard any more.
                if (IsLive(path))
                {
                    return shard;
                }

                Close(path);
            }

            return _open[path] = Shard.Open(path);
        }
    }

    /// <summary>Creates a shard; with <paramref name="replace"/>, an existing one is closed and deleted first.</summary>
    public Shard Create(string path, ShardOptions options, bool replace)
    {
        path = FullPath(path);
        lock (_open)
        {
            if (replace)
            {
                Close(path);
                if (!path.StartsWith(VectorShard.ShardInfo.InMemoryPrefix, StringComparison.Ordinal))
                {
                    Shard.DeleteFiles(path);
                }
            }
            else if (_open.ContainsKey(path))
            {
                // An open shard whose file was deleted behind our back no longer exists.
                if (IsLive(path))
                {
                    throw ShardErrors.ShardExists(path);
                }

                Close(path);
            }

            return _open[path] = Shard.Create(path, options);
        }
    }

    /// <summary>Closes a shard if it is open; returns whether it was.</summary>
    public bool Close(string path)
    {
        path = FullPath(path);
        lock (_open)
        {
            if (!_open.Remove(path, out var shard))
            {
                return false;
            }

            shard.Dispose();
            return true;
        }
    }

    /// <summary>The paths of the open shards, after closing those whose files were deleted.</summary>
    public IReadOnlyList<string> OpenPaths
    {
        get
        {
            lock (_open)
            {
                foreach (var gone in _open.Keys.Where(p => !IsLive(p)).ToArray())
                {
                    Close(gone);
                }

                return _open.Keys.ToArray();
            }
        }
    }

    private static bool IsLive(string path) =>
        path.StartsWith(VectorShard.ShardInfo.InMemoryPrefix, StringComparison.Ordinal) || File.Exists(path);

    private static string FullPath(string path) =>
        path.StartsWith(VectorShard.ShardInfo.InMemoryPrefix, StringComparison.Ordinal) ? path : Path.GetFullPath(path);

    /// <summary>Closes every open shard.</summary>
    public void Dispose()
    {
        lock (_open)
        {
            foreach (var shard in _open.Values)
            {
                shard.Dispose();
            }

            _open.Clear();
        }
    }
}
