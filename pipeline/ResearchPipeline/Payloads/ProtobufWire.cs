namespace ResearchPipeline.Payloads;

/// <summary>One field of a protobuf message as the wire has it: number, wire type, and its value or bytes.</summary>
internal readonly record struct WireField(int Number, int WireType, ulong Scalar, int Start, int Length);

/// <summary>
/// The protobuf wire format read without a schema (field numbers, not names; the semantic dictionaries name
/// the numbers). Only what a schema-less reader can know: varints, fixed 32/64-bit integers, and length-delimited
/// bytes that the caller reads as text, a nested message or raw bytes. Groups (wire types 3, 4) are not read.
/// </summary>
internal static class ProtobufWire
{
    /// <summary>True, with its fields, when the whole of <paramref name="data"/> is one well-formed message.</summary>
    public static bool TryRead(ReadOnlySpan<byte> data, List<WireField> fields)
    {
        fields.Clear();
        var at = 0;
        while (at < data.Length)
        {
            if (!TryVarint(data, ref at, out var tag)) return false;
            var number = tag >> 3;
            var wire = (int)(tag & 7);
            if (number is 0 or > 536_870_911) return false;
            switch (wire)
            {
                case 0:
                    if (!TryVarint(data, ref at, out var v)) return false;
                    fields.Add(new WireField((int)number, wire, v, 0, 0));
                    break;
                case 1:
                    if (data.Length - at < 8) return false;
                    fields.Add(new WireField((int)number, wire, BitConverter.ToUInt64(data.Slice(at, 8)), 0, 0));
                    at += 8;
                    break;
                case 5:
                    if (data.Length - at < 4) return false;
                    fields.Add(new WireField((int)number, wire, BitConverter.ToUInt32(data.Slice(at, 4)), 0, 0));
                    at += 4;
                    break;
                case 2:
                    if (!TryVarint(data, ref at, out var length) || length > (ulong)(data.Length - at)) return false;
                    fields.Add(new WireField((int)number, wire, 0, at, (int)length));
                    at += (int)length;
                    break;
                default:
                    return false;
            }
        }
        return fields.Count > 0;
    }

    private static bool TryVarint(ReadOnlySpan<byte> data, ref int at, out ulong value)
    {
        value = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            if (at >= data.Length) return false;
            var b = data[at++];
            value |= (ulong)(b & 0x7f) << shift;
            if ((b & 0x80) == 0) return true;
        }
        return false;
    }
}
