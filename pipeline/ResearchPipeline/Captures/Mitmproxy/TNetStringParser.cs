using System.Collections.Immutable;
using System.Globalization;
using System.Runtime.InteropServices;

namespace ResearchPipeline.Captures.Mitmproxy;

/// <summary>
/// Parses tnetstrings (<c>LENGTH:DATA TAG</c>, tnetstrings.info) as mitmproxy writes them: tags
/// <c>, ; # ^ ! ~ ] }</c>. Every length is checked against the bytes that really enclose it and nesting is
/// bounded, so a damaged or hostile flow fails with <see cref="InvalidDataException"/> instead of reading
/// outside its record or overflowing the stack.
/// </summary>
internal static class TNetStringParser
{
    /// <summary>Real flows nest about six deep (flow, server_conn, via, address, ...); anything near this is damage.</summary>
    public const int MaxDepth = 64;

    /// <summary>The netstring spec forbids leading zeros, not long prefixes; mitmproxy's own loader stops at 9 digits, we allow 12 (just under a terabyte).</summary>
    public const int MaxLengthDigits = 12;

    /// <summary>Parses the payload of a value whose length prefix and tag were read by the caller.</summary>
    public static TNetValue ParsePayload(ReadOnlyMemory<byte> payload, byte tag) => Parse(payload, tag, 0);

    private static TNetValue Pop(ReadOnlyMemory<byte> data, ref int pos, int depth)
    {
        if (depth > MaxDepth) throw new InvalidDataException($"values nested deeper than {MaxDepth}");
        var span = data.Span;
        var start = pos;
        long length = 0;
        var digits = 0;
        while (pos < span.Length && span[pos] is >= (byte)'0' and <= (byte)'9')
        {
            if (++digits > MaxLengthDigits) throw new InvalidDataException($"length prefix at byte {start} has more than {MaxLengthDigits} digits");
            length = length * 10 + (span[pos] - '0');
            pos++;
        }
        if (digits == 0 || pos >= span.Length || span[pos] != (byte)':')
            throw new InvalidDataException($"missing or invalid length prefix at byte {start}");
        pos++;
        if (length > span.Length - pos - 1)
            throw new InvalidDataException($"length {length} at byte {start} runs past the {span.Length - pos} bytes that enclose it");
        var payload = data.Slice(pos, (int)length);
        var tag = span[pos + (int)length];
        pos += (int)length + 1;
        return Parse(payload, tag, depth);
    }

    private static TNetValue Parse(ReadOnlyMemory<byte> payload, byte tag, int depth)
    {
        var span = payload.Span;
        switch (tag)
        {
            case (byte)',':
                return new TNetString(payload, IsText: false);
            case (byte)';':
                return new TNetString(payload, IsText: true);
            case (byte)'#':
                if (long.TryParse(span, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var integer)) return new TNetInteger(integer);
                throw new InvalidDataException($"invalid integer {Show(span)}");
            case (byte)'^':
                return new TNetFloat(ParseFloat(span));
            case (byte)'!':
                if (span.SequenceEqual("true"u8)) return TNetBoolean.True;
                if (span.SequenceEqual("false"u8)) return TNetBoolean.False;
                throw new InvalidDataException($"invalid boolean {Show(span)}");
            case (byte)'~':
                if (span.Length != 0) throw new InvalidDataException("null with a payload");
                return TNetNull.Value;
            case (byte)']':
            {
                var items = new TNetValue[Count(span)];
                var pos = 0;
                for (var i = 0; i < items.Length; i++) items[i] = Pop(payload, ref pos, depth + 1);
                if (pos < payload.Length) throw new InvalidDataException($"missing or invalid length prefix at byte {pos}");
                return new TNetList(ImmutableCollectionsMarshal.AsImmutableArray(items));
            }
            case (byte)'}':
            {
                var count = Count(span);
                var entries = new KeyValuePair<string, TNetValue>[(count + 1) / 2];
                var pos = 0;
                for (var i = 0; i < entries.Length; i++)
                {
                    var key = Pop(payload, ref pos, depth + 1);
                    var keyText = key is TNetString s ? s.Text : TNetDict.AsText(key)
                        ?? throw new InvalidDataException("dictionary key is not a string");
                    if (pos >= payload.Length) throw new InvalidDataException($"dictionary key {Show(keyText)} has no value");
                    entries[i] = new(keyText, Pop(payload, ref pos, depth + 1));
                }
                if (pos < payload.Length) throw new InvalidDataException($"missing or invalid length prefix at byte {pos}");
                return new TNetDict(ImmutableCollectionsMarshal.AsImmutableArray(entries));
            }
            default:
                throw new InvalidDataException($"unknown type tag 0x{tag:x2}");
        }
    }

    /// <summary>
    /// How many values a list or dictionary payload holds, by hopping from length prefix to length prefix, so
    /// that its items go into an array of the right size. Counting stops at the first prefix that is not
    /// sound; parsing then fails there with its own message.
    /// </summary>
    private static int Count(ReadOnlySpan<byte> span)
    {
        var count = 0;
        var pos = 0;
        while (pos < span.Length)
        {
            long length = 0;
            var digits = 0;
            while (pos < span.Length && span[pos] is >= (byte)'0' and <= (byte)'9' && digits <= MaxLengthDigits)
            {
                length = length * 10 + (span[pos] - '0');
                pos++;
                digits++;
            }
            if (digits == 0 || digits > MaxLengthDigits || pos >= span.Length || span[pos] != (byte)':' || length > span.Length - pos - 2) return count + 1;
            pos += (int)length + 2;
            count++;
        }
        return count;
    }

    private static double ParseFloat(ReadOnlySpan<byte> span)
    {
        // Python's repr() writes inf, -inf and nan, which .NET does not parse.
        if (span.SequenceEqual("inf"u8)) return double.PositiveInfinity;
        if (span.SequenceEqual("-inf"u8)) return double.NegativeInfinity;
        if (span.SequenceEqual("nan"u8)) return double.NaN;
        if (double.TryParse(span, NumberStyles.Float, CultureInfo.InvariantCulture, out var value)) return value;
        throw new InvalidDataException($"invalid float {Show(span)}");
    }

    private static string Show(ReadOnlySpan<byte> span) => Show(TNetString.Decode(span.Length > 40 ? span[..40] : span));

    private static string Show(string text) => "\"" + (text.Length > 40 ? text[..40] + "..." : text) + "\"";
}
