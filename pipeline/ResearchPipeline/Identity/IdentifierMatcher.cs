using System.Text;
using ResearchPipeline.Captures;
using ResearchPipeline.Payloads;

namespace ResearchPipeline.Identity;

/// <summary>
/// One known device value found in a request: which value (<paramref name="Identity"/>: advertising_id,
/// email...), where (<paramref name="Location"/>: query, path, header, cookie, body; <paramref name="KeyPath"/>:
/// parameter, header, cookie or JSON key, else byte offset), and how it was sent (<paramref name="Transform"/>:
/// plain, upper, url, base64, sha256...; a body's content coding comes first, as in "gzip>sha256").
/// </summary>
public sealed record IdentifierMatch(int Ordinal, string Identity, string Location, string KeyPath, string Transform, string Host);

/// <summary>
/// The identify stage for one device: finds the device's known values, in every form
/// <see cref="KnownValueNeedles"/> lists, anywhere in a request. It is how a tracker no decoder knows is
/// still caught sending the advertising ID. Built once per device; immutable and thread-safe.
/// </summary>
public sealed class IdentifierMatcher
{
    private readonly NeedleSearch<KnownValueForm> _search;
    private readonly long _maxBodyBytes;

    public IdentifierMatcher(DeviceProfile device, ReadLimits limits)
    {
        Device = device;
        _search = new NeedleSearch<KnownValueForm>(KnownValueNeedles.For(device.Values));
        _maxBodyBytes = limits.MaxBodyBytes;
    }

    public DeviceProfile Device { get; }

    public int NeedleCount => _search.Needles.Count;

    /// <summary>Every known value in the request, once per (identity, location, key path, transform), in a fixed order.</summary>
    public List<IdentifierMatch> Find(Exchange exchange)
    {
        var found = new SortedSet<(string Identity, string Location, string KeyPath, string Transform)>();
        var hits = new List<NeedleHit>();
        var host = exchange.Target.Host;

        Scan(Encoding.UTF8.GetBytes(exchange.Target.Query), "query", "", (bytes, offset) => KeyPaths.FormParameter(bytes, offset));
        Scan(Encoding.UTF8.GetBytes(exchange.Target.Path), "path", "", (_, offset) => KeyPaths.Offset(offset));
        foreach (var h in exchange.RequestHeaders)
        {
            if (h.Name.Equals("Cookie", StringComparison.OrdinalIgnoreCase))
            {
                foreach (var (name, value) in CookiePairs(h.Value)) Scan(Encoding.UTF8.GetBytes(value), "cookie", "", (_, _) => name);
            }
            else
            {
                Scan(Encoding.UTF8.GetBytes(h.Value), "header", "", (_, _) => h.Name);
            }
        }
        foreach (var c in exchange.RequestCookies) Scan(Encoding.UTF8.GetBytes(c.Value), "cookie", "", (_, _) => c.Name);

        var contentType = exchange.RequestHeader("Content-Type");
        ScanBody(exchange.RequestBody.Span, "", contentType);
        if (ContentDecoding.TryUndo(exchange.RequestBody, exchange.RequestHeader("Content-Encoding"), _maxBodyBytes) is { } decoded)
            ScanBody(decoded.Bytes, decoded.Coding + ">", contentType);

        return found.Select(f => new IdentifierMatch(exchange.Ordinal, f.Identity, f.Location, f.KeyPath, f.Transform, host)).ToList();

        void ScanBody(ReadOnlySpan<byte> body, string prefix, string? type)
        {
            if (body.IsEmpty) return;
            var json = KeyPaths.LooksLikeJson(body);
            var form = !json && KeyPaths.LooksLikeForm(body, type);
            if (!json)
            {
                Scan(body, "body", prefix, (bytes, offset) => form ? KeyPaths.FormParameter(bytes, offset) : KeyPaths.Offset(offset));
                return;
            }
            // JSON key paths for all hits in one pass over the body.
            var kept = Hits(body);
            var paths = KeyPaths.JsonPaths(body, kept.Select(h => h.Start).ToList());
            for (var i = 0; i < kept.Count; i++)
                Add(body, kept[i], "body", prefix, paths[i] ?? KeyPaths.Offset(kept[i].Start));
        }

        void Scan(ReadOnlySpan<byte> haystack, string location, string prefix, KeyPathOf keyPath)
        {
            foreach (var hit in Hits(haystack)) Add(haystack, hit, location, prefix, keyPath(haystack, hit.Start));
        }

        List<NeedleHit> Hits(ReadOnlySpan<byte> haystack)
        {
            hits.Clear();
            if (!haystack.IsEmpty) _search.Search(haystack, hits);
            var kept = new List<NeedleHit>(hits.Count);
            foreach (var hit in hits)
            {
                if (StandsAlone(haystack, hit.Start, hit.Length)) kept.Add(hit);
            }
            kept.Sort((a, b) => a.Start.CompareTo(b.Start));
            return kept;
        }

        void Add(ReadOnlySpan<byte> haystack, NeedleHit hit, string location, string prefix, string keyPath)
        {
            var form = _search.Needles[hit.Needle].Tag;
            var transform = prefix + KnownValueNeedles.Describe(form, haystack.Slice(hit.Start, hit.Length));
            found.Add((form.Value.Kind, location, keyPath, transform));
        }
    }

    private delegate string KeyPathOf(ReadOnlySpan<byte> haystack, int offset);

    /// <summary>
    /// A value counts only where it is not part of a longer word or number ("11" in "1180" is not the OS
    /// version, a hash inside a longer hex run is not the hash). A preceding %XX escape (URL-encoded JSON
    /// quotes, %22) is a boundary although it ends in a hex digit.
    /// </summary>
    internal static bool StandsAlone(ReadOnlySpan<byte> haystack, int start, int length)
    {
        var end = start + length;
        if (end < haystack.Length && char.IsAsciiLetterOrDigit((char)haystack[end])) return false;
        if (start == 0 || !char.IsAsciiLetterOrDigit((char)haystack[start - 1])) return true;
        return start >= 3 && haystack[start - 3] == (byte)'%' && char.IsAsciiHexDigit((char)haystack[start - 2]) && char.IsAsciiHexDigit((char)haystack[start - 1]);
    }

    /// <summary>The name=value pairs of a Cookie header ("a=1; b=2").</summary>
    public static IEnumerable<(string Name, string Value)> CookiePairs(string header)
    {
        foreach (var part in header.Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = part.IndexOf('=');
            yield return eq < 0 ? ("", part) : (part[..eq].Trim(), part[(eq + 1)..].Trim());
        }
    }
}

/// <summary>One matcher per device of the study, built once before the captures are read.</summary>
public sealed class IdentifierMatchers
{
    private readonly DevicesCatalog _devices;
    private readonly Dictionary<string, IdentifierMatcher> _byDevice;

    public IdentifierMatchers(DevicesCatalog devices, ReadLimits limits)
    {
        _devices = devices;
        _byDevice = devices.Devices.ToDictionary(d => d.DeviceId, d => new IdentifierMatcher(d, limits), StringComparer.Ordinal);
    }

    public DevicesCatalog Devices => _devices;

    /// <summary>The matcher for the capture's device (see <see cref="DevicesCatalog.For"/>); null when no device applies.</summary>
    public IdentifierMatcher? For(string? deviceId) => _devices.For(deviceId) is { } d ? _byDevice[d.DeviceId] : null;
}
