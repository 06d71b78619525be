using System.Buffers;
using System.Collections.Immutable;
using System.Text;
using System.Text.Json;

namespace ResearchPipeline.Captures.Har;

/// <summary>
/// One scalar of a HAR entry as it stands in the file: its token kind and its raw bytes. Strings are decoded only
/// when asked for, so a string with invalid UTF-8 fails where the reader reads it, and a body is judged by its
/// raw length before it is materialised.
/// </summary>
internal readonly struct HarValue
{
    private readonly ReadOnlyMemory<byte> _token; // a string with its quotes, or a number's text
    private readonly double _number;

    public JsonTokenType Kind { get; }
    public bool IsEscaped { get; }
    public bool HasNumber { get; }

    private HarValue(JsonTokenType kind, ReadOnlyMemory<byte> token, bool escaped, double number, bool hasNumber)
    {
        Kind = kind;
        _token = token;
        IsEscaped = escaped;
        _number = number;
        HasNumber = hasNumber;
    }

    /// <summary>
    /// Takes the value the reader stands on and moves past it; false where the value is not all in the reader's
    /// buffer. <paramref name="json"/> is the memory the reader reads.
    /// </summary>
    public static bool TryRead<TTokens>(ref TTokens reader, ReadOnlyMemory<byte> json, out HarValue value) where TTokens : IJsonTokens, allows ref struct
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.String:
                var start = (int)reader.TokenStartIndex;
                value = new HarValue(JsonTokenType.String, json.Slice(start, reader.ValueSpan.Length + 2), reader.ValueIsEscaped, 0, false);
                return true;
            case JsonTokenType.Number:
                var ok = reader.TryGetDouble(out var d);
                value = new HarValue(JsonTokenType.Number, json.Slice((int)reader.TokenStartIndex, reader.ValueSpan.Length), false, d, ok);
                return true;
            default:
                value = new HarValue(reader.TokenType, default, false, 0, false);
                return reader.TrySkip();
        }
    }

    /// <summary>The string's bytes as written between its quotes, escapes not undone.</summary>
    public ReadOnlySpan<byte> RawString => Kind == JsonTokenType.String ? _token.Span[1..^1] : default;

    /// <summary>As <c>JsonElement.GetString</c>: throws <see cref="InvalidOperationException"/> on text that does not decode.</summary>
    public string? GetString()
    {
        if (Kind != JsonTokenType.String) return null;
        var raw = RawString;
        if (!IsEscaped && System.Text.Unicode.Utf8.IsValid(raw)) return Encoding.UTF8.GetString(raw);
        var reader = new Utf8JsonReader(_token.Span);
        reader.Read();
        return reader.GetString();
    }

    /// <summary>
    /// The string's UTF-8 bytes with escapes undone, where they are valid UTF-8 (that is, where
    /// <see cref="GetString"/> would succeed and encoding its result again gives these bytes); false otherwise.
    /// </summary>
    public bool TryGetUtf8(out ReadOnlySpan<byte> utf8, ref byte[]? scratch)
    {
        utf8 = default;
        if (Kind != JsonTokenType.String) return false;
        var raw = RawString;
        if (IsEscaped)
        {
            if (scratch is null || scratch.Length < raw.Length)
            {
                if (scratch is not null) ArrayPool<byte>.Shared.Return(scratch);
                scratch = ArrayPool<byte>.Shared.Rent(raw.Length);
            }
            if (!TryUnescape(raw, scratch, out var written))
            {
                // Half a surrogate pair: what the reader's copy makes of it (it refuses it).
                var reader = new Utf8JsonReader(_token.Span);
                reader.Read();
                try
                {
                    written = reader.CopyString(scratch);
                }
                catch (InvalidOperationException)
                {
                    return false;
                }
            }
            raw = scratch.AsSpan(0, written);
        }
        if (!System.Text.Unicode.Utf8.IsValid(raw)) return false;
        utf8 = raw;
        return true;
    }

    /// <summary>
    /// Undoes the escapes of a string the scan's reader has read, so every escape is well formed: the bytes the
    /// reader's <c>CopyString</c> gives, in one pass rather than the reader's check of the string again and its copy
    /// (a response's JSON body escapes every quote; its length is all a run keeps of it). False, with nothing
    /// decided, where a <c>\u</c> escape is half of a surrogate pair without its other half. Never writes more bytes
    /// than <paramref name="raw"/> holds.
    /// </summary>
    internal static bool TryUnescape(ReadOnlySpan<byte> raw, Span<byte> into, out int written)
    {
        written = 0;
        while (true)
        {
            var slash = raw.IndexOf((byte)'\\');
            if (slash < 0)
            {
                raw.CopyTo(into[written..]);
                written += raw.Length;
                return true;
            }
            raw[..slash].CopyTo(into[written..]);
            written += slash;
            var consumed = 2;
            switch (raw[slash + 1])
            {
                case (byte)'b': into[written++] = (byte)'\b'; break;
                case (byte)'f': into[written++] = (byte)'\f'; break;
                case (byte)'n': into[written++] = (byte)'\n'; break;
                case (byte)'r': into[written++] = (byte)'\r'; break;
                case (byte)'t': into[written++] = (byte)'\t'; break;
                case (byte)'u':
                    var unit = (char)Hex4(raw.Slice(slash + 2, 4));
                    consumed = 6;
                    Rune rune;
                    if (char.IsHighSurrogate(unit))
                    {
                        if (raw.Length < slash + 12 || raw[slash + 6] != '\\' || raw[slash + 7] != 'u') return false;
                        var low = (char)Hex4(raw.Slice(slash + 8, 4));
                        if (!char.IsLowSurrogate(low)) return false;
                        rune = new Rune(unit, low);
                        consumed = 12;
                    }
                    else if (char.IsLowSurrogate(unit)) return false;
                    else rune = new Rune(unit);
                    written += rune.EncodeToUtf8(into[written..]);
                    break;
                default: into[written++] = raw[slash + 1]; break; // '"', '\\', '/'
            }
            raw = raw[(slash + consumed)..];
        }
    }

    private static int Hex4(ReadOnlySpan<byte> hex) =>
        System.Buffers.Text.Utf8Parser.TryParse(hex, out ushort value, out var used, 'X') && used == 4 ? value
            : throw new InvalidOperationException("an escape the reader let through is not four hexadecimal digits");

    /// <summary>As <c>JsonElement.GetDouble</c> where it would succeed.</summary>
    public bool TryGetDouble(out double value)
    {
        value = _number;
        return Kind == JsonTokenType.Number && HasNumber;
    }

    /// <summary>As <see cref="Text"/>; a short unescaped ASCII string comes from <see cref="Har.RepeatedText"/>.</summary>
    public string? RepeatedText()
    {
        if (Kind == JsonTokenType.String && !IsEscaped && RawString is { Length: <= Har.RepeatedText.MaxBytes } raw && System.Text.Ascii.IsValid(raw))
            return Har.RepeatedText.Of(raw);
        return Text();
    }

    /// <summary>As the reader's <c>Str</c> helper on a <c>JsonElement</c>: a string's text, a number's raw text, else null.</summary>
    public string? Text() => Kind switch
    {
        JsonTokenType.String => GetString(),
        JsonTokenType.Number => Encoding.UTF8.GetString(_token.Span),
        _ => null,
    };

    public long? Int() => TryGetDouble(out var d) ? (long)d : null;

    public double? NonNegativeDouble() => TryGetDouble(out var d) && d >= 0 ? d : null;
}

