using System.Security.Cryptography;
using System.Text;

namespace ResearchPipeline.Identity;

/// <summary>What a needle stands for: which known value, and the transform that turns the value into the needle.</summary>
public sealed record KnownValueForm(KnownValue Value, string Transform, string Text);

/// <summary>
/// The forms in which an app or SDK may send a known value, each as the bytes that would be on the wire:
/// as it is (any letter case), without dashes, URL-encoded, base64 (standard and URL-safe), and the
/// MD5, SHA-1 and SHA-256 of the normalised value in hex (any case) and base64.
/// </summary>
public static class KnownValueNeedles
{
    /// <summary>Values shorter than this are only looked for as they are: their encodings are too short to be evidence.</summary>
    public const int MinEncodedValueLength = 6;

    public static IEnumerable<Needle<KnownValueForm>> For(IEnumerable<KnownValue> values)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var value in values)
        {
            foreach (var (transform, text, ignoreCase) in Forms(value))
            {
                if (text.Length == 0) continue;
                // The same bytes reached two ways count once, under the simpler transform (listed first).
                var key = (ignoreCase ? text.ToLowerInvariant() : text) + "\u0000" + ignoreCase;
                if (!seen.Add(value.Kind + "\u0000" + key)) continue;
                yield return new Needle<KnownValueForm>(Encoding.UTF8.GetBytes(ignoreCase ? text.ToLowerInvariant() : text), ignoreCase, new KnownValueForm(value, transform, text));
            }
        }
    }

    private static IEnumerable<(string Transform, string Text, bool IgnoreCase)> Forms(KnownValue value)
    {
        var plain = value.Value;
        yield return ("plain", plain, true);
        if (value.Kind == IdentityKinds.Phone && value.Normalised.Length > 0 && value.Normalised != plain)
            yield return ("digits", value.Normalised, true);
        if (plain.Contains('-')) yield return ("no_dashes", plain.Replace("-", ""), true);
        // Locales travel as en_US (Java, Meta's extinfo) and as en-US (BCP 47, Accept-Language).
        if (value.Kind == IdentityKinds.Locale && plain.Contains('_')) yield return ("hyphen", plain.Replace('_', '-'), true);
        if (value.Kind == IdentityKinds.Locale && plain.Contains('-')) yield return ("underscore", plain.Replace('-', '_'), true);
        if (plain.Length < MinEncodedValueLength) yield break;

        var url = Uri.EscapeDataString(plain);
        if (url != plain) yield return ("url", url, true);
        // Android's org.json escapes '/' inside strings (extinfo sends "Europe\/Berlin"), often inside a form body.
        var json = plain.Replace("\\", "\\\\").Replace("\"", "\\\"").Replace("/", "\\/");
        if (json != plain)
        {
            yield return ("json_escaped", json, true);
            yield return ("json_escaped>url", Uri.EscapeDataString(json), true);
        }
        var bytes = Encoding.UTF8.GetBytes(plain);
        // Unpadded, so padded and unpadded encodings both match.
        var b64 = Convert.ToBase64String(bytes).TrimEnd('=');
        yield return ("base64", b64, false);
        var b64Url = b64.Replace('+', '-').Replace('/', '_');
        if (b64Url != b64) yield return ("base64url", b64Url, false);

        var normalised = Encoding.UTF8.GetBytes(value.Normalised);
        if (normalised.Length == 0) yield break;
        foreach (var (name, digest) in new[] { ("md5", MD5.HashData(normalised)), ("sha1", SHA1.HashData(normalised)), ("sha256", SHA256.HashData(normalised)) })
        {
            yield return (name, Convert.ToHexStringLower(digest), true);
            var d64 = Convert.ToBase64String(digest).TrimEnd('=');
            yield return (name + "_base64", d64, false);
            var d64Url = d64.Replace('+', '-').Replace('/', '_');
            if (d64Url != d64) yield return (name + "_base64url", d64Url, false);
        }
    }

    /// <summary>
    /// The transform as published: the needle's own name when the bytes are exactly the needle, with the
    /// letter case the sender used appended otherwise ("upper", "lower", "mixed_case"; for a plain value the
    /// case alone: "upper" rather than "plain>upper").
    /// </summary>
    public static string Describe(KnownValueForm form, ReadOnlySpan<byte> found)
    {
        var text = Encoding.UTF8.GetString(found);
        if (text == form.Text) return form.Transform;
        var caseName = text == text.ToUpperInvariant() ? "upper" : text == text.ToLowerInvariant() ? "lower" : "mixed_case";
        return form.Transform == "plain" ? caseName : form.Transform + ">" + caseName;
    }
}
