namespace VectorShard.Core.Tests;

/// <summary>
/// A fresh folder under the system temp folder, deleted with everything in it on Dispose. Test classes
/// create one per test (xunit makes a new class instance per test) and dispose it in their Dispose.
/// </summary>
public sealed class TempDirectory : IDisposable
{
    public TempDirectory()
    {
        FullPath = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "vshard-test-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(FullPath);
    }

    /// <summary>The folder's full path.</summary>
    public string FullPath { get; }

    /// <summary>The full path of a file (not created) in the folder.</summary>
    public string File(string name) => System.IO.Path.Combine(FullPath, name);

    public void Dispose()
    {
        if (!Directory.Exists(FullPath))
        {
            return;
        }

        // Read-only files made by the tests must be writable again before Windows lets them go.
        foreach (var file in Directory.EnumerateFiles(FullPath, "*", SearchOption.AllDirectories))
        {
            System.IO.File.SetAttributes(file, FileAttributes.Normal);
        }

        for (var attempt = 0; ; attempt++)
        {
            try
            {
                Directory.Delete(FullPath, recursive: true);
                return;
            }
            catch (IOException) when (attempt < 5)
            {
                Thread.Sleep(50);
            }
        }
    }
}
