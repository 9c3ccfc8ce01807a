using System.Collections;
using System.Management.Automation;
using VectorShard.Core;
using VectorShard.Core.Storage;

namespace VectorShard.PowerShell;

/// <summary>
/// Turns PowerShell metadata — a hashtable, a PSCustomObject, or a JSON object string — into the plain
/// dictionary Core stores, unwrapping PSObjects at every level.
/// </summary>
internal static class MetadataArgument
{
    public static IReadOnlyDictionary<string, object?>? ToDictionary(object? value, string row)
    {
        var item = Unwrap(value);
        return item switch
        {
            null => null,
            string json => ParseJson(json, row),
            IDictionary or PSObject => (IReadOnlyDictionary<string, object?>)ToPlain(value)!,
            _ => throw ShardErrors.UnsupportedMetadata(row, "(metadata)", item),
        };
    }

    private static IReadOnlyDictionary<string, object?> ParseJson(string json, string row)
    {
        try
        {
            return MetadataJson.Parse(json) ?? new Dictionary<string, object?>();
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or InvalidOperationException)
        {
            throw ShardErrors.InvalidMetadataJson(row, json);
        }
    }

    // PSCustomObjects have PSCustomObject as their base object: their note properties are the data.
    private static object? Unwrap(object? value) =>
        value is PSObject { BaseObject: not PSCustomObject } wrapped ? wrapped.BaseObject : value;

    private static object? ToPlain(object? value)
    {
        switch (Unwrap(value))
        {
            case IDictionary dictionary:
                var fromDictionary = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase);
                foreach (DictionaryEntry entry in dictionary)
                {
                    fromDictionary[entry.Key.ToString()!] = ToPlain(entry.Value);
                }

                return fromDictionary;
            case PSObject custom:
                var fromObject = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase);
                foreach (var property in custom.Properties)
                {
                    fromObject[property.Name] = ToPlain(property.Value);
                }

                return fromObject;
            case string or null:
                return Unwrap(value);
            case IEnumerable list:
                return list.Cast<object?>().Select(ToPlain).ToArray();
            default:
                return Unwrap(value);
        }
    }
}
