using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Text.Json;

namespace ResearchPipeline.Captures.Har;

/// <summary>
/// What the HAR entry reader (<see cref="HarEntryFields"/>) asks of a JSON reader: the calls it makes of
/// <see cref="Utf8JsonReader"/>, so that it reads an entry from either <see cref="SystemJsonTokens"/> or <see cref="HarJsonTokens"/>.
/// </summary>
internal interface IJsonTokens
{
    /// <summary>As <see cref="Utf8JsonReader.Read"/>, except that it returns false rather than throw.</summary>
    bool Read();
    JsonTokenType TokenType { get; }
    long TokenStartIndex { get; }
    ReadOnlySpan<byte> ValueSpan { get; }
    bool ValueIsEscaped { get; }
    bool ValueTextEquals(ReadOnlySpan<byte> text);
    bool TrySkip();
    bool TryGetDouble(out double value);
}

/// <summary>The system's reader behind <see cref="IJsonTokens"/>; its exceptions pass through.</summary>
internal ref struct SystemJsonTokens(Utf8JsonReader reader) : IJsonTokens
{
    public Utf8JsonReader Reader = reader;

    public bool Read() => Reader.Read();
    public readonly JsonTokenType TokenType => Reader.TokenType;
    public readonly long TokenStartIndex => Reader.TokenStartIndex;
    public readonly ReadOnlySpan<byte> ValueSpan => Reader.ValueSpan;
    public readonly bool ValueIsEscaped => Reader.ValueIsEscaped;
    public readonly bool ValueTextEquals(ReadOnlySpan<byte> text) => Reader.ValueTextEquals(text);
    public bool TrySkip() => Reader.TrySkip();
    public readonly bool TryGetDouble(out double value) => Reader.TryGetDouble(out value);
}

/// <summary>Where a <see cref="HarJsonTokens"/> stood, to go on from there over the same bytes.</summary>
internal readonly record struct HarJsonTokensState(int Position, int Depth, ulong InArray, JsonTokenType TokenType);

