using System.Text;

namespace VectorShard.Core.Search;

/// <summary>
/// Equality conditions on metadata fields, all of which must hold. A field is a top-level name or a
/// dotted path into nested objects ("source.lang"); a null value matches a missing or null field.
/// SQLite evaluates it with json_extract during the scan. The JSON path is written into the SQL as a literal
/// (values stay parameters), so that a filter on an indexed field matches the index's expression.
/// </summary>
public sealed class MetadataFilter
{
    /// <summary>Creates a filter from field/value pairs.</summary>
    public MetadataFilter(IReadOnlyDictionary<string, object?> conditions)
    {
        var clauses = new List<string>();
        var parameters = new List<object?>();
        foreach (var (field, value) in conditions)
        {
            var path = SqlLiteral(JsonPath(field));
            if (value is null)
            {
                clauses.Add($"json_extract(metadata, {path}) IS NULL");
                continue;
            }

            parameters.Add(ToSqlValue(field, value));
            clauses.Add($"json_extract(metadata, {path}) = ?{parameters.Count}");
        }

        WhereClause = clauses.Count == 0 ? "1" : string.Join(" AND ", clauses);
        Parameters = parameters;
    }

    /// <summary>The SQL condition, with numbered parameters ?1, ?2, …</summary>
    public string WhereClause { get; }

    /// <summary>The values of ?1, ?2, … (string, long or double).</summary>
    public IReadOnlyList<object?> Parameters { get; }

    private static string JsonPath(string field)
    {
        if (string.IsNullOrWhiteSpace(field))
        {
            throw ShardErrors.InvalidFilter(field, "the field name is empty");
        }

        var path = new StringBuilder("$");
        foreach (var segment in field.Split('.'))
        {
            if (segment.Length == 0 || segment.Contains('"'))
            {
                throw ShardErrors.InvalidFilter(field, "a path segment is empty or contains a double quote");
            }

            // Plain names unquoted, as an index expression would spell them ($.confidence).
            path.Append(IsPlainName(segment) ? $".{segment}" : $".\"{segment}\"");
        }

        return path.ToString();
    }

    private static bool IsPlainName(string segment) =>
        (char.IsAsciiLetter(segment[0]) || segment[0] == '_') && segment.All(c => char.IsAsciiLetterOrDigit(c) || c == '_');

    private static string SqlLiteral(string text) => "'" + text.Replace("'", "''", StringComparison.Ordinal) + "'";

    // json_extract returns JSON true/false as 1/0 and whole numbers as integers.
    private static object ToSqlValue(string field, object value) => value switch
    {
        string s => s,
        bool b => b ? 1L : 0L,
        sbyte or byte or short or ushort or int or uint or long => Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture),
        float or double or decimal => Convert.ToDouble(value, System.Globalization.CultureInfo.InvariantCulture),
        _ => throw ShardErrors.InvalidFilter(field, $"values of type {value.GetType().FullName} cannot be compared; use a string, number or boolean"),
    };
}
