using System.Text.RegularExpressions;

namespace ResearchPipeline.Privacy;

/// <summary>
/// A key whose identifier-shaped values are published as sent, and why: they name content, a build or a
/// moment, not a device, install or person.
/// </summary>
public sealed record ShapeExemption(string KeyPattern, string Reason)
{
    internal Regex Pattern { get; } = new($"^(?:{KeyPattern})$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);
}

/// <summary>
/// Values that look like identifiers although no adapter names their key: UUIDs, long hex digests and
/// base64 or base64url tokens long and varied enough to be random. A tracker the adapters do not know still
/// sends its device, install and user IDs in these shapes, so they are pseudonymised unless an
/// <see cref="Exemptions">exemption</see> says what else they are.
/// </summary>
public static class IdentifierShapes
{
    /// <summary>Hex shorter than this is a colour, a short hash prefix or a counter more often than an ID.</summary>
    public const int MinHexLength = 16;

    /// <summary>A base64 token shorter than this is as often a word, a code or a slug.</summary>
    public const int MinBase64Length = 20;

    /// <summary>
    /// Bits of Shannon entropy per character a base64 token needs: random base64 of 20 characters has about 4;
    /// CamelCase words and constants (<c>ApplicationDidBecomeActive</c>) stay near or below 3.5.
    /// </summary>
    public const double MinBase64Entropy = 3.6;

    /// <summary>Bits per character a hex run needs; a random one of 16 digits has about 3.4, <c>0000000000000001</c> none.</summary>
    public const double MinHexEntropy = 2.8;

    /// <summary>Keys (the last segment of a key path) whose identifier-shaped values are not identifiers.</summary>
    public static readonly IReadOnlyList<ShapeExemption> Exemptions =
    [
        new("(content_)?(hash|md5|sha1|sha256|sha512|checksum|digest|etag|integrity|crc32?)", "a hash of content (a file, a body, a script) is the same for every user"),
        new("(app_|sdk_|lib_|os_|build_)?(version|ver|v|build|build_id|build_uuid|commit|revision|sdkv)", "a version, build or commit names software, not who runs it"),
        new("(request|trace|span|correlation|message|event|batch|log)_?id", "names one request or event, made anew for each; links nothing beyond it"),
        new("(ts|timestamp|time|date|created_at|sent_at|expires)", "a moment, not a person"),
        new("(mapping|dsym|proguard|symbol)_?(id|uuid|file)?", "names the debug symbols of a build (crash reporters)"),
        new("x-android-cert|x-ios-bundle-identifier", "the digest of the app's signing certificate (Google APIs): the same for every install of the app"),
        new("callback|jsonp|jsoncallback", "a JavaScript function name the page made up for one response (JSONP)"),
    ];

    private static readonly Payloads.BoundedCache<string, ShapeExemption?> ExemptionCache = new(4096, StringComparer.Ordinal);
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, ShapeExemption?>.AlternateLookup<ReadOnlySpan<char>> ExemptionsByKey =
        ExemptionCache.Known.GetAlternateLookup<ReadOnlySpan<char>>();

    /// <summary>Whether a value of this key is pseudonymised for its shape: it looks like an identifier and no exemption covers the key.</summary>
    public static bool Pseudonymise(string keyPath, string? value) =>
        value is not null && LooksLikeIdentifier(value) && Exemption(keyPath) is null;

    /// <summary>The exemption that covers a key path's last key, or null.</summary>
    public static ShapeExemption? Exemption(string keyPath)
    {
        var last = keyPath.AsSpan(keyPath.LastIndexOfAny(['.', ']', '/']) + 1);
        var bracket = last.IndexOf('[');
        if (bracket > 0) last = last[..bracket];
        // Keys recur request after request, and each would be put to every exemption's pattern.
        if (ExemptionsByKey.TryGetValue(last, out var known)) return known;
        var key = last.ToString();
        ShapeExemption? found = null;
        foreach (var e in Exemptions)
        {
            if (!e.Pattern.IsMatch(key)) continue;
            found = e;
            break;
        }
        ExemptionCache.Remember(key, found);
        return found;
    }

