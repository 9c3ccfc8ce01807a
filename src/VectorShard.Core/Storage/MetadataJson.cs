using System.Collections;
using System.Globalization;
using System.Text.Json;

namespace VectorShard.Core.Storage;

/// <summary>
/// Metadata is stored as a JSON object so SQLite's json_extract can filter on it. Values may be strings,
/// numbers, booleans, null, dates (stored as ISO 8601 text), lists and nested dictionaries.
/// </summary>
public static class MetadataJson
{
    /// <summary>Serializes metadata to a JSON object, or null for none.</summary>
    public static string? Serialize(IReadOnlyDictionary<string, object?>? metadata, string row)
    {
        if (metadata is null)
        {
            return null;
        }

        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            WriteObject(writer, metadata.Select(p => (p.Key, p.Value)), row);
        }

        return System.Text.Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    /// <summary>Parses stored JSON back into a dictionary (numbers become long where whole, else double).</summary>
    public static IReadOnlyDictionary<string, object?>? Parse(string? json)
    {
        if (json is null)
        {
            return null;
        }

        using var document = JsonDocument.Parse(json);
        return ToDictionary(document.RootElement);
    }

    private static void WriteObject(Utf8JsonWriter writer, IEnumerable<(string Name, object? Value)> properties, string row)
    {
        writer.WriteStartObject();
        foreach (var (name, value) in properties)
        {
            writer.WritePropertyName(name);
            WriteValue(writer, name, value, row);
        }

        writer.WriteEndObject();
    }

    private static void WriteValue(Utf8JsonWriter writer, string name, object? value, string row)
    {
        switch (value)
        {
            case null: writer.WriteNullValue(); break;
            case string s: writer.WriteStringValue(s); break;
            case bool b: writer.WriteBooleanValue(b); break;
            case char c: writer.WriteStringValue(c.ToString()); break;
            case float or double when !double.IsFinite(Convert.ToDouble(value, CultureInfo.InvariantCulture)):
                throw ShardErrors.UnsupportedMetadata(row, name, value);
            case sbyte or byte or short or ushort or int or uint or long:
                writer.WriteNumberValue(Convert.ToInt64(value, CultureInfo.InvariantCulture)); break;
            case ulong u: writer.WriteNumberValue(u); break;
            case float or double: writer.WriteNumberValue(Convert.ToDouble(value, CultureInfo.InvariantCulture)); break;
            case decimal m: writer.WriteNumberValue(m); break;
            case DateTime d: writer.WriteStringValue(d.ToString("O", CultureInfo.InvariantCulture)); break;
            case DateTimeOffset d: writer.WriteStringValue(d.ToString("O", CultureInfo.InvariantCulture)); break;
            case Guid or Enum: writer.WriteStringValue(value.ToString()); break;
            case IReadOnlyDictionary<string, object?> nested: WriteObject(writer, nested.Select(p => (p.Key, p.Value)), row); break;
            case IDictionary nested:
                WriteObject(writer, nested.Cast<DictionaryEntry>().Select(e => (Convert.ToString(e.Key, CultureInfo.InvariantCulture) ?? "", e.Value)), row);
                break;
            case IEnumerable list:
                writer.WriteStartArray();
                foreach (var item in list)
                {
                    WriteValue(writer, name, item, row);
                }

                writer.WriteEndArray();
                break;
            default: throw ShardErrors.UnsupportedMetadata(row, name, value);
        }
    }

    // Case-insensitive, as PowerShell users expect, unless two names differ only in case: then exact,
    // so that no value is lost.
    private static Dictionary<string, object?> ToDictionary(JsonElement element)
    {
        var result = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase);
        foreach (var property in element.EnumerateObject())
        {
            if (!result.TryAdd(property.Name, ToValue(property.Value)))
            {
                return element.EnumerateObject().ToDictionary(p => p.Name, p => ToValue(p.Value), StringComparer.Ordinal);
            }
        }

        return result;
    }

    private static object? ToValue(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.String => element.GetString(),
        JsonValueKind.Number => element.TryGetInt64(out var whole) ? whole : (object)element.GetDouble(),
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        JsonValueKind.Object => ToDictionary(element),
        JsonValueKind.Array => element.EnumerateArray().Select(ToValue).ToArray(),
        _ => null,
    };
}
