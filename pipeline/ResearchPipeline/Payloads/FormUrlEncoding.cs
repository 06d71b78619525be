using System.Text;

namespace ResearchPipeline.Payloads;

/// <summary>
/// <c>application/x-www-form-urlencoded</c> and URL query strings, read leniently: repeated keys are all kept
/// in order, empty pairs (the Android SDK's trailing <c>&amp;</c>) are skipped, <c>+</c> is a space, and a
/// <c>%</c> not followed by two hex digits is kept as a literal <c>%</c> instead of failing the whole body.
/// </summary>
public static class FormUrlEncoding
{
    /// <summary>
    /// One <c>name=value</c> pair, unescaped, and where it stands in the text it was read from: the pair spans
    /// <c>[Start, End)</c> and its value as sent <c>[ValueStart, End)</c> (still URL-encoded, as a published URL shows it).
    /// </summary>
    public readonly record struct Pair(string Key, string Value, int Start, int ValueStart, int End)
    {
        public ReadOnlySpan<char> RawValue(string text) => text.AsSpan(ValueStart, End - ValueStart);
    }

    /// <summary>The pairs of a query or form body, in order; the only place a form text is split at '&amp;'.</summary>
    public static List<Pair> Parse(string text)
    {
        // Sized once: a list grown pair by pair copied its pairs (two strings each) at every doubling.
        var pairs = new List<Pair>(text.AsSpan().Count('&') + 1);
        var start = 0;
        while (start <= text.Length)
        {
            var amp = text.IndexOf('&', start);
            var end = amp < 0 ? text.Length : amp;
            if (end > start)
            {
                var eq = text.IndexOf('=', start, end - start);
                var key = Name(text.AsSpan(start, (eq < 0 ? end : eq) - start));
                var value = eq < 0 ? "" : Unescape(text.AsSpan((eq + 1)..end));
                pairs.Add(new Pair(key, value, start, eq < 0 ? end : eq + 1, end));
            }
            if (amp < 0) break;
            start = amp + 1;
        }
        return pairs;
    }

    /// <summary>The pair of <paramref name="pairs"/> (read from a text) that holds the character at <paramref name="offset"/>, if any.</summary>
    public static Pair? At(List<Pair> pairs, int offset)
    {
        foreach (var p in pairs)
        {
            if (offset >= p.Start && offset < p.End) return p;
        }
        return null;
    }

    /// <summary>A pair's new value, given its unescaped name and its value as sent; null keeps it.</summary>
    public delegate string? PairReplacement(string name, ReadOnlySpan<char> rawValue);

    /// <summary>
    /// The text with each pair's value replaced where <paramref name="replace"/> gives a new one (given the
    /// unescaped name and the value as sent); everything else, separators and empty pairs included, kept as sent.
    /// </summary>
    public static string Rewrite(string text, PairReplacement replace) => text.Length == 0 ? text : Rewrite(text, Parse(text), replace);

    /// <summary>
    /// <see cref="Rewrite(string, PairReplacement)"/> over the pairs already parsed from the text (a request
    /// view's): no copy of the text, and no string per value, unless a value is replaced.
    /// </summary>
    public static string Rewrite(string text, List<Pair> pairs, PairReplacement replace)
    {
        StringBuilder? sb = null;
        var at = 0;
        foreach (var p in pairs)
        {
            if (p.ValueStart == p.End && (p.ValueStart == p.Start || text[p.ValueStart - 1] != '=')) continue;
            if (replace(p.Key, p.RawValue(text)) is not { } value) continue;
            (sb ??= new StringBuilder(text.Length)).Append(text, at, p.ValueStart - at).Append(value);
            at = p.End;
        }
        return sb is null ? text : sb.Append(text, at, text.Length - at).ToString();
    }

    public static string Unescape(string s) => s.AsSpan().IndexOfAny('%', '+') < 0 ? s : Unescape(s.AsSpan());

    /// <summary>A parameter name, unescaped: names repeat request after request, so each is kept once (<see cref="Interned"/>).</summary>
    private static string Name(ReadOnlySpan<char> s) => s.IndexOfAny('%', '+') < 0 ? Interned.Of(s) : Interned.Of(Unescape(s));

    public static string Unescape(ReadOnlySpan<char> s)
    {
        if (s.IndexOfAny('%', '+') < 0) return new string(s);
        // A char gives at most three bytes (a pair of surrogates four): one pooled buffer, not a growing list.
        var bytes = System.Buffers.ArrayPool<byte>.Shared.Rent(3 * s.Length);
        try
        {
            var n = 0;
            for (var i = 0; i < s.Length; i++)
            {
                var c = s[i];
                if (c == '+') bytes[n++] = (byte)' ';
                else if (c == '%' && i + 2 < s.Length && IsHex(s[i + 1]) && IsHex(s[i + 2]))
                {
                    bytes[n++] = (byte)(Hex(s[i + 1]) * 16 + Hex(s[i + 2]));
                    i += 2;
                }
                else if (c < 0x80) bytes[n++] = (byte)c;
                else
                {
                    n += Encoding.UTF8.GetBytes(s.Slice(i, char.IsHighSurrogate(c) && i + 1 < s.Length ? 2 : 1), bytes.AsSpan(n));
                    if (char.IsHighSurrogate(c) && i + 1 < s.Length) i++;
                }
            }
            return Encoding.UTF8.GetString(bytes, 0, n);
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(bytes);
        }
    }

    /// <summary>
    /// True when text reads as key=value pairs: no whitespace or control characters, and the first pair has a
    /// non-empty key before '='. Used to recognise form bodies whose Content-Type is missing or wrong.
    /// </summary>
    public static bool LooksLikeForm(string text)
    {
        if (text.Length == 0) return false;
        foreach (var c in text)
        {
            if (char.IsWhiteSpace(c) && c != '\n' || char.IsControl(c) && c != '\n') return false;
        }
        var trimmed = text.TrimEnd('\n');
        var firstAmp = trimmed.IndexOf('&');
        var first = firstAmp < 0 ? trimmed : trimmed[..firstAmp];
        var eq = first.IndexOf('=');
        return eq > 0 && first.AsSpan(0, eq).IndexOfAny("{}[]\"") < 0;
    }

    private static bool IsHex(char c) => char.IsAsciiHexDigit(c);

    private static int Hex(char c) => c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
}
