using System.Diagnostics;
using System.Formats.Tar;
using System.IO.Compression;
using System.Runtime.InteropServices;
using Microsoft.Data.Sqlite;

namespace VectorShard.Benchmarks;

/// <summary>
/// sqlite-vec's loadable extension, fetched on demand from npm (the per-platform package ships the binary)
/// into the cache folder, never into the repository. $VECTORSHARD_BENCH_SQLITE_VEC may name a vec0 library
/// to use instead.
/// </summary>
public static class SqliteVecExtension
{
    public const string Version = "0.1.9";

    /// <summary>The path of the extension library, or null with the reason it is not available.</summary>
    public static string? Locate(string cacheDir, out string reason)
    {
        reason = "";
        if (Environment.GetEnvironmentVariable("VECTORSHARD_BENCH_SQLITE_VEC") is { Length: > 0 } given)
        {
            if (File.Exists(given))
            {
                return given;
            }

            reason = $"VECTORSHARD_BENCH_SQLITE_VEC names '{given}', which does not exist";
            return null;
        }

        var (package, file) = PackageForThisPlatform();
        if (package is null)
        {
            reason = $"no sqlite-vec npm package for {RuntimeInformation.OSDescription} {RuntimeInformation.ProcessArchitecture}";
            return null;
        }

        var folder = Path.Combine(cacheDir, $"{package}-{Version}");
        var library = Path.Combine(folder, file);
        if (File.Exists(library))
        {
            return library;
        }

        try
        {
            Directory.CreateDirectory(folder);
            var tarball = Fetch(package, folder);
            using var gzip = new GZipStream(File.OpenRead(tarball), CompressionMode.Decompress);
            using var tar = new TarReader(gzip);
            while (tar.GetNextEntry() is { } entry)
            {
                if (entry.Name == $"package/{file}")
                {
                    entry.ExtractToFile(library + ".part", overwrite: true);
                    File.Move(library + ".part", library, overwrite: true);
                }
            }

            if (File.Exists(library))
            {
                return library;
            }

            reason = $"{Path.GetFileName(tarball)} has no package/{file}";
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or InvalidDataException
            or UnauthorizedAccessException or System.ComponentModel.Win32Exception or TimeoutException)
        {
            reason = $"could not fetch {package}@{Version} from npm: {e.Message}";
        }

        return null;
    }

    /// <summary>Opens a connection with the extension loaded; throws if it cannot be loaded.</summary>
    public static SqliteConnection Open(string databasePath, string library, SqliteOpenMode mode)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = databasePath,
            Mode = mode,
            Pooling = false,
        }.ToString());
        try
        {
            connection.Open();
            connection.EnableExtensions(true);
            connection.LoadExtension(library, "sqlite3_vec_init");
            connection.EnableExtensions(false);
            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    // `npm pack` downloads the package tarball without installing anything (no scripts run).
    private static string Fetch(string package, string folder)
    {
        var start = new ProcessStartInfo(OperatingSystem.IsWindows() ? "npm.cmd" : "npm")
        {
            WorkingDirectory = folder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { "pack", $"{package}@{Version}", "--silent", "--ignore-scripts" })
        {
            start.ArgumentList.Add(arg);
        }

        using var npm = Process.Start(start) ?? throw new InvalidOperationException("npm did not start");
        var stdout = npm.StandardOutput.ReadToEndAsync();
        var stderr = npm.StandardError.ReadToEndAsync();
        if (!npm.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            npm.Kill(entireProcessTree: true);
            throw new TimeoutException("npm pack took over 2 minutes");
        }

        var name = stdout.Result.Trim().Split('\n').LastOrDefault()?.Trim();
        if (npm.ExitCode != 0 || string.IsNullOrEmpty(name) || !File.Exists(Path.Combine(folder, name)))
        {
            var error = stderr.Result.Trim();
            throw new InvalidOperationException($"npm pack exited with {npm.ExitCode}" +
                (error.Length > 0 ? ": " + error.Split('\n')[^1] : ""));
        }

        return Path.Combine(folder, name);
    }

    private static (string? Package, string File) PackageForThisPlatform() => (Os(), RuntimeInformation.ProcessArchitecture) switch
    {
        ("linux", Architecture.X64) => ("sqlite-vec-linux-x64", "vec0.so"),
        ("linux", Architecture.Arm64) => ("sqlite-vec-linux-arm64", "vec0.so"),
        ("darwin", Architecture.X64) => ("sqlite-vec-darwin-x64", "vec0.dylib"),
        ("darwin", Architecture.Arm64) => ("sqlite-vec-darwin-arm64", "vec0.dylib"),
        ("windows", Architecture.X64) => ("sqlite-vec-windows-x64", "vec0.dll"),
        _ => (null, ""),
    };

    private static string Os() => OperatingSystem.IsLinux() ? "linux" : OperatingSystem.IsMacOS() ? "darwin" : OperatingSystem.IsWindows() ? "windows" : "other";
}
