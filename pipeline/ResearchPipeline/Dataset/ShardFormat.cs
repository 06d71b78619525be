using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;

namespace ResearchPipeline.Dataset;

/// <summary>
/// The bytes of a shard file. Shards are read once, soon after, by the program that wrote them, so they hold
/// cells as the program has them, with nothing a general format adds (Parquet's pages, levels and statistics):
/// <code>
/// header   "RPSHARD2", column count (varint), per column: name (varint length, UTF-8), kind (byte)
/// groups   per row group: each column's bytes, then its tail: rows (int32), byte length of each column (int32 each)
/// index    per row group: offset in the file (int64), rows (int32)
/// trailer  offset of the index (int64), row groups (int32), "RPSHEND1"
/// </code>
/// Numbers are little-endian. A column of values is a byte (1: every cell has a value; 0: a bitmap of which
/// do follows) then the values present, each in its own width; a timestamp is its DateTime binary form (ticks
/// and kind). A column of text gives each cell a varint tag: 0 for null; an odd tag 2d - 1 for the text of the cell
/// d rows before it in the group (1: the one before; the writer of a column whose values repeat row after row names
/// any text met earlier in the group so, others only the last text); an even tag 2n + 2 for n bytes of UTF-8 that
/// follow. "" is distinct from null.
/// </summary>
internal static class ShardFormat
{
    public static ReadOnlySpan<byte> Magic => "RPSHARD2"u8;
    public static ReadOnlySpan<byte> EndMagic => "RPSHEND1"u8;
    public const int TrailerBytes = 8 + 4 + 8;
    public const int IndexEntryBytes = 8 + 4;

    /// <summary>
    /// Texts this short are encoded in one pass, their tag set after (3 bytes a character at most: 123 bytes, a tag of
    /// two bytes at most).
    /// </summary>
    private const int ShortText = 41;

    /// <summary>Texts of at most this many bytes take a one-byte tag (2 * 62 + 2 &lt; 128).</summary>
    private const int OneByteTag = 62;

    /// <summary>The longest text a cell holds: its tag, 2n + 2, is read as an int.</summary>
    public const int MostTextBytes = (int.MaxValue - 2) / 2;

    public static void WriteVarint(ArrayBufferWriter<byte> into, uint value) => into.Advance(Varint(into.GetSpan(5), value));

    /// <param name="repeats">
    /// For a column whose values repeat row after row: where each text was last written in the group, emptied here,
    /// so that a text met again is named by its distance rather than written again. Null: only a text equal to the last
    /// one is named so.
    /// </param>
    public static void WriteStrings(ArrayBufferWriter<byte> into, string?[] cells, int count, Dictionary<string, int>? repeats = null)
    {
        // Written into a span taken a block at a time: a span asked of the writer for each cell made it check its room
        // and resize for every cell.
        var span = Span<byte>.Empty;
        var at = 0;
        string? last = null;
        var lastRow = -1;
        repeats?.Clear();
        for (var i = 0; i < count; i++)
        {
            var text = cells[i];
            if (text is null)
            {
                if (at + 1 > span.Length) { span = Next(into, at, 1); at = 0; }
                span[at++] = 0;
                continue;
            }
            var from = -1;
            if (last is not null && (ReferenceEquals(text, last) || string.Equals(text, last, StringComparison.Ordinal))) from = lastRow;
            else if (repeats is not null)
            {
                // One lookup: the row a text was last written at, replaced by this one.
                ref var row = ref CollectionsMarshal.GetValueRefOrAddDefault(repeats, text, out var met);
                if (met) from = row;
                row = i;
            }
            (last, lastRow) = (text, i);
            if (from >= 0)
            {
                if (at + 5 > span.Length) { span = Next(into, at, 5); at = 0; }
                at += Varint(span[at..], (uint)(2 * (i - from) - 1));
                continue;
            }
            // A short text's room is reserved and it is encoded first, not counted first; its tag is set after, and in
            // the rare case that it needs two bytes (more than 62 bytes of UTF-8) the text moves over by one.
            var length = text.Length <= ShortText ? -1 : Encoding.UTF8.GetByteCount(text);
            // The tag must stay a number the reader takes (an int): a text of a gigabyte or more is refused here, by name.
            if (length > MostTextBytes) throw new InvalidDataException($"a text of {length} bytes is longer than a shard's cell holds ({MostTextBytes})");
            var most = length < 0 ? 2 + ShortText * 3 : 5 + length;
            if (at + most > span.Length) { span = Next(into, at, most); at = 0; }
            if (length < 0)
            {
                var written = Encoding.UTF8.GetBytes(text, span[(at + 1)..]);
                if (written <= OneByteTag) span[at++] = (byte)(2 * written + 2);
                else
                {
                    span.Slice(at + 1, written).CopyTo(span[(at + 2)..]);
                    at += Varint(span[at..], 2 * (uint)written + 2);
                }
                at += written;
            }
            else
            {
                at += Varint(span[at..], 2 * (uint)length + 2);
                at += Encoding.UTF8.GetBytes(text, span[at..]);
            }
        }
        into.Advance(at);
    }