/// <summary>An item of a HAR name/value list (params); a non-object item has neither.</summary>
internal readonly record struct HarNameValue(HarValue Name, HarValue Value);

/// <summary>A headers or cookies list as read: absent (not an array), its headers, or the decoding failure it will throw.</summary>
internal readonly record struct HarHeaderList(bool IsArray, ImmutableArray<HttpHeader> Items, InvalidOperationException? Failure)
{
    /// <summary>As reading the list from a document would: empty where it is not an array, else the headers or the failure.</summary>
    public ImmutableArray<HttpHeader> Get() => !IsArray ? [] : Failure is null ? Items : throw Failure;
}

/// <summary>
/// The fields of one HAR entry the reader uses, taken while the scanner's tokens (<see cref="IJsonTokens"/>) pass over
/// the entry, without building a document. It answers as a <see cref="JsonDocument"/> of the entry would: of a
/// property written twice the last one counts, a field that is not of the kind asked for is absent, and a string
/// that does not decode fails only when it is asked for.
/// </summary>
/// <remarks>
/// Every <c>TryRead</c> returns false where the reader's buffer ends before the object does; the caller then
/// rewinds the reader, buffers more, and reads the entry again.
/// </remarks>
internal sealed class HarEntryFields
{
    public HarValue StartedDateTime;
    public HarValue ServerIpAddress;
    public HarValue Connection;
    public HarValue Time;
    public HarRequestFields? Request;
    public HarResponseFields? Response;

