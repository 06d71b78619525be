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
public static partial class IdentifierShapes
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

    /// <summary>Whether a value of this key is pseudonymised for its shape: it looks like an identifier and no exemption covers the key.</summary>
    public static bool Pseudonymise(string keyPath, string? value) =>
        value is not null && LooksLikeIdentifier(value) && Exemption(keyPath) is null;

    /// <summary>The exemption that covers a key path's last key, or null.</summary>
    public static ShapeExemption? Exemption(string keyPath)
    {
        var last = keyPath[(keyPath.LastIndexOfAny(['.', ']', '/']) + 1)..];
        var bracket = last.IndexOf('[');
        if (bracket > 0) last = last[..bracket];
        foreach (var e in Exemptions) if (e.Pattern.IsMatch(last)) return e;
        return null;
    }

    public static bool LooksLikeIdentifier(string value)
    {
        if (value.Length < MinHexLength || value.Length > 512) return false;
        if (Uuid().IsMatch(value)) return true;
        if (Hex().IsMatch(value)) return HasLettersAndDigits(value) && Entropy(value) >= MinHexEntropy;
        if (value.Length >= MinBase64Length && Base64().IsMatch(value))
        {
            var body = value.AsSpan().TrimEnd('=');
            return body.ContainsAnyInRange('A', 'Z') && body.ContainsAnyInRange('a', 'z') && body.ContainsAnyInRange('0', '9')
                && Entropy(body) >= MinBase64Entropy;
        }
        return false;
    }

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

    [GeneratedRegex(@"^\{?[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\}?$", RegexOptions.CultureInvariant)]
    private static partial Regex Uuid();

    [GeneratedRegex(@"^[0-9a-fA-F]+$", RegexOptions.CultureInvariant)]
    private static partial Regex Hex();

    // Standard or URL-safe alphabet, optional padding; one alphabet per token.
    [GeneratedRegex(@"^(?:[A-Za-z0-9+/]+|[A-Za-z0-9_-]+)={0,2}$", RegexOptions.CultureInvariant)]
    private static partial Regex Base64();
}