    /// <summary>Commits what the span holds and takes a fresh block with room for at least <paramref name="most"/> bytes.</summary>
    private static Span<byte> Next(ArrayBufferWriter<byte> into, int at, int most)
    {
        into.Advance(at);
        return into.GetSpan(Math.Max(most, BlockBytes));
    }

    private const int BlockBytes = 16 << 10;

    private static int Varint(Span<byte> into, uint value)
    {
        var n = 0;
        while (value >= 0x80)
        {
            into[n++] = (byte)(value | 0x80);
            value >>= 7;
        }
        into[n++] = (byte)value;
        return n;
    }

    public static void ReadStrings(ref ShardReader from, string?[] cells, int count, SharedText? shared)
    {
        for (var i = 0; i < count; i++)
        {
            var tag = from.Varint();
            if (tag == 0) cells[i] = null;
            else if ((tag & 1) != 0)
            {
                // (tag + 1) / 2, without overflowing for the largest tag.
                var back = tag / 2 + 1;
                cells[i] = back <= i && cells[i - back] is { } earlier ? earlier : throw from.Corrupt($"a text repeated from {back} rows before row {i}, which has none");
            }
            else
            {
                var bytes = from.Bytes((tag - 2) / 2);
                cells[i] = shared is null ? Encoding.UTF8.GetString(bytes) : shared.Get(bytes);
            }
        }
    }

    /// <summary>Values of a fixed width, as the machine holds them (every machine .NET runs a pipeline on is little-endian).</summary>
    public static void WriteValues<T>(ArrayBufferWriter<byte> into, T?[] cells, int count) where T : struct
    {
        var width = Unsafe.SizeOf<T>();
        var present = 0;
        for (var i = 0; i < count; i++) if (cells[i].HasValue) present++;
        WritePresence(into, cells, count, present == count);
        var span = into.GetSpan(present * width);
        var at = 0;
        for (var i = 0; i < count; i++)
        {
            if (cells[i] is not { } value) continue;
            MemoryMarshal.Write(span.Slice(at, width), in value);
            at += width;
        }
        into.Advance(at);
    }

    public static void ReadValues<T>(ref ShardReader from, T?[] cells, int count) where T : struct
    {
        var width = Unsafe.SizeOf<T>();
        var bitmap = ReadPresence(ref from, count, out var all);
        for (var i = 0; i < count; i++)
            cells[i] = all || (bitmap[i >> 3] & (1 << (i & 7))) != 0 ? MemoryMarshal.Read<T>(from.Bytes(width)) : null;
    }

