using System.Collections;
using System.Globalization;
using System.Management.Automation;
using VectorShard.Core;

namespace VectorShard.PowerShell;

/// <summary>
/// Turns what PowerShell users pass as a vector into float[]: a float[] as it is, any list of numbers,
/// or an object with a Vector (or Embedding) property, such as a record from Get-Vector.
/// </summary>
internal static class VectorArgument
{
    private static readonly string[] VectorPropertyNames = ["Vector", "Embedding"];

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

        if (value is not null)
        {
            var properties = PSObject.AsPSObject(value).Properties;
            foreach (var name in VectorPropertyNames)
            {
                if (properties[name] is { } property)
                {
                    return ToFloats(property.Value, row);
                }
            }
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