/// <summary>
/// A JSON tokenizer for the common case of a HAR held whole in memory: strict JSON (no comments, no trailing commas, no
/// escaped property names, at most 63 levels), read for less than <see cref="Utf8JsonReader"/> costs (bench/NOTES.md):
/// it finds a string's end a vector at a time whether or not the string holds escapes, where that reader goes byte by
/// byte after a string's first escape, and it keeps no state for reading in pieces. It accepts nothing the system's
/// reader, with the options the HAR scanner gives it (<see cref="HarJsonScanner.ReaderOptions"/>), refuses, and reads
/// the tokens that reader reads; on anything else, valid or not, it stops (<see cref="Failed"/>) and the scanner reads
/// the file again with the system's reader, which says what is wrong and where. Like that reader, it checks escapes but
/// not the UTF-8 of strings, which is checked when a string is decoded.
/// </summary>
internal ref struct HarJsonTokens : IJsonTokens
{
    private const int MostDepth = 63;
    private readonly ReadOnlySpan<byte> _json;
    private readonly int _maxDepth;
    private int _pos;
    private int _depth;
    // Bit d: the container open at depth d (counting from 0 for the root) is an array.
    private ulong _inArray;
    private JsonTokenType _type;
    private int _tokenStart;
    private int _valueStart;
    private int _valueLength;
    private bool _escaped;

    /// <param name="json">The whole document.</param>
    /// <param name="maxDepth">The system reader's <see cref="JsonReaderOptions.MaxDepth"/>.</param>
    public HarJsonTokens(ReadOnlySpan<byte> json, int maxDepth, HarJsonTokensState state = default)
    {
        _json = json;
        _maxDepth = Math.Min(maxDepth <= 0 ? 64 : maxDepth, MostDepth);
        (_pos, _depth, _inArray, _type) = state;
    }

    public readonly HarJsonTokensState State => new(_pos, _depth, _inArray, _type);

    /// <summary>True once the tokenizer met what it does not read; every call after that returns false.</summary>
    public bool Failed { get; private set; }

    /// <summary>As <see cref="Utf8JsonReader.CurrentDepth"/>.</summary>
    public readonly int CurrentDepth => _type is JsonTokenType.StartObject or JsonTokenType.StartArray ? _depth - 1 : _depth;

    /// <summary>Bytes read, as <see cref="Utf8JsonReader.BytesConsumed"/> over the whole document.</summary>
    public readonly int BytesConsumed => _pos;

    public readonly JsonTokenType TokenType => _type;
    public readonly long TokenStartIndex => _tokenStart;
    public readonly ReadOnlySpan<byte> ValueSpan => _json.Slice(_valueStart, _valueLength);
    public readonly bool ValueIsEscaped => _escaped;

    public readonly bool ValueTextEquals(ReadOnlySpan<byte> text) =>
        _type is JsonTokenType.PropertyName or JsonTokenType.String && !_escaped && ValueSpan.SequenceEqual(text);

    public bool Read()
    {
        if (Failed) return false;
        var b = NextByte();
        switch (_type)
        {
            case JsonTokenType.None:
                return Value(b);
            case JsonTokenType.PropertyName:
                return Value(b);
            case JsonTokenType.StartObject:
                return b == '}' ? End(JsonTokenType.EndObject) : PropertyName(b);
            case JsonTokenType.StartArray:
                return b == ']' ? End(JsonTokenType.EndArray) : Value(b);
        }
        // After a value: the document has ended, or a separator or the container's end follows.
        if (_depth == 0) return Fail();
        var array = (_inArray & (1UL << (_depth - 1))) != 0;
        if (b == (array ? ']' : '}')) return End(array ? JsonTokenType.EndArray : JsonTokenType.EndObject);
        if (b != ',') return Fail();
        _pos++;
        b = NextByte();
        return array ? Value(b) : PropertyName(b);
    }

    public bool TrySkip()
    {
        if (Failed) return false;
        if (_type == JsonTokenType.PropertyName && !Read()) return false;
        if (_type is not (JsonTokenType.StartObject or JsonTokenType.StartArray)) return true;
        var depth = _depth - 1;
        while (Read())
        {
            if (_depth == depth && _type is JsonTokenType.EndObject or JsonTokenType.EndArray) return true;
        }
        return false;
    }

    /// <summary>As the system's reader gives it (the same parser, over the number's text).</summary>
    public readonly bool TryGetDouble(out double value)
    {
        value = 0;
        if (_type != JsonTokenType.Number) return false;
        var reader = new Utf8JsonReader(ValueSpan);
        return reader.Read() && reader.TryGetDouble(out value);
    }

    /// <summary>The next byte that is not white space, where the position is left; 0 at the end (never valid there).</summary>
    private byte NextByte()
    {
        // Most tokens follow another at once; an indented file's runs of spaces are skipped a vector at a time.
        if (_pos < _json.Length && _json[_pos] > (byte)' ') return _json[_pos];
        _pos += JsonByteSearch.FirstNotWhiteSpace(_json[_pos..]);
        return At(_pos);
    }

    private bool Fail()
    {
        Failed = true;
        return false;
    }

    private bool End(JsonTokenType type)
    {
        _tokenStart = _pos++;
        _depth--;
        _type = type;
        return true;
    }

    private bool Start(JsonTokenType type)
    {
        if (_depth >= _maxDepth) return Fail();
        if (type == JsonTokenType.StartArray) _inArray |= 1UL << _depth;
        else _inArray &= ~(1UL << _depth);
        _depth++;
        _tokenStart = _pos++;
        _type = type;
        return true;
    }

    private bool PropertyName(byte b)
    {
        if (b != '"') return Fail();
        if (!String()) return false;
        // An escaped name would need unescaping to compare; no HAR writer escapes one.
        if (_escaped) return Fail();
        // The colon is read with the name, as the system's reader reads it (its bytes consumed count it).
        if (NextByte() != ':') return Fail();
        _pos++;
        _type = JsonTokenType.PropertyName;
        return true;
    }

    private bool Value(byte b)
    {
        switch (b)
        {
            case (byte)'{': return Start(JsonTokenType.StartObject);
            case (byte)'[': return Start(JsonTokenType.StartArray);
            case (byte)'"':
                if (!String()) return false;
                _type = JsonTokenType.String;
                return true;
            case (byte)'t': return Literal("true"u8, JsonTokenType.True);
            case (byte)'f': return Literal("false"u8, JsonTokenType.False);
            case (byte)'n': return Literal("null"u8, JsonTokenType.Null);
            case (byte)'-' or >= (byte)'0' and <= (byte)'9': return Number();
            default: return Fail();
        }
    }

    private bool Literal(ReadOnlySpan<byte> literal, JsonTokenType type)
    {
        if (!_json[_pos..].StartsWith(literal)) return Fail();
        (_tokenStart, _valueStart, _valueLength, _escaped) = (_pos, _pos, literal.Length, false);
        _pos += literal.Length;
        _type = type;
        return true;
    }

    /// <summary>-?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?, ended by white space or a separator.</summary>
    private bool Number()
    {
        var i = _pos;
        if (At(i) == '-') i++;
        if (At(i) == '0') i++;
        else if (At(i) is >= (byte)'1' and <= (byte)'9') i = Digits(i);
        else return Fail();
        if (At(i) == '.')
        {
            if (!IsDigit(At(++i))) return Fail();
            i = Digits(i);
        }
        if (At(i) is (byte)'e' or (byte)'E')
        {
            if (At(++i) is (byte)'+' or (byte)'-') i++;
            if (!IsDigit(At(i))) return Fail();
            i = Digits(i);
        }
        if (At(i) is not ((byte)' ' or (byte)'\n' or (byte)'\r' or (byte)'\t' or (byte)',' or (byte)'}' or (byte)']')) return Fail();
        (_tokenStart, _valueStart, _valueLength, _escaped) = (_pos, _pos, i - _pos, false);
        _pos = i;
        _type = JsonTokenType.Number;
        return true;
    }

    private readonly byte At(int i) => i < _json.Length ? _json[i] : (byte)0;

    private static bool IsDigit(byte b) => b is >= (byte)'0' and <= (byte)'9';

    private readonly int Digits(int i)
    {
        while (IsDigit(At(i))) i++;
        return i;
    }

    /// <summary>The string whose opening quote the position stands on; false (failed) where it is not well formed or not ended.</summary>
    private bool String()
    {
        var start = _pos + 1;
        var i = start;
        var escaped = false;
        while (true)
        {
            i += JsonByteSearch.FirstStringStop(_json[i..]);
            if (i == _json.Length) return Fail();
            var b = _json[i];
            if (b == '"') break;
            if (b != '\\') return Fail(); // a control character
            escaped = true;
            switch (At(i + 1))
            {
                case (byte)'"' or (byte)'\\' or (byte)'/' or (byte)'b' or (byte)'f' or (byte)'n' or (byte)'r' or (byte)'t':
                    i += 2;
                    break;
                case (byte)'u':
                    for (var h = i + 2; h < i + 6; h++)
                    {
                        if (!char.IsAsciiHexDigit((char)At(h))) return Fail();
                    }
                    i += 6;
                    break;
                default:
                    return Fail();
            }
        }
        (_tokenStart, _valueStart, _valueLength, _escaped) = (_pos, start, i - start, escaped);
        _pos = i + 1;
        return true;
    }
}

