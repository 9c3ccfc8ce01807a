using System.Text;
using System.Text.RegularExpressions;
using System.Xml;
using System.Xml.Linq;

namespace VectorShard.Corpus;

/// <summary>
/// The corpus's texts: every &lt;summary&gt; of the .NET reference assemblies' XML docs found on this machine,
/// as plain text with collapsed whitespace, unique, in ordinal order (so the same files give the same corpus).
/// </summary>
public static partial class SummaryTexts
{
    /// <summary>
    /// The XML docs the issue names: the .NET 10 reference pack beside the SDK and the .NET 8 one in the NuGet
    /// package folder (restored by any net8.0 build), every patch version present, in ordinal order.
    /// </summary>
    public static IReadOnlyList<string> SourceFiles()
    {
        var files = new List<string>();
        if (DotnetRoot() is { } dotnet)
        {
            files.AddRange(Find(Path.Combine(dotnet, "packs", "Microsoft.NETCore.App.Ref"), "10.0.", Path.Combine("ref", "net10.0")));
        }

        var nuget = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } configured
            ? configured
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        files.AddRange(Find(Path.Combine(nuget, "microsoft.netcore.app.ref"), "8.0.", Path.Combine("ref", "net8.0")));
        return files;
    }

    /// <summary>The unique summaries of these files, whitespace collapsed, sorted ordinally.</summary>
    public static IReadOnlyList<string> Collect(IEnumerable<string> files)
    {
        var unique = new HashSet<string>(StringComparer.Ordinal);
        var settings = new XmlReaderSettings { DtdProcessing = DtdProcessing.Ignore, XmlResolver = null };
        foreach (var file in files)
        {
            using var reader = XmlReader.Create(file, settings);
            foreach (var summary in XDocument.Load(reader).Descendants("member").Elements("summary"))
            {
                var text = Whitespace().Replace(Render(summary, new StringBuilder()).ToString(), " ").Trim();
                if (text.Length > 0)
                {
                    unique.Add(text);
                }
            }
        }

        return unique.Order(StringComparer.Ordinal).ToList();
    }

    // The text a reader sees: references become the name they point at, <see langword="null"/> becomes "null".
    private static StringBuilder Render(XElement element, StringBuilder text)
    {
        foreach (var node in element.Nodes())
        {
            switch (node)
            {
                case XText t:
                    text.Append(t.Value);
                    break;
                case XElement e when e.Attribute("cref") is { } cref && e.IsEmpty:
                    text.Append(ShortName(cref.Value));
                    break;
                case XElement e when (e.Attribute("langword") ?? e.Attribute("name") ?? e.Attribute("href")) is { } attribute && e.IsEmpty:
                    text.Append(attribute.Value);
                    break;
                case XElement e:
                    Render(e, text);
                    break;
            }
        }

        return text;
    }

    // "M:System.String.Concat(System.Object)" → "Concat"; "T:System.Collections.Generic.List`1" → "List".
    private static string ShortName(string cref)
    {
        var name = cref.Length > 2 && cref[1] == ':' ? cref[2..] : cref;
        var parameters = name.IndexOf('(', StringComparison.Ordinal);
        if (parameters >= 0)
        {
            name = name[..parameters];
        }

        name = name[(name.LastIndexOf('.') + 1)..];
        var arity = name.IndexOf('`', StringComparison.Ordinal);
        return arity >= 0 ? name[..arity] : name;
    }

    private static IEnumerable<string> Find(string packFolder, string versionPrefix, string subfolder)
    {
        if (!Directory.Exists(packFolder))
        {
            return [];
        }

        return Directory.EnumerateDirectories(packFolder)
            .Where(d => Path.GetFileName(d).StartsWith(versionPrefix, StringComparison.Ordinal))
            .Select(d => Path.Combine(d, subfolder))
            .Where(Directory.Exists)
            .SelectMany(d => Directory.EnumerateFiles(d, "*.xml"))
            .Order(StringComparer.Ordinal);
    }

    // The folder holding dotnet's packs/: $DOTNET_ROOT, or three levels above the running runtime
    // (<root>/shared/Microsoft.NETCore.App/<version>/).
    private static string? DotnetRoot()
    {
        if (Environment.GetEnvironmentVariable("DOTNET_ROOT") is { Length: > 0 } root && Directory.Exists(Path.Combine(root, "packs")))
        {
            return root;
        }

        var runtime = Path.GetDirectoryName(typeof(object).Assembly.Location);
        var candidate = runtime is null ? null : Path.GetFullPath(Path.Combine(runtime, "..", "..", ".."));
        return candidate is not null && Directory.Exists(Path.Combine(candidate, "packs")) ? candidate : null;
    }

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();
}
