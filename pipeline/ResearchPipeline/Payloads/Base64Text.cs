using System.Text;

namespace ResearchPipeline.Payloads;

/// <summary>
/// Recognises base64 strings that carry JSON, gzip or readable text. It must be confident: random tokens,
/// hashes and ids are also base64-alphabet strings, so a value is decoded only when it is long enough, uses
/// both letter cases, and its bytes are gzip, or strict UTF-8 that is JSON or plain readable text.
/// </summary>
public static class Base64Text
{
    public const int MinLength = 12;

    /// <summary>The bytes of a confident base64 value that are gzip or UTF-8 text; null for anything else.</summary>
    public static byte[]? TryDecode(string s)
    {
        if (s.Length < MinLength) return null;
        bool upper = false, lower = false, urlSafe = false, standard = false;
        var padding = 0;
        foreach (var c in s)
        {
            if (padding > 0 && c != '=') return null;
            if (c == '=') { padding++; continue; }
            if (c is >= 'A' and <= 'Z') upper = true;
            else if (c is >= 'a' and <= 'z') lower = true;
            else if (c is >= '0' and <= '9') { }
            else if (c is '+' or '/') standard = true;
            else if (c is '-' or '_') urlSafe = true;
            else return null;
        }
        if (!upper || !lower || (urlSafe && standard) || padding > 2) return null;
        if (!urlSafe && s.Length % 4 != 0) return null;
        // Most base64-looking values are tokens and hashes whose bytes are neither gzip nor UTF-8: they are
        // decoded into a pooled buffer and dropped there; only a value worth reading gets an array of its own.
        var chars = System.Buffers.ArrayPool<char>.Shared.Rent(s.Length + 3);
        var bytes = System.Buffers.ArrayPool<byte>.Shared.Rent(s.Length);
        try
        {
            var n = s.AsSpan().TrimEnd('=').Length;
            s.AsSpan(0, n).CopyTo(chars);
            if (urlSafe) chars.AsSpan(0, n).Replace('-', '+');
            if (urlSafe) chars.AsSpan(0, n).Replace('_', '/');
            while (n % 4 != 0) chars[n++] = '=';
            if (!Convert.TryFromBase64Chars(chars.AsSpan(0, n), bytes, out var written)) return null;
            var decoded = bytes.AsSpan(0, written);
            if (!ContentDecoding.IsGzip(decoded) && !System.Text.Unicode.Utf8.IsValid(decoded)) return null;
            return decoded.ToArray();
        }
        finally
        {
            System.Buffers.ArrayPool<char>.Shared.Return(chars);
            System.Buffers.ArrayPool<byte>.Shared.Return(bytes);
        }
    }

    /// <summary>Strict UTF-8 text that a person could read (no control characters, mostly words and punctuation).</summary>
    public static string? ReadableText(ReadOnlySpan<byte> bytes)
    {
        string text;
        try { text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes); }
        catch (DecoderFallbackException) { return null; }
        if (text.Length < 6) return null;
        var plain = 0;
        foreach (var c in text)
        {
            if (char.IsControl(c) && c is not ('\n' or '\r' or '\t')) return null;
            if (char.IsLetterOrDigit(c) || c is ' ' or '.' or ',' or ':' or '_' or '-' or '/' or '{' or '}' or '"' or '[' or ']') plain++;
        }
        return plain * 10 >= text.Length * 9 ? text : null;
    }
}
