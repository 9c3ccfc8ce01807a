using System.Management.Automation;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.Loader;

namespace VectorShard.PowerShell;

/// <summary>
/// Import and removal of the module, in one place. On import, Core resolves into the private
/// <see cref="DependencyLoadContext"/>; on removal, every open shard is closed (its connection released).
/// </summary>
public sealed class ModuleLifecycle : IModuleAssemblyInitializer, IModuleAssemblyCleanup
{
    private static readonly string ModuleRoot = Path.GetDirectoryName(typeof(ModuleLifecycle).Assembly.Location)!;
    private static readonly DependencyLoadContext Dependencies = new(ModuleRoot);

    /// <summary>Routes the default context's requests for Core to the private context.</summary>
    public void OnImport() => AssemblyLoadContext.Default.Resolving += ResolveCore;

    /// <summary>Closes the open shards and stops resolving Core (a later import resolves again).</summary>
    public void OnRemove(PSModuleInfo module)
    {
        if (AssemblyLoadContext.Default.Assemblies.Concat(Dependencies.Assemblies).Any(a => a.GetName().Name == "VectorShard.Core"))
        {
            CloseOpenShards();
        }

        AssemblyLoadContext.Default.Resolving -= ResolveCore;
    }

    private static Assembly? ResolveCore(AssemblyLoadContext context, AssemblyName name) =>
        name.Name == "VectorShard.Core" ? Dependencies.LoadFromAssemblyName(name) : null;

    // Kept apart so Core is only touched when it was loaded.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void CloseOpenShards() => Core.Storage.ShardRegistry.Shared.Dispose();
}