/// <summary>
/// The two searches the tokens spend their time in, a vector at a time: a few comparisons per vector, where a search
/// over a set of values (<see cref="System.Buffers.SearchValues"/>) looks each byte up in a table.
/// </summary>
internal static class JsonByteSearch
{
    /// <summary>The index of the first quote, backslash or control character (below 0x20); the length where there is none.</summary>
    public static int FirstStringStop(ReadOnlySpan<byte> bytes)
    {
        ref var at = ref MemoryMarshal.GetReference(bytes);
        var i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var (quote, slash, space) = (Vector256.Create((byte)'"'), Vector256.Create((byte)'\\'), Vector256.Create((byte)' '));
            for (; i + Vector256<byte>.Count <= bytes.Length; i += Vector256<byte>.Count)
            {
                var v = Vector256.LoadUnsafe(ref at, (nuint)i);
                var stops = Vector256.Equals(v, quote) | Vector256.Equals(v, slash) | Vector256.LessThan(v, space);
                if (stops != Vector256<byte>.Zero) return i + BitOperations.TrailingZeroCount(stops.ExtractMostSignificantBits());
            }
        }
        for (; i < bytes.Length; i++)
        {
            var b = Unsafe.Add(ref at, i);
            if (b is (byte)'"' or (byte)'\\' or < (byte)' ') return i;
        }
        return bytes.Length;
    }

    /// <summary>The index of the first byte that is not JSON white space (space, tab, line feed, carriage return); the length where there is none.</summary>
    public static int FirstNotWhiteSpace(ReadOnlySpan<byte> bytes)
    {
        ref var at = ref MemoryMarshal.GetReference(bytes);
        var i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var (space, tab, feed, ret) = (Vector256.Create((byte)' '), Vector256.Create((byte)'\t'), Vector256.Create((byte)'\n'), Vector256.Create((byte)'\r'));
            for (; i + Vector256<byte>.Count <= bytes.Length; i += Vector256<byte>.Count)
            {
                var v = Vector256.LoadUnsafe(ref at, (nuint)i);
                var white = Vector256.Equals(v, space) | Vector256.Equals(v, tab) | Vector256.Equals(v, feed) | Vector256.Equals(v, ret);
                if (white != Vector256<byte>.AllBitsSet) return i + BitOperations.TrailingZeroCount(~white.ExtractMostSignificantBits());
            }
        }
        for (; i < bytes.Length; i++)
        {
            if (Unsafe.Add(ref at, i) is not ((byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r')) return i;
        }
        return bytes.Length;
    }
}