    public static void WriteTimes(ArrayBufferWriter<byte> into, DateTime?[] cells, int count)
    {
        var present = 0;
        for (var i = 0; i < count; i++) if (cells[i].HasValue) present++;
        WritePresence(into, cells, count, present == count);
        var span = into.GetSpan(present * 8);
        var at = 0;
        for (var i = 0; i < count; i++)
        {
            if (cells[i] is not { } value) continue;
            BinaryPrimitives.WriteInt64LittleEndian(span[at..], value.ToBinary());
            at += 8;
        }
        into.Advance(at);
    }

    public static void ReadTimes(ref ShardReader from, DateTime?[] cells, int count)
    {
        var bitmap = ReadPresence(ref from, count, out var all);
        for (var i = 0; i < count; i++)
        {
            if (!all && (bitmap[i >> 3] & (1 << (i & 7))) == 0)
            {
                cells[i] = null;
                continue;
            }
            var binary = BinaryPrimitives.ReadInt64LittleEndian(from.Bytes(8));
            try
            {
                cells[i] = DateTime.FromBinary(binary);
            }
            catch (ArgumentException)
            {
                throw from.Corrupt($"no timestamp in {binary}");
            }
        }
    }

    private static void WritePresence<T>(ArrayBufferWriter<byte> into, T?[] cells, int count, bool all) where T : struct
    {
        var bytes = all ? 1 : 1 + (count + 7) / 8;
        var span = into.GetSpan(bytes)[..bytes];
        span.Clear();
        span[0] = all ? (byte)1 : (byte)0;
        if (!all)
            for (var i = 0; i < count; i++)
                if (cells[i].HasValue) span[1 + (i >> 3)] |= (byte)(1 << (i & 7));
        into.Advance(bytes);
    }

    /// <returns>Which cells have a value, one bit each, unless all do.</returns>
    private static ReadOnlySpan<byte> ReadPresence(ref ShardReader from, int count, out bool all)
    {
        var flag = from.Bytes(1)[0];
        all = flag == 1;
        return flag switch
        {
            1 => default,
            0 => from.Bytes((count + 7) / 8),
            _ => throw from.Corrupt($"no presence flag in byte {flag}"),
        };
    }
}

/// <summary>Reads the bytes of one column of a row group; any read past its end, or anything not written so, is a corrupt shard, named with the file and offset.</summary>
internal ref struct ShardReader
{
    private readonly ReadOnlySpan<byte> _bytes;
    private readonly string _path;
    private readonly long _offset;
    private int _at;

    /// <param name="offset">Where the bytes begin in the file.</param>
    public ShardReader(ReadOnlySpan<byte> bytes, string path, long offset)
    {
        _bytes = bytes;
        _path = path;
        _offset = offset;
    }

    public int Varint()
    {
        // Most numbers are a short text's tag or a repeat: one byte, taken without the loop and its checks.
        if ((uint)_at < (uint)_bytes.Length && _bytes[_at] < 0x80) return _bytes[_at++];
        return LongVarint();
    }

    private int LongVarint()
    {
        uint value = 0;
        for (var shift = 0; shift < 35; shift += 7)
        {
            if (_at >= _bytes.Length) throw Corrupt("the column ends inside a number");
            var b = _bytes[_at++];
            value |= (uint)(b & 0x7f) << shift;
            if (b < 0x80) return value <= int.MaxValue ? (int)value : throw Corrupt($"a length of {value}");
        }
        throw Corrupt("a number longer than five bytes");
    }

    public ReadOnlySpan<byte> Bytes(int count)
    {
        if (count < 0 || count > _bytes.Length - _at) throw Corrupt($"{count} bytes asked for, {_bytes.Length - _at} left in the column");
        var taken = _bytes.Slice(_at, count);
        _at += count;
        return taken;
    }

    /// <summary>Checks that the column's cells took all its bytes.</summary>
    public readonly void End()
    {
        if (_at != _bytes.Length) throw Corrupt($"{_bytes.Length - _at} bytes left after the column's cells");
    }

    public readonly InvalidDataException Corrupt(string what) => new($"{_path}: corrupt shard at offset {_offset + _at}: {what}");
}
