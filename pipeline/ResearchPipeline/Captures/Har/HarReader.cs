using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json;

namespace ResearchPipeline.Captures.Har;

/// <summary>
/// HAR 1.1/1.2 (mitmproxy har_dump, cyanoacrylate, Chrome, Firefox, Safari, Charles, Insomnia, WebPagetest).
/// Entries are read one at a time; fields we do not use, and every underscore-prefixed extension, are ignored.
/// </summary>
public sealed class HarReader : ICaptureReader
{
    public string Format => "har";

    public bool Recognises(ReadOnlySpan<byte> head)
    {
        var text = head;
        if (text.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF])) text = text[3..];
        text = text.TrimStart(" \t\r\n"u8);
        return text.Length > 0 && text[0] == (byte)'{' && head.IndexOf("\"log\""u8) >= 0;
    }

    public IEnumerable<CaptureRecord> Read(Stream input, ReadLimits limits) => Read(input, limits, forWorkers: false);

    /// <summary>
    /// One pass finds each entry's bounds (and checks its JSON, so that damage is found where <see cref="Read"/>
    /// finds it); each entry's bytes are copied out and read into an exchange by whoever takes the record.
    /// </summary>
    public IEnumerable<CaptureRecord> ReadForWorkers(Stream input, ReadLimits limits) => Read(input, limits, forWorkers: true);

    /// <param name="fast">False reads with the system's JSON reader alone (see <see cref="HarJsonScanner"/>): tests compare the two.</param>
    internal static IEnumerable<CaptureRecord> Read(Stream input, ReadLimits limits, bool forWorkers, bool fast = true)
    {
        using var scanner = new HarJsonScanner(input, limits.MaxRecordBytes, limits.MaxJsonDepth, fieldsInScan: !forWorkers, fast: fast);
        var problems = new List<CaptureRecord>();
        var ordinal = 0;
        while (true)
        {
            var ev = scanner.Next();
            switch (ev.Kind)
            {
                case HarJsonScanner.EventKind.Creator:
                    var creator = ReadCreator(ev.Json);
                    if (creator is not null) yield return creator;
                    break;
                case HarJsonScanner.EventKind.Entry when forWorkers:
                    yield return ToRead(ev.Json, ordinal, ev.Offset, limits);
                    ordinal++;
                    break;
                case HarJsonScanner.EventKind.Entry:
                    problems.Clear();
                    var entry = ReadEntry(ev.Entry!, ordinal, ev.Offset, limits, problems);
                    foreach (var problem in problems) yield return problem;
                    yield return entry;
                    ordinal++;
                    break;
                case HarJsonScanner.EventKind.OversizedEntry:
                    yield return new RecordQuarantined(ordinal, $"entry is larger than the record limit of {limits.MaxRecordBytes} bytes", $"entry {ordinal} at byte {ev.Offset}");
                    ordinal++;
                    break;
                case HarJsonScanner.EventKind.Truncated:
                    // The entry being read when the file ended is a record we saw and lost: count it.
                    yield return new RecordQuarantined(ordinal, ev.Message, $"entry {ordinal} at byte {ev.Offset}");
                    yield break;
                case HarJsonScanner.EventKind.Invalid:
                    yield return new CaptureProblem(Severity.Error, ev.Message, $"after entry {ordinal - 1}, byte {ev.Offset}");
                    yield break;
                case HarJsonScanner.EventKind.End:
                    if (!scanner.SawEntries) yield return new CaptureProblem(Severity.Error, "log.entries is missing or is not an array: the file holds no HAR entries", $"byte {ev.Offset}");
                    yield break;
            }
        }
    }

    /// <summary>
    /// An entry left to a worker to read, from a pooled copy of its bytes: an exchange keeps nothing of its entry's JSON,
    /// so the copy goes back once read. A method of its own: the closure's variables, declared in the reading loop, made
    /// an object for every entry, read here or not.
    /// </summary>
    private static RecordsToRead ToRead(ReadOnlyMemory<byte> json, int ordinal, long offset, ReadLimits limits)
    {
        var length = json.Length;
        var copy = System.Buffers.ArrayPool<byte>.Shared.Rent(length);
        json.Span.CopyTo(copy);
        return new RecordsToRead(() =>
        {
            try { return ReadEntry(copy.AsMemory(0, length), ordinal, offset, limits); }
            finally { System.Buffers.ArrayPool<byte>.Shared.Return(copy); }
        }, length);
    }

    private static CreatorFound? ReadCreator(ReadOnlyMemory<byte> json)
    {
        try
        {
            using var doc = JsonDocument.Parse(json);
            return new CreatorFound(Str(doc.RootElement, "name") ?? "", Str(doc.RootElement, "version") ?? "");
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            return null;
        }
    }

    /// <summary>An entry's bytes, which the scanner has found whole and valid, as the records <see cref="Read"/> gives for it.</summary>
    private static IReadOnlyList<CaptureRecord> ReadEntry(ReadOnlyMemory<byte> json, int ordinal, long offset, ReadLimits limits)
    {
        // The fast tokens where they read the entry; else the system's reader, which the scanner has seen read it.
        var tokens = new HarJsonTokens(json.Span, limits.MaxJsonDepth);
        if (!tokens.Read() || !HarEntryFields.TryRead(ref tokens, json, [], out var entry))
        {
            var reader = new SystemJsonTokens(new Utf8JsonReader(json.Span, HarJsonScanner.ReaderOptions(limits.MaxJsonDepth)));
            if (!reader.Read() || !HarEntryFields.TryRead(ref reader, json, [], out entry))
                throw new InvalidOperationException($"entry {ordinal} at byte {offset}: the entry the scanner found is not whole");
        }
        var records = new List<CaptureRecord>();
        var record = ReadEntry(entry, ordinal, offset, limits, records);
        records.Add(record);
        return records;
    }

    /// <summary>One entry as an exchange or a quarantined record; problems found on the way go to <paramref name="problems"/>.</summary>
    private static CaptureRecord ReadEntry(HarEntryFields entry, int ordinal, long offset, ReadLimits limits, List<CaptureRecord> problems)
    {
        var location = $"entry {ordinal} at byte {offset}";
        Exchange? exchange;
        string? failure;
        try
        {
            (exchange, failure) = ToExchange(entry, ordinal, location, limits, problems);
        }
        catch (Exception e) when (e is FormatException or InvalidOperationException)
        {
            (exchange, failure) = (null, e.Message);
        }
        return exchange is not null
            ? new ExchangeRead(exchange)
            : new RecordQuarantined(ordinal, failure ?? "unreadable entry", location);
    }

    private static (Exchange?, string?) ToExchange(HarEntryFields entry, int ordinal, string location, ReadLimits limits, List<CaptureRecord> problems)
    {
        if (entry.Request is not { } request) return (null, "entry has no request");
        var method = request.Method.Text();
        if (string.IsNullOrEmpty(method)) return (null, "request.method is missing");
        var url = request.Url.Text();
        if (string.IsNullOrEmpty(url)) return (null, "request.url is missing");
        var target = RequestTarget.TryParse(url);
        if (target is null) return (null, $"request.url is not an absolute URL: {Truncate(url)}");

        DateTimeOffset? started = null;
        var startedText = entry.StartedDateTime.Text();
        if (startedText is not null && DateTimeOffset.TryParse(startedText, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t))
            started = t.ToUniversalTime();
        else
            problems.Add(new CaptureProblem(Severity.Warning, startedText is null ? "startedDateTime is missing" : $"startedDateTime is not a date: {Truncate(startedText)}", location));

        var requestBody = ReadOnlyMemory<byte>.Empty;
        if (request.PostData is { } postData)
            requestBody = PostDataBytes(postData, limits, location, problems);

        int? status = null;
        var responseHeaders = ImmutableArray<HttpHeader>.Empty;
        int? responseBodyBytes = null;
        long? reportedResponseBytes = null;
        if (entry.Response is { } response)
        {
            // Browsers write status 0 for requests that never got an answer (blocked, cancelled).
            var s = response.Status.Int();
            status = s is > 0 ? (int)s : null;
            responseHeaders = response.Headers.Get();
            if (response.Content is { } content)
            {
                if (content.Text.Kind == JsonTokenType.String)
                    responseBodyBytes = Body(content.Text, content.Encoding.Text(), limits, location + " response.content", problems, keep: false).Length is > 0 and var n ? n : null;
                var size = content.Size.Int();
                if (size is >= 0) reportedResponseBytes = size;
            }
        }

        var serverIp = entry.ServerIpAddress.Text();
        if (serverIp is not null) serverIp = serverIp.Trim('[', ']');
        if (serverIp is "") serverIp = null;

        return (new Exchange
        {
            Ordinal = ordinal,
            StartedUtc = started,
            Method = method.ToUpperInvariant(),
            Target = target,
            HttpVersion = NormaliseHttpVersion(request.HttpVersion.Text()),
            RequestHeaders = request.Headers.Get(),
            RequestCookies = request.Cookies.Get(),
            RequestBody = requestBody,
            Status = status,
            ResponseHeaders = responseHeaders,
            ResponseBodyBytes = responseBodyBytes,
            ReportedResponseBytes = reportedResponseBytes,
            ServerIp = serverIp,
            Connection = entry.Connection.Text() is { Length: > 0 } c ? c : null,
            DurationMs = entry.Time.NonNegativeDouble(),
        }, null);
    }

    private static ReadOnlyMemory<byte> PostDataBytes(HarPostDataFields postData, ReadLimits limits, string location, List<CaptureRecord> problems)
    {
        if (postData.Text.Kind == JsonTokenType.String)
            return BodyBytes(postData.Text, postData.Encoding.Text(), limits, location + " request.postData", problems);

        // Some tools give only params: rebuild the form body they stand for.
        if (postData.Params is { Count: > 0 } ps)
        {
            var parts = new List<string>();
            foreach (var p in ps)
            {
                var name = p.Name.Text() ?? "";
                var value = p.Value.Text() ?? "";
                parts.Add(Uri.EscapeDataString(name) + "=" + Uri.EscapeDataString(value));
            }
            return System.Text.Encoding.UTF8.GetBytes(string.Join('&', parts));
        }
        return ReadOnlyMemory<byte>.Empty;
    }

    private static ReadOnlyMemory<byte> BodyBytes(HarValue textValue, string? encoding, ReadLimits limits, string location, List<CaptureRecord> problems) =>
        Body(textValue, encoding, limits, location, problems, keep: true).Bytes;

    /// <summary>
    /// A <c>text</c> field as the bytes that were on the wire, within the limit, with the same quality rows kept or not;
    /// not kept (<paramref name="keep"/> false), only their length.
    /// </summary>
    private static (ReadOnlyMemory<byte> Bytes, int Length) Body(HarValue textValue, string? encoding, ReadLimits limits, string location, List<CaptureRecord> problems,
        bool keep)
    {
        // Judge the size on the raw JSON before materialising it, so a huge body costs no allocation. An escape
        // (\u00XX) takes up to six raw bytes per byte, so only a raw length over six times the limit proves the
        // body too big; the exact check follows.
        var rawLength = textValue.RawString.Length;
        var isBase64 = string.Equals(encoding, "base64", StringComparison.OrdinalIgnoreCase);
        var decodedUpperBound = isBase64 ? rawLength / 4 * 3 : rawLength;
        if (decodedUpperBound > limits.MaxBodyBytes * 6)
        {
            problems.Add(new CaptureProblem(Severity.Warning, $"body of about {decodedUpperBound} bytes is over the limit of {limits.MaxBodyBytes} bytes and was not kept", location));
            return (ReadOnlyMemory<byte>.Empty, 0);
        }
        if (rawLength == 0) return (ReadOnlyMemory<byte>.Empty, 0);
        byte[]? scratch = null;
        byte[] bytes = [];
        int length, measured = 0;
        string? error = null;
        try
        {
            if (!textValue.TryGetUtf8(out var utf8, ref scratch)
                || !(keep ? HarText.TryToBytes(utf8, isBase64, out bytes) : HarText.TryMeasure(utf8, isBase64, out measured)))
            {
                var text = textValue.GetString();
                if (string.IsNullOrEmpty(text)) return (ReadOnlyMemory<byte>.Empty, 0);
                bytes = HarText.ToBytes(text, encoding, out error);
                length = bytes.Length;
            }
            else length = keep ? bytes.Length : measured;
        }
        finally
        {
            if (scratch is not null) System.Buffers.ArrayPool<byte>.Shared.Return(scratch);
        }
        if (error is not null)
        {
            problems.Add(new CaptureProblem(Severity.Warning, error, location));
        }
        if (length > limits.MaxBodyBytes)
        {
            problems.Add(new CaptureProblem(Severity.Warning, $"body of {length} bytes is over the limit of {limits.MaxBodyBytes} bytes and was not kept", location));
            return (ReadOnlyMemory<byte>.Empty, 0);
        }
        return (keep ? bytes : ReadOnlyMemory<byte>.Empty, length);
    }

    private static string NormaliseHttpVersion(string? version) => version switch
    {
        null or "" or "unknown" => "",
        // Chrome writes "h2"/"h3", Firefox "HTTP/2", Safari "http/1.1": publish one spelling.
        "h2" or "http/2.0" or "HTTP/2.0" or "http/2" => "HTTP/2",
        "h3" or "http/3" or "HTTP/3.0" => "HTTP/3",
        _ => version.ToUpperInvariant(),
    };

    internal static string? Str(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v)
            ? v.ValueKind switch
            {
                JsonValueKind.String => v.GetString(),
                JsonValueKind.Number => v.GetRawText(),
                _ => null,
            }
            : null;

    private static string Truncate(string s) => s.Length <= 80 ? s : s[..80] + "...";
}
