using System.Collections;
using System.Globalization;
using System.Management.Automation;
using VectorShard.Core;

namespace VectorShard.PowerShell;

/// <summary>
/// Turns what PowerShell users pass as a vector into float[]: a float[] as it is, any list of numbers,
/// or an object (or hashtable) with a Vector (or Embedding) property, such as a record from Get-Vector.
/// </summary>
internal static class VectorArgument
{
    private static readonly string[] VectorPropertyNames = ["Vector", "Embedding"];

    /// <summary>Whether <paramref name="value"/> is a list of numbers as it stands, not an object that carries one.</summary>
    public static bool IsList(object? value) =>
        (value is PSObject wrapped ? wrapped.BaseObject : value) is float[] or double[] or (IList and not IDictionary);

    /// <summary>The value of an object's Vector (or Embedding) property or a dictionary's Vector (or Embedding) key.</summary>
    public static bool TryGetVector(object value, out object? vector)
    {
        foreach (var name in VectorPropertyNames)
        {
            if (TryGetMember(value, name, out vector))
            {
                return true;
            }
        }

        vector = null;
        return false;
    }

    /// <summary>
    /// The value of a property of an object, or of a key of a dictionary (any case of the name, as
    /// PowerShell's hashtables and property names are case-insensitive).
    /// </summary>
    public static bool TryGetMember(object value, string name, out object? member)
    {
        if ((value is PSObject wrapped ? wrapped.BaseObject : value) is IDictionary dictionary)
        {
            if (dictionary.Contains(name))
            {
                member = dictionary[name];
                return true;
            }

            // A case-sensitive dictionary (a .NET Dictionary; @{} and [ordered] are not): find the name in any case.
            foreach (DictionaryEntry entry in dictionary)
            {
                if (entry.Key is string key && string.Equals(key, name, StringComparison.OrdinalIgnoreCase))
                {
                    member = entry.Value;
                    return true;
                }
            }

            member = null;
            return false;
        }

        var property = PSObject.AsPSObject(value).Properties[name];
        member = property?.Value;
        return property is not null;
    }

    public static float[] ToFloats(object? value, string row)
    {
        var item = value is PSObject wrapped ? wrapped.BaseObject : value;
        switch (item)
        {
            case float[] floats:
                return floats;
            case double[] doubles:
                return Array.ConvertAll(doubles, d => (float)d);
            case string:
                throw ShardErrors.NotAVector(row, value);
            case IList list:
                var vector = new float[list.Count];
                for (var i = 0; i < vector.Length; i++)
                {
                    vector[i] = ToFloat(list[i], row, i);
                }

                return vector;
        }

        if (value is not null && TryGetVector(value, out var member))
        {
            return ToFloats(member, row);
        }

        throw ShardErrors.NotAVector(row, value);
    }

    private static float ToFloat(object? component, string row, int index)
    {
        var item = component is PSObject wrapped ? wrapped.BaseObject : component;
        return item switch
        {
            float f => f,
            double or decimal or sbyte or byte or short or ushort or int or uint or long or ulong =>
                Convert.ToSingle(item, CultureInfo.InvariantCulture),
            _ => throw ShardErrors.NotNumeric(row, index, component),
        };
    }
}
