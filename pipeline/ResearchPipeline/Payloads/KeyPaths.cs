using System.Globalization;
using System.Text;
using System.Text.Json;

namespace ResearchPipeline.Payloads;

/// <summary>
/// Builds key paths, the one way every table names a place in a request: object keys joined with '.', array
/// items as <c>[i]</c>, a key that would read as path syntax (<c>. [ ] "</c>, or empty) quoted as <c>["a.b"]</c>.
/// Decode names each field with it; identify names the field a byte offset falls in with it.
/// </summary>
public static class KeyPaths
{
    public static string Member(string parent, string key)
    {
        // A key that would read as path syntax is quoted, so that paths stay unambiguous.
        if (key.Length == 0 || key.AsSpan().IndexOfAny(".[]\"") >= 0)
        {
            var quoted = $"[\"{key.Replace("\"", "\\\"")}\"]";
            return parent.Length == 0 ? quoted : parent + quoted;
        }
        if (parent.Length == 0) return Interned.Of(key);
        return Joined(parent, ".", key);
    }

    public static string Item(string parent, int index)
    {
        Span<char> digits = stackalloc char[12];
        index.TryFormat(digits, out var n, provider: CultureInfo.InvariantCulture);
        return Joined(parent, "[", digits[..n], "]");
    }

    /// <summary>Paths repeat request after request: joined in a buffer and kept once (<see cref="Interned"/>).</summary>
    private static string Joined(ReadOnlySpan<char> a, ReadOnlySpan<char> b, ReadOnlySpan<char> c, ReadOnlySpan<char> d = default)
    {
        var length = a.Length + b.Length + c.Length + d.Length;
        if (length > Interned.MaxLength) return string.Concat(a, b, c, d);
        Span<char> buffer = stackalloc char[Interned.MaxLength];
        a.CopyTo(buffer);
        b.CopyTo(buffer[a.Length..]);
        c.CopyTo(buffer[(a.Length + b.Length)..]);
        d.CopyTo(buffer[(a.Length + b.Length + c.Length)..]);
        return Interned.Of(buffer[..length]);
    }

    /// <summary>
    /// A form or query key is kept as sent (<c>a[0]</c> stays <c>a[0]</c>), under its parent; an empty key
    /// (<c>?=</c>) is the empty key, <c>[""]</c>, as in JSON: a key path is never empty.
    /// </summary>
    public static string Raw(string parent, string key) => key.Length == 0 ? Member(parent, key) : parent.Length == 0 ? key : parent + "." + key;

    /// <summary>A header by its name in lower case (HTTP/2 sends them so; HTTP/1.1 names are case-insensitive).</summary>
    public static string Header(string name) => ReferenceMemo.Get(ref t_headers, 256, name, static n => HeaderOf(n));

    // Asked of every header of every request, which a capture's reader hands back as the same few strings (a HAR's,
    // RepeatedText): answered by the string itself before its letters are lowered and looked up.
    [ThreadStatic] private static (string? Name, string KeyPath)[]? t_headers;

    private static string HeaderOf(string name)
    {
        if (!name.AsSpan().ContainsAnyInRange('A', 'Z')) return Interned.Of(name);
        if (name.Length > Interned.MaxLength) return name.ToLowerInvariant();
        Span<char> lower = stackalloc char[name.Length];
        name.AsSpan().ToLowerInvariant(lower);
        return Interned.Of(lower);
    }

    /// <summary>A cookie by its name as sent; a nameless cookie (a bare value) as the empty key, <c>[""]</c>.</summary>
    public static string Cookie(string name) => Raw("", name);

    /// <summary>
    /// The key a value was sent under, for rules that go by parameter name: the last object key of the path
    /// (unquoted), that of the array an item belongs to for an item; "" at the root.
    /// </summary>
    public static string LastKey(string path)
    {
        var end = path.Length;
        // Array items belong to the array's key.
        while (end > 0 && path[end - 1] == ']' && path.LastIndexOf('[', end - 1) is var open and >= 0 && IsIndex(path.AsSpan(open + 1, end - open - 2))) end = open;
        if (end == 0) return "";
        if (path[end - 1] == ']' && end >= 2 && path[end - 2] == '"')
        {
            // ["a.b"]: find the opening ["; quotes inside are escaped as \".
            var open = path.LastIndexOf("[\"", end - 2, StringComparison.Ordinal);
            return open < 0 ? path[..end] : path[(open + 2)..(end - 2)].Replace("\\\"", "\"");
        }
        var dot = path.LastIndexOf('.', end - 1);
        return path[(dot + 1)..end];
    }

    /// <summary>
    /// <see cref="LastKey"/> as a slice of the path, for rules that only look the key up; a quoted key
    /// (<c>["a.b"]</c>, whose escapes must be undone) is the one case that makes a string.
    /// </summary>
    public static ReadOnlySpan<char> LastKeySpan(string path)
    {
        var end = path.Length;
        while (end > 0 && path[end - 1] == ']' && path.LastIndexOf('[', end - 1) is var open and >= 0 && IsIndex(path.AsSpan(open + 1, end - open - 2))) end = open;
        if (end == 0) return [];
        if (path[end - 1] == ']' && end >= 2 && path[end - 2] == '"') return LastKey(path);
        var dot = path.LastIndexOf('.', end - 1);
        return path.AsSpan((dot + 1)..end);
    }

    private static bool IsIndex(ReadOnlySpan<char> s)
    {
        if (s.IsEmpty) return false;
        foreach (var c in s)
        {
            if (!char.IsAsciiDigit(c)) return false;
        }
        return true;
    }

    /// <summary>
    /// The key paths of the JSON values or keys holding several byte offsets (ascending), in one pass over the
    /// JSON, named as <see cref="Member"/> and <see cref="Item"/> name them; null for an offset outside any key
    /// or value, or past invalid JSON.
    /// </summary>
    public static string?[] InJson(ReadOnlySpan<byte> json, IReadOnlyList<int> offsets)
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
                        if (Holds(start, reader.ValueSpan.Length + 2)) Assign(start, reader.ValueSpan.Length + 2, Current(frames, property, peek: true));
                        break;
                    case JsonTokenType.StartObject:
                    case JsonTokenType.StartArray:
                        Advance(frames);
                        frames.Add(new Frame(reader.TokenType == JsonTokenType.StartArray, Current(frames, property, peek: false)));
                        property = null;
                        break;
                    case JsonTokenType.EndObject:
                    case JsonTokenType.EndArray:
                        frames.RemoveAt(frames.Count - 1);
                        break;
                    default:
                        Advance(frames);
                        var length = reader.TokenType == JsonTokenType.String ? reader.ValueSpan.Length + 2 : reader.ValueSpan.Length;
                        if (Holds(start, length)) Assign(start, length, Current(frames, property, peek: false));
                        break;
                }
            }
        }
        catch (JsonException)
        {
        }
        return paths;

        bool Holds(int start, int length) => next < offsets.Count && offsets[next] >= start && offsets[next] < start + length;

        void Assign(int start, int length, string path)
        {
            while (Holds(start, length)) paths[next++] = path;
        }
    }

    private sealed class Frame(bool isArray, string path)
    {
        public bool IsArray { get; } = isArray;
        public string Path { get; } = path;
        public int Index { get; set; } = -1;
    }

    /// <summary>A value in an array is its next item.</summary>
    private static void Advance(List<Frame> frames)
    {
        if (frames.Count > 0 && frames[^1].IsArray) frames[^1].Index++;
    }

    /// <summary>The path of the current value in the innermost container (of the next one, for a key about to be read in an array).</summary>
    private static string Current(List<Frame> frames, string? property, bool peek)
    {
        if (frames.Count == 0) return "";
        var top = frames[^1];
        if (!top.IsArray) return Member(top.Path, property ?? "");
        return Item(top.Path, peek ? top.Index + 1 : top.Index);
    }
}