    /// <param name="reader">Standing on the entry's <see cref="JsonTokenType.StartObject"/>; left on its end.</param>
    /// <param name="json">The memory the reader reads, which the fields point into.</param>
    /// <param name="scratch">A list the headers are gathered in, reused from entry to entry.</param>
    public static bool TryRead<TTokens>(ref TTokens reader, ReadOnlyMemory<byte> json, List<HttpHeader> scratch, out HarEntryFields entry) where TTokens : IJsonTokens, allows ref struct
    {
        entry = new HarEntryFields();
        while (true)
        {
            if (!reader.Read()) return false;
            if (reader.TokenType != JsonTokenType.PropertyName) return true;
            bool complete;
            if (reader.ValueTextEquals("request"u8))
            {
                complete = reader.Read() && (reader.TokenType == JsonTokenType.StartObject
                    ? HarRequestFields.TryRead(ref reader, json, scratch, out var request) && Set(out entry.Request, request)
                    : reader.TrySkip() && Set(out entry.Request, null));
            }
            else if (reader.ValueTextEquals("response"u8))
            {
                complete = reader.Read() && (reader.TokenType == JsonTokenType.StartObject
                    ? HarResponseFields.TryRead(ref reader, json, scratch, out var response) && Set(out entry.Response, response)
                    : reader.TrySkip() && Set(out entry.Response, null));
            }
            else if (reader.ValueTextEquals("startedDateTime"u8)) complete = TryValue(ref reader, json, out entry.StartedDateTime);
            else if (reader.ValueTextEquals("serverIPAddress"u8)) complete = TryValue(ref reader, json, out entry.ServerIpAddress);
            else if (reader.ValueTextEquals("connection"u8)) complete = TryValue(ref reader, json, out entry.Connection);
            else if (reader.ValueTextEquals("time"u8)) complete = TryValue(ref reader, json, out entry.Time);
            else complete = TrySkipValue(ref reader);
            if (!complete) return false;
        }
    }

    internal static bool Set<T>(out T? field, T? value) where T : class
    {
        field = value;
        return true;
    }

    /// <summary>Reads the value after the property name the reader stands on.</summary>
    internal static bool TryValue<TTokens>(ref TTokens reader, ReadOnlyMemory<byte> json, out HarValue value) where TTokens : IJsonTokens, allows ref struct
    {
        value = default;
        return reader.Read() && HarValue.TryRead(ref reader, json, out value);
    }

    internal static bool TrySkipValue<TTokens>(ref TTokens reader) where TTokens : IJsonTokens, allows ref struct => reader.Read() && reader.TrySkip();

