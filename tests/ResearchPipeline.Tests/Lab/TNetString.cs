using System.Text;

namespace ResearchPipeline.Tests.Lab;

/// <summary>
/// A minimal reader of tnetstrings (<c>length:data</c> + type byte), the container of mitmproxy flow files,
/// so these tests can check the recorded flow files without the pipeline's own flow reader.
/// Dictionaries become Dictionary&lt;string, object?&gt;, byte strings byte[], unicode strings string.
/// </summary>
internal static class TNetString
{
    public static List<object?> ReadAll(byte[] bytes)
    {
        var values = new List<object?>();
        var position = 0;
        while (position < bytes.Length) values.Add(Read(bytes, ref position));
        return values;
    }

    private static object? Read(byte[] bytes, ref int position)
    {
        var colon = Array.IndexOf(bytes, (byte)':', position);
        if (colon < 0 || colon - position > 12) throw new FormatException($"no length prefix at byte {position}");
        var length = int.Parse(Encoding.ASCII.GetString(bytes, position, colon - position), System.Globalization.CultureInfo.InvariantCulture);
        var start = colon + 1;
        var end = start + length;
        if (end >= bytes.Length) throw new FormatException($"value at byte {position} runs past the end");
        var data = bytes.AsSpan(start, length);
        var type = (char)bytes[end];
        position = end + 1;
        switch (type)
        {
            case ',': return data.ToArray();
            case ';': return Encoding.UTF8.GetString(data);
            case '#': return long.Parse(data, provider: System.Globalization.CultureInfo.InvariantCulture);
            case '^': return double.Parse(Encoding.ASCII.GetString(data), System.Globalization.CultureInfo.InvariantCulture);
            case '!': return data.SequenceEqual("true"u8);
            case '~': return null;
            case ']':
            {
                var list = new List<object?>();
                var inner = start;
                while (inner < end) list.Add(Read(bytes, ref inner));
                return list;
            }
            case '}':
            {
                var dict = new Dictionary<string, object?>(StringComparer.Ordinal);
                var inner = start;
                while (inner < end)
                {
                    var key = Read(bytes, ref inner);
                    var keyText = key as string ?? Encoding.UTF8.GetString((byte[])key!);
                    dict[keyText] = Read(bytes, ref inner);
                }
                return dict;
            }
            default: throw new FormatException($"unknown tnetstring type '{type}' at byte {end}");
        }
    }

    public static string Text(object? value) => value switch
    {
        byte[] b => Encoding.UTF8.GetString(b),
        string s => s,
        _ => throw new FormatException($"expected a string, found {value?.GetType().Name ?? "null"}"),
    };
}
