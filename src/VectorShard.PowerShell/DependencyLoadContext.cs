using System.Collections.Concurrent;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Runtime.Loader;

namespace VectorShard.PowerShell;

/// <summary>
/// The private load context for VectorShard.Core and its packages (Microsoft.Data.Sqlite, SQLitePCLRaw,
/// System.Numerics.Tensors) from the module's deps/ folder, so that another module carrying other versions
/// of them in the same PowerShell session cannot clash with ours, in either import order. Also loads
/// the native SQLite for this OS and CPU from deps/runtimes/, where PowerShell itself never looks.
/// </summary>
internal sealed class DependencyLoadContext : AssemblyLoadContext
{
    private readonly string _moduleRoot;
    private readonly string _dependencyFolder;
    private readonly ConcurrentDictionary<string, IntPtr> _nativeHandles = new(StringComparer.Ordinal);

    public DependencyLoadContext(string moduleRoot)
        : base("VectorShard")
    {
        _moduleRoot = moduleRoot;
        _dependencyFolder = Path.Combine(moduleRoot, "deps");
    }

    protected override Assembly? Load(AssemblyName assemblyName)
    {
        // The public types must be the default context's copy, or PowerShell could not name them.
        if (assemblyName.Name == "VectorShard.Types")
        {
            return Default.Assemblies.FirstOrDefault(a => a.GetName().Name == assemblyName.Name)
                ?? Default.LoadFromAssemblyPath(Path.Combine(_moduleRoot, "VectorShard.Types.dll"));
        }

        var candidate = Path.Combine(_dependencyFolder, assemblyName.Name + ".dll");
        return File.Exists(candidate) ? LoadFromAssemblyPath(candidate) : null;
    }

    // Called for every P/Invoke entry point, so the handle is cached per library.
    protected override IntPtr LoadUnmanagedDll(string unmanagedDllName) =>
        _nativeHandles.GetOrAdd(unmanagedDllName, name =>
        {
            var folder = Path.Combine(_dependencyFolder, "runtimes", RuntimeIdentifier(), "native");
            foreach (var file in new[] { name, $"lib{name}.so", $"lib{name}.dylib", $"{name}.dll" })
            {
                var path = Path.Combine(folder, file);
                if (File.Exists(path))
                {
                    return NativeLibrary.Load(path);
                }
            }

            return IntPtr.Zero;
        });

    // The portable RID of the folders NuGet packages ship natives in: win-x64, linux-arm64, osx-arm64, …
    private static string RuntimeIdentifier()
    {
        var os = OperatingSystem.IsWindows() ? "win" : OperatingSystem.IsMacOS() ? "osx" : "linux";
        return $"{os}-{RuntimeInformation.ProcessArchitecture.ToString().ToLowerInvariant()}";
    }
}
