using System.Buffers;
using System.Globalization;
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

    /// <summary>
    /// Every known value in the request, once per (identity, location, key path, transform), in a fixed order.
    /// The bytes searched are the view's (query, path, headers, cookies, the raw body and the inflated one);
    /// a hit is named by the published field it lies in (<paramref name="fields"/>, what decode made of the
    /// same view), so identifier_matches and payload_fields name one field alike.
    /// </summary>
    public IReadOnlyList<IdentifierMatch> Find(RequestView view, IReadOnlyList<PayloadField> fields)
    {
        var exchange = view.Exchange;
        // Made on the first hit: most requests carry no known value, and then the search allocates nothing.
        SortedSet<(string Identity, string Location, string KeyPath, string Transform)>? found = null;
        // The search's raw hits, in a list the thread keeps: most requests give some, which the stand-alone rule then drops.
        var hits = t_rawHits ??= [];
        var host = exchange.Target.Host;
        // One buffer for the UTF-8 bytes of the query, path, headers and cookies, in turn.
        var buffer = ArrayPool<byte>.Shared.Rent(256);
        try
        {
            var query = exchange.Target.Query;
            var bytes = Utf8(query);
            foreach (var hit in Hits(bytes)) Add(bytes, hit, "query", "", PayloadLocation.Query, PairAt(view.QueryPairs, query, bytes, hit.Start));
            // The URL path is no payload field (exchanges.path publishes it): a hit there is named by its offset.
            bytes = Utf8(exchange.Target.Path);
            foreach (var hit in Hits(bytes)) Add(bytes, hit, "path", "", null, "offset " + hit.Start.ToString(CultureInfo.InvariantCulture));
            foreach (var h in view.Headers)
            {
                if (SearchedInVain(h.Value)) continue;
                bytes = Utf8(h.Value);
                var headerHits = Hits(bytes);
                if (headerHits.Count == 0) RememberInVain(h.Value);
                foreach (var hit in headerHits) Add(bytes, hit, "header", "", PayloadLocation.Header, KeyPaths.Header(h.Name));
            }
            // By index, as the decoder reads them: through the list's interface, its enumerator would be an object for every request.
            var cookies = view.Cookies;
            for (var i = 0; i < cookies.Count; i++)
            {
                var c = cookies[i];
                bytes = Utf8(c.Value);
                foreach (var hit in Hits(bytes)) Add(bytes, hit, "cookie", "", PayloadLocation.Cookie, KeyPaths.Cookie(c.Name));
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        if (view.Coding.Length == 0 || view.CodingFailed)
        {
            ScanBody(view.RawBody.Span, "", located: !view.CodingFailed);
        }
        else
        {
            // The compressed bytes are no field's text: a hit there is named by the field that holds the value.
            ScanBody(view.RawBody.Span, "", located: false);
            ScanBody(view.Body.Span, view.Coding + ">", located: true);
        }

        // No list for a request without a hit: most requests.
        if (found is null) return [];
        var matches = new List<IdentifierMatch>(found.Count);
        foreach (var f in found) matches.Add(new IdentifierMatch(exchange.Ordinal, f.Identity, f.Location, f.KeyPath, f.Transform, host));
        return matches;

        ReadOnlySpan<byte> Utf8(string text)
        {
            var max = Encoding.UTF8.GetMaxByteCount(text.Length);
            if (max > buffer.Length)
            {
                ArrayPool<byte>.Shared.Return(buffer);
                buffer = ArrayPool<byte>.Shared.Rent(max);
            }
            return buffer.AsSpan(0, Encoding.UTF8.GetBytes(text, buffer));
        }

        void ScanBody(ReadOnlySpan<byte> body, string prefix, bool located)
        {
            if (body.IsEmpty) return;
            var kept = Hits(body);
            if (kept.Count == 0) return;
            if (located && view.Shape == BodyShape.Json)
            {
                // JSON key paths for all hits in one pass over the body.
                var paths = KeyPaths.InJson(body, kept.Select(h => h.Start).ToList());
                for (var i = 0; i < kept.Count; i++) Add(body, kept[i], "body", prefix, PayloadLocation.Body, paths[i]);
                return;
            }
            foreach (var hit in kept)
            {
                var place = !located ? null : view.Shape switch
                {
                    BodyShape.Form => PairAt(view.FormPairs, view.FormText!, body, hit.Start),
                    BodyShape.Text or BodyShape.Binary or BodyShape.Undecodable => PayloadField.WholeBody,
                    _ => null,
                };
                Add(body, hit, "body", prefix, PayloadLocation.Body, place);
            }
        }

        List<NeedleHit> Hits(ReadOnlySpan<byte> haystack)
        {
            hits.Clear();
            if (!haystack.IsEmpty) _search.Search(haystack, hits);
            // A list made only for hits that stand alone: most raw hits lie inside a longer word or number.
            List<NeedleHit>? kept = null;
            foreach (var hit in hits)
            {
                if (StandsAlone(haystack, hit.Start, hit.Length)) (kept ??= new List<NeedleHit>(hits.Count)).Add(hit);
            }
            if (kept is null) return NoHits;
            kept.Sort((a, b) => a.Start.CompareTo(b.Start));
            return kept;
        }

        void Add(ReadOnlySpan<byte> haystack, NeedleHit hit, string location, string prefix, PayloadLocation? fieldLocation, string? place)
        {
            var form = _search.Needles[hit.Needle].Tag;
            var transform = prefix + KnownValueNeedles.Describe(form, haystack.Slice(hit.Start, hit.Length));
            var keyPath = fieldLocation is { } at ? FieldOf(fields, at, place, form.Value.Kind) : place!;
            (found ??= []).Add((form.Value.Kind, location, keyPath, transform));
        }
    }

    // Never added to: Hits hands it back when a haystack holds no needle.
    private static readonly List<NeedleHit> NoHits = [];

    [ThreadStatic] private static List<NeedleHit>? t_rawHits;

    // Header values this thread searched with this matcher and found nothing in, by the string itself: a capture's
    // reader hands back one string for a value that repeats (a HAR's, for a short one), and a request's headers
    // are mostly those of the requests before it. The same string holds the same text, so its answer stands.
    private const int VainSlots = 1 << 10;
    [ThreadStatic] private static (IdentifierMatcher? Matcher, string? Value)[]? t_searchedInVain;

    private bool SearchedInVain(string value) =>
        t_searchedInVain is { } slots && slots[VainSlot(value)] is var (matcher, known) && ReferenceEquals(matcher, this) && ReferenceEquals(known, value);

    private void RememberInVain(string value) => (t_searchedInVain ??= new (IdentifierMatcher?, string?)[VainSlots])[VainSlot(value)] = (this, value);

    private static int VainSlot(string value) => System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(value) & (VainSlots - 1);

    /// <summary>The name of the query or form pair that holds a byte offset of the text's UTF-8 bytes.</summary>
    private static string? PairAt(List<FormUrlEncoding.Pair> pairs, string text, ReadOnlySpan<byte> bytes, int offset)
    {
        var at = Encoding.UTF8.GetCharCount(bytes[..offset]);
        return at <= text.Length && FormUrlEncoding.At(pairs, at) is { } pair ? KeyPaths.Raw("", pair.Key) : null;
    }

    /// <summary>
    /// The published field a hit lies in. <paramref name="place"/> is where the bytes say it is (a pair, a JSON
    /// value, a header): that field when decode published it as one; else, where decode read the value further
    /// (JSON or base64 inside a string, a URL, protobuf, multipart parts) or the bytes could not say (compressed,
    /// between tokens), the first field under the place whose own value holds a value of the same identity, else
    /// the first field under it. Null place: the whole location.
    /// </summary>
    private string FieldOf(IReadOnlyList<PayloadField> fields, PayloadLocation location, string? place, string identity)
    {
        string? first = null;
        foreach (var f in fields)
        {
            if (f.Location != location || !Under(f.KeyPath, place)) continue;
            if (f.KeyPath == place) return place;
            first ??= f.KeyPath;
        }
        if (first is null) return place ?? PayloadField.WholeBody;
        var hits = new List<NeedleHit>();
        foreach (var f in fields)
        {
            if (f.Location != location || f.Value is null || !Under(f.KeyPath, place)) continue;
            var value = Encoding.UTF8.GetBytes(f.Value);
            hits.Clear();
            _search.Search(value, hits);
            foreach (var hit in hits)
            {
                if (_search.Needles[hit.Needle].Tag.Value.Kind == identity && StandsAlone(value, hit.Start, hit.Length)) return f.KeyPath;
            }
        }
        return first;
    }

    private static bool Under(string path, string? place) =>
        place is null || place.Length == 0
        || path.StartsWith(place, StringComparison.Ordinal) && (path.Length == place.Length || path[place.Length] is '.' or '[');

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