    /// <summary>A params list where the property is an array; null where it is absent or not an array.</summary>
    internal static bool TryNameValues<TTokens>(ref TTokens reader, ReadOnlyMemory<byte> json, out List<HarNameValue>? items) where TTokens : IJsonTokens, allows ref struct
    {
        items = null;
        if (!reader.Read()) return false;
        if (reader.TokenType != JsonTokenType.StartArray) return reader.TrySkip();
        items = [];
        while (true)
        {
            if (!reader.Read()) return false;
            if (reader.TokenType == JsonTokenType.EndArray) return true;
            HarNameValue item = default;
            if (reader.TokenType == JsonTokenType.StartObject ? !TryNameValue(ref reader, json, out item) : !reader.TrySkip()) return false;
            items.Add(item);
        }
    }

    /// <summary>
    /// A headers or cookies list, made into headers as it is read: an item without a name is left out, and the
    /// first name or value that does not decode makes the whole list fail when it is asked for, as it would
    /// have failed read from a document.
    /// </summary>
    internal static bool TryHeaders<TTokens>(ref TTokens reader, ReadOnlyMemory<byte> json, List<HttpHeader> scratch, out HarHeaderList headers) where TTokens : IJsonTokens, allows ref struct
    {
        headers = default;
        if (!reader.Read()) return false;
        if (reader.TokenType != JsonTokenType.StartArray) return reader.TrySkip();
        scratch.Clear();
        InvalidOperationException? failure = null;
        while (true)
        {
            if (!reader.Read()) return false;
            if (reader.TokenType == JsonTokenType.EndArray) break;
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                if (!reader.TrySkip()) return false;
                continue;
            }
            if (!TryNameValue(ref reader, json, out var item)) return false;
            if (failure is not null) continue;
            try
            {
                var name = item.Name.RepeatedText();
                if (name is null) continue;
                scratch.Add(new HttpHeader(name, item.Value.RepeatedText() ?? ""));
            }
            catch (InvalidOperationException e)
            {
                failure = e;
            }
        }
        headers = new HarHeaderList(true, failure is null ? [.. scratch] : [], failure);
        return true;
    }

    private static bool TryNameValue<TTokens>(ref TTokens reader, ReadOnlyMemory<byte> json, out HarNameValue item) where TTokens : IJsonTokens, allows ref struct
    {
        item = default;
        HarValue name = default, value = default;
        while (true)
        {
            if (!reader.Read()) return false;
            if (reader.TokenType != JsonTokenType.PropertyName) break;
            var complete = reader.ValueTextEquals("name"u8) ? TryValue(ref reader, json, out name)
                : reader.ValueTextEquals("value"u8) ? TryValue(ref reader, json, out value)
                : TrySkipValue(ref reader);
            if (!complete) return false;
        }
        item = new HarNameValue(name, value);
        return true;
    }
}

internal sealed class HarRequestFields
{
    public HarValue Method;
    public HarValue Url;
    public HarValue HttpVersion;
    public HarHeaderList Headers;
    public HarHeaderList Cookies;
    public HarPostDataFields? PostData;

    public static bool TryRead<TTokens>(ref TTokens reader, ReadOnlyMemory<byte> json, List<HttpHeader> scratch, out HarRequestFields request) where TTokens : IJsonTokens, allows ref struct
    {
        request = new HarRequestFields();
        while (true)
        {
            if (!reader.Read()) return false;
            if (reader.TokenType != JsonTokenType.PropertyName) return true;
            bool complete;
            if (reader.ValueTextEquals("method"u8)) complete = HarEntryFields.TryValue(ref reader, json, out request.Method);
            else if (reader.ValueTextEquals("url"u8)) complete = HarEntryFields.TryValue(ref reader, json, out request.Url);
            else if (reader.ValueTextEquals("httpVersion"u8)) complete = HarEntryFields.TryValue(ref reader, json, out request.HttpVersion);
            else if (reader.ValueTextEquals("headers"u8)) complete = HarEntryFields.TryHeaders(ref reader, json, scratch, out request.Headers);
            else if (reader.ValueTextEquals("cookies"u8)) complete = HarEntryFields.TryHeaders(ref reader, json, scratch, out request.Cookies);
            else if (reader.ValueTextEquals("postData"u8))
            {
                complete = reader.Read() && (reader.TokenType == JsonTokenType.StartObject
                    ? HarPostDataFields.TryRead(ref reader, json, out var postData) && HarEntryFields.Set(out request.PostData, postData)
                    : reader.TrySkip() && HarEntryFields.Set(out request.PostData, null));
            }
            else complete = HarEntryFields.TrySkipValue(ref reader);
            if (!complete) return false;
        }
    }
}

