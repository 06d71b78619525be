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
        var b64 = urlSafe ? s.TrimEnd('=').Replace('-', '+').Replace('_', '/') : s.TrimEnd('=');
        b64 = b64.PadRight(b64.Length + (4 - b64.Length % 4) % 4, '=');
        var bytes = new byte[b64.Length * 3 / 4];
        if (!Convert.TryFromBase64String(b64, bytes, out var n)) return null;
        Array.Resize(ref bytes, n);
        return bytes;
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
