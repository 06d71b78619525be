using System.Text;

namespace ResearchPipeline.Payloads;

/// <summary>
/// <c>application/x-www-form-urlencoded</c> and URL query strings, read leniently: repeated keys are all kept
/// in order, empty pairs (the Android SDK's trailing <c>&amp;</c>) are skipped, <c>+</c> is a space, and a
/// <c>%</c> not followed by two hex digits is kept as a literal <c>%</c> instead of failing the whole body.
/// </summary>
public static class FormUrlEncoding
{
    public readonly record struct Pair(string Key, string Value);

    public static List<Pair> Parse(string text)
    {
        var pairs = new List<Pair>();
        foreach (var part in text.Split('&'))
        {
            if (part.Length == 0) continue;
            var eq = part.IndexOf('=');
            var key = Unescape(eq < 0 ? part : part[..eq]);
            var value = eq < 0 ? "" : Unescape(part[(eq + 1)..]);
            pairs.Add(new Pair(key, value));
        }
        return pairs;
    }

    public static string Unescape(string s)
    {
        if (s.IndexOfAny(['%', '+']) < 0) return s;
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
                    n += Encoding.UTF8.GetBytes(s.AsSpan(i, char.IsHighSurrogate(c) && i + 1 < s.Length ? 2 : 1), bytes.AsSpan(n));
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