    public static bool LooksLikeIdentifier(string value)
    {
        if (value.Length < MinHexLength || value.Length > 512) return false;
        if (IsUuid(value)) return true;
        if (IsHex(value)) return HasLettersAndDigits(value) && Entropy(value) >= MinHexEntropy;
        if (value.Length >= MinBase64Length && IsBase64(value))
        {
            var body = value.AsSpan().TrimEnd('=');
            return body.ContainsAnyInRange('A', 'Z') && body.ContainsAnyInRange('a', 'z') && body.ContainsAnyInRange('0', '9')
                && Entropy(body) >= MinBase64Entropy;
        }
        return false;
    }

    // The shapes below were patterns, anchored at both ends; they are read here character by character instead (every
    // value of every request is asked, and two workers asking one pattern take turns at its one cached runner). As
    // the patterns' end anchor did, each shape allows one line break after it. ValueShapesTests holds them to the patterns.

    /// <summary>A UUID, in braces or not: 8-4-4-4-12 hexadecimal digits.</summary>
    internal static bool IsUuid(ReadOnlySpan<char> value)
    {
        value = BeforeFinalLineBreak(value);
        if (value.StartsWith('{')) value = value[1..];
        if (value.EndsWith('}')) value = value[..^1];
        if (value.Length != 36) return false;
        for (var i = 0; i < value.Length; i++)
        {
            if (i is 8 or 13 or 18 or 23 ? value[i] != '-' : !char.IsAsciiHexDigit(value[i])) return false;
        }
        return true;
    }

    /// <summary>Hexadecimal digits only.</summary>
    internal static bool IsHex(ReadOnlySpan<char> value)
    {
        value = BeforeFinalLineBreak(value);
        return !value.IsEmpty && !value.ContainsAnyExcept(HexDigits);
    }

    /// <summary>Base64 of one alphabet, standard or URL-safe, with at most two padding characters.</summary>
    internal static bool IsBase64(ReadOnlySpan<char> value)
    {
        value = BeforeFinalLineBreak(value);
        var body = value.TrimEnd('=');
        return !body.IsEmpty && value.Length - body.Length <= 2 && (!body.ContainsAnyExcept(Base64Standard) || !body.ContainsAnyExcept(Base64UrlSafe));
    }

    private static ReadOnlySpan<char> BeforeFinalLineBreak(ReadOnlySpan<char> value) => value.EndsWith('\n') ? value[..^1] : value;

    private static readonly System.Buffers.SearchValues<char> HexDigits = System.Buffers.SearchValues.Create("0123456789abcdefABCDEF");
    private static readonly System.Buffers.SearchValues<char> Base64Standard =
        System.Buffers.SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/");
    private static readonly System.Buffers.SearchValues<char> Base64UrlSafe =
        System.Buffers.SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-");

    private static bool HasLettersAndDigits(string value) =>
        value.AsSpan().ContainsAnyInRange('0', '9') && (value.AsSpan().ContainsAnyInRange('a', 'z') || value.AsSpan().ContainsAnyInRange('A', 'Z'));

    /// <summary>Shannon entropy of the characters, in bits per character.</summary>
    public static double Entropy(string value) => Entropy(value.AsSpan());

    public static double Entropy(ReadOnlySpan<char> value)
    {
        Span<int> counts = stackalloc int[128];
        var n = 0;
        foreach (var c in value)
        {
            if (c >= 128) continue;
            counts[c]++;
            n++;
        }
        if (n == 0) return 0;
        var h = 0.0;
        foreach (var count in counts)
        {
            if (count == 0) continue;
            var p = (double)count / n;
            h -= p * Math.Log2(p);
        }
        return h;
    }
}
