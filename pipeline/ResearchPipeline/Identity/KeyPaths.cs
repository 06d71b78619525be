using System.Globalization;
using System.Text;
using System.Text.Json;

namespace ResearchPipeline.Identity;

/// <summary>
/// Names the place of a byte offset inside a request part the way a reader of the tables would look it up:
/// the parameter of a query or form body, the JSON key path of a JSON body (<c>custom_events[0]._eventName</c>).
/// </summary>
public static class KeyPaths
{
    public static string Offset(int offset) => "offset " + offset.ToString(CultureInfo.InvariantCulture);

    /// <summary>The name of the <c>name=value</c> pair of an <c>&amp;</c>-separated text that holds the offset.</summary>
    public static string FormParameter(ReadOnlySpan<byte> text, int offset)
    {
        var start = text[..offset].LastIndexOf((byte)'&') + 1;
        var end = text[start..].IndexOf((byte)'&');
        var pair = end < 0 ? text[start..] : text.Slice(start, end);
        var eq = pair.IndexOf((byte)'=');
        var name = eq < 0 ? pair : pair[..eq];
        return UnescapeForm(Encoding.UTF8.GetString(name));
    }

    /// <summary>A form name or value as the decode stage reads it (malformed % escapes kept as sent).</summary>
    public static string UnescapeForm(string s) => Payloads.FormUrlEncoding.Unescape(s);

    /// <summary>Whether a body reads as an HTML form (name=value pairs, no whitespace or control bytes).</summary>
    public static bool LooksLikeForm(ReadOnlySpan<byte> body, string? contentType)
    {
        if (contentType is not null && contentType.Contains("x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase)) return true;
        if (body.IndexOf((byte)'=') < 0) return false;
        foreach (var b in body)
        {
            if (b <= 0x20 || b >= 0x7f) return false;
        }
        return true;
    }

    public static bool LooksLikeJson(ReadOnlySpan<byte> body)
    {
        var trimmed = body.TrimStart(" \t\r\n"u8);
        return trimmed.Length > 0 && (trimmed[0] == (byte)'{' || trimmed[0] == (byte)'[');
    }

    /// <summary>The key path of the JSON value or key holding the offset; null when the body is not valid JSON there.</summary>
    public static string? JsonPath(ReadOnlySpan<byte> json, int offset) => JsonPaths(json, [offset])[0];

    /// <summary>
    /// The key paths of several offsets (ascending) in one pass over the JSON, so a body with many hits is
    /// read once, not once per hit; null for an offset outside any key or value, or past invalid JSON.
    /// </summary>
    public static string?[] JsonPaths(ReadOnlySpan<byte> json, IReadOnlyList<int> offsets)
    {
        var paths = new string?[offsets.Count];
        if (offsets.Count == 0) return paths;
        var frames = new List<Frame>();
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip, MaxDepth = 256 });
        string? property = null;
        var next = 0;
        try
        {
            while (next < offsets.Count && reader.Read())
            {
                var start = (int)reader.TokenStartIndex;
                // Offsets before this token fell between tokens (whitespace, punctuation): no path.
                while (next < offsets.Count && offsets[next] < start) next++;
                switch (reader.TokenType)
                {
                    case JsonTokenType.PropertyName:
                        property = reader.GetString();
                        Assign(start, reader.ValueSpan.Length + 2, Segment(frames, property, peek: true));
                        break;
                    case JsonTokenType.StartObject:
                    case JsonTokenType.StartArray:
                        frames.Add(new Frame(reader.TokenType == JsonTokenType.StartArray, Segment(frames, property, peek: false)));
                        property = null;
                        break;
                    case JsonTokenType.EndObject:
                    case JsonTokenType.EndArray:
                        frames.RemoveAt(frames.Count - 1);
                        break;
                    default:
                        var segment = Segment(frames, property, peek: false);
                        Assign(start, reader.TokenType == JsonTokenType.String ? reader.ValueSpan.Length + 2 : reader.ValueSpan.Length, segment);
                        break;
                }
            }
        }
        catch (JsonException)
        {
        }
        return paths;

        void Assign(int start, int length, string last)
        {
            string? path = null;
            while (next < offsets.Count && Within(offsets[next], start, length))
            {
                paths[next++] = path ??= Path(frames, last);
            }
        }
    }

    private static bool Within(int offset, int start, int length) => offset >= start && offset < start + length;

    private sealed class Frame(bool isArray, string segment)
    {
        public bool IsArray { get; } = isArray;
        public string Segment { get; } = segment;
        public int Index { get; set; } = -1;
    }

    /// <summary>The segment of the next value in the innermost container: its index in an array, its key in an object.</summary>
    private static string Segment(List<Frame> frames, string? property, bool peek)
    {
        if (frames.Count == 0) return "";
        var top = frames[^1];
        if (!top.IsArray) return property ?? "";
        if (peek) return "[" + (top.Index + 1).ToString(CultureInfo.InvariantCulture) + "]";
        top.Index++;
        return "[" + top.Index.ToString(CultureInfo.InvariantCulture) + "]";
    }

    private static string Path(List<Frame> frames, string last)
    {
        var sb = new StringBuilder();
        foreach (var seg in frames.Select(f => f.Segment).Append(last))
        {
            if (seg.Length == 0) continue;
            if (sb.Length > 0 && seg[0] != '[') sb.Append('.');
            sb.Append(seg);
        }
        return sb.Length == 0 ? "$" : sb.ToString();
    }
}