internal sealed class HarPostDataFields
{
    public HarValue Text;
    public HarValue Encoding;
    public List<HarNameValue>? Params;

    public static bool TryRead<TTokens>(ref TTokens reader, ReadOnlyMemory<byte> json, out HarPostDataFields postData) where TTokens : IJsonTokens, allows ref struct
    {
        postData = new HarPostDataFields();
        while (true)
        {
            if (!reader.Read()) return false;
            if (reader.TokenType != JsonTokenType.PropertyName) return true;
            var complete = reader.ValueTextEquals("text"u8) ? HarEntryFields.TryValue(ref reader, json, out postData.Text)
                : reader.ValueTextEquals("encoding"u8) ? HarEntryFields.TryValue(ref reader, json, out postData.Encoding)
                : reader.ValueTextEquals("params"u8) ? HarEntryFields.TryNameValues(ref reader, json, out postData.Params)
                : HarEntryFields.TrySkipValue(ref reader);
            if (!complete) return false;
        }
    }
}

internal sealed class HarResponseFields
{
    public HarValue Status;
    public HarHeaderList Headers;
    public HarContentFields? Content;

    public static bool TryRead<TTokens>(ref TTokens reader, ReadOnlyMemory<byte> json, List<HttpHeader> scratch, out HarResponseFields response) where TTokens : IJsonTokens, allows ref struct
    {
        response = new HarResponseFields();
        while (true)
        {
            if (!reader.Read()) return false;
            if (reader.TokenType != JsonTokenType.PropertyName) return true;
            bool complete;
            if (reader.ValueTextEquals("status"u8)) complete = HarEntryFields.TryValue(ref reader, json, out response.Status);
            else if (reader.ValueTextEquals("headers"u8)) complete = HarEntryFields.TryHeaders(ref reader, json, scratch, out response.Headers);
            else if (reader.ValueTextEquals("content"u8))
            {
                complete = reader.Read() && (reader.TokenType == JsonTokenType.StartObject
                    ? HarContentFields.TryRead(ref reader, json, out var content) && HarEntryFields.Set(out response.Content, content)
                    : reader.TrySkip() && HarEntryFields.Set(out response.Content, null));
            }
            else complete = HarEntryFields.TrySkipValue(ref reader);
            if (!complete) return false;
        }
    }
}

internal sealed class HarContentFields
{
    public HarValue Text;
    public HarValue Encoding;
    public HarValue Size;

    public static bool TryRead<TTokens>(ref TTokens reader, ReadOnlyMemory<byte> json, out HarContentFields content) where TTokens : IJsonTokens, allows ref struct
    {
        content = new HarContentFields();
        while (true)
        {
            if (!reader.Read()) return false;
            if (reader.TokenType != JsonTokenType.PropertyName) return true;
            var complete = reader.ValueTextEquals("text"u8) ? HarEntryFields.TryValue(ref reader, json, out content.Text)
                : reader.ValueTextEquals("encoding"u8) ? HarEntryFields.TryValue(ref reader, json, out content.Encoding)
                : reader.ValueTextEquals("size"u8) ? HarEntryFields.TryValue(ref reader, json, out content.Size)
                : HarEntryFields.TrySkipValue(ref reader);
            if (!complete) return false;
        }
    }
}
