using System.Buffers;
using System.Collections.Immutable;
using System.Text;

namespace ResearchPipeline.Captures.Pcap.Http2;

/// <summary>An HPACK header block that cannot be decoded; the message says where and why.</summary>
internal sealed class HpackException(string message) : Exception(message);

/// <summary>
/// Decodes the header blocks of one direction of an HTTP/2 connection (RFC 7541): indexed fields, literals with
/// and without indexing, table size updates, Huffman-coded strings, and the dynamic table they build, which is
/// why every block of a direction must be decoded in order. A block that cannot be decoded empties the dynamic
/// table: later blocks still decode as long as they refer only to entries added after it.
/// </summary>
internal sealed class HpackDecoder
{
    // Bounds that keep a hostile block from holding memory: the table size a peer may ask for and one block's headers.
    private const int MaxTableSize = 1 << 20;
    private const int MaxHeaderListBytes = 1 << 20;

    private static readonly Huffman Code = new(HpackTables.HuffmanCodeLengths);

    // Newest first: dynamic index 62 is _entries[^1].
    private readonly List<(string Name, string Value)> _entries = [];
    // One block's fields as they are read, kept for the next block: each block gets an array of its own size.
    private readonly ImmutableArray<HttpHeader>.Builder _fields = ImmutableArray.CreateBuilder<HttpHeader>();
    private int _size;
    private int _maxSize = 4096;

    public int DynamicEntries => _entries.Count;

    /// <summary>A block was lost: entries it may have added are unknown, so only entries added from now on are trusted.</summary>
    public void Forget()
    {
        _entries.Clear();
        _size = 0;
    }

    public ImmutableArray<HttpHeader> Decode(ReadOnlySpan<byte> block)
    {
        try
        {
            return Read(block);
        }
        catch (HpackException)
        {
            _entries.Clear();
            _size = 0;
            throw;
        }
    }

    private ImmutableArray<HttpHeader> Read(ReadOnlySpan<byte> block)
    {
        var headers = _fields;
        headers.Clear();
        var listBytes = 0;
        var pos = 0;
        while (pos < block.Length)
        {
            var b = block[pos];
            string name, value;
            if ((b & 0x80) != 0)
            {
                (name, value) = Entry(Integer(block, ref pos, 7));
            }
            else if ((b & 0xE0) == 0x20)
            {
                var size = Integer(block, ref pos, 5);
                if (size > MaxTableSize) throw new HpackException($"table size update to {size} over {MaxTableSize}");
                _maxSize = (int)size;
                Evict(0);
                continue;
            }
            else
            {
                var indexing = (b & 0xC0) == 0x40;
                var index = Integer(block, ref pos, indexing ? 6 : 4);
                name = index == 0 ? String(block, ref pos) : Entry(index).Name;
                value = String(block, ref pos);
                if (indexing) Add(name, value);
            }
            listBytes += name.Length + value.Length + 32;
            if (listBytes > MaxHeaderListBytes) throw new HpackException($"header list over {MaxHeaderListBytes} bytes");
            headers.Add(new HttpHeader(name, value));
        }
        return headers.ToImmutable();
    }

    private (string Name, string Value) Entry(long index)
    {
        if (index <= 0) throw new HpackException("index 0 is not valid");
        if (index < HpackTables.Static.Length) return HpackTables.Static[index];
        var dynamic = index - HpackTables.Static.Length;
        if (dynamic >= _entries.Count) throw new HpackException($"index {index} is past the dynamic table ({_entries.Count} entries known)");
        return _entries[_entries.Count - 1 - (int)dynamic];
    }

    private void Add(string name, string value)
    {
        var size = name.Length + value.Length + 32;
        Evict(size);
        // An entry larger than the whole table empties it and is not kept (RFC 7541 section 4.4).
        if (size > _maxSize) return;
        _entries.Add((name, value));
        _size += size;
    }

    private void Evict(int room)
    {
        var drop = 0;
        while (_size + room > _maxSize && drop < _entries.Count)
        {
            _size -= _entries[drop].Name.Length + _entries[drop].Value.Length + 32;
            drop++;
        }
        if (drop > 0) _entries.RemoveRange(0, drop);
    }

    /// <summary>An integer with an N-bit prefix (RFC 7541 section 5.1).</summary>
    private static long Integer(ReadOnlySpan<byte> block, ref int pos, int prefixBits)
    {
        var max = (1 << prefixBits) - 1;
        long value = block[pos++] & max;
        if (value < max) return value;
        var shift = 0;
        while (true)
        {
            if (pos >= block.Length) throw new HpackException("integer runs past the end of the block");
            var b = block[pos++];
            value += (long)(b & 0x7F) << shift;
            if (value > int.MaxValue) throw new HpackException("integer too large");
            if ((b & 0x80) == 0) return value;
            shift += 7;
            if (shift > 35) throw new HpackException("integer too large");
        }
    }

    private static string String(ReadOnlySpan<byte> block, ref int pos)
    {
        if (pos >= block.Length) throw new HpackException("string missing at the end of the block");
        var huffman = (block[pos] & 0x80) != 0;
        var length = Integer(block, ref pos, 7);
        if (length > block.Length - pos) throw new HpackException($"string of {length} bytes runs past the end of the block");
        var bytes = block.Slice(pos, (int)length);
        pos += (int)length;
        return huffman ? Code.Decode(bytes) : Encoding.Latin1.GetString(bytes);
    }

    /// <summary>The canonical Huffman code of Appendix B, decoded bit by bit against the first code of each length.</summary>
    private sealed class Huffman
    {
        private const int Eos = 256;
        private readonly int[] _firstCode = new int[32];
        private readonly int[] _firstIndex = new int[32];
        private readonly int[] _count = new int[32];
        private readonly int[] _symbols;

        public Huffman(byte[] lengths)
        {
            _symbols = Enumerable.Range(0, lengths.Length).OrderBy(s => lengths[s]).ThenBy(s => s).ToArray();
            var code = 0;
            var previous = lengths[_symbols[0]];
            for (var i = 0; i < _symbols.Length; i++)
            {
                var length = lengths[_symbols[i]];
                if (i > 0) code = (code + 1) << (length - previous);
                previous = length;
                if (_count[length]++ == 0)
                {
                    _firstCode[length] = code;
                    _firstIndex[length] = i;
                }
            }
        }

        public string Decode(ReadOnlySpan<byte> bytes)
        {
            // No code is shorter than 5 bits: the string has at most this many characters.
            var most = bytes.Length * 8 / 5;
            char[]? rented = null;
            var output = most <= 256 ? stackalloc char[256] : (rented = ArrayPool<char>.Shared.Rent(most));
            try
            {
                var n = 0;
                var code = 0;
                var length = 0;
                foreach (var b in bytes)
                {
                    for (var bit = 7; bit >= 0; bit--)
                    {
                        code = (code << 1) | ((b >> bit) & 1);
                        length++;
                        var offset = code - _firstCode[length];
                        if (_count[length] > 0 && offset >= 0 && offset < _count[length])
                        {
                            var symbol = _symbols[_firstIndex[length] + offset];
                            if (symbol == Eos) throw new HpackException("Huffman string contains EOS");
                            output[n++] = (char)symbol;
                            code = 0;
                            length = 0;
                        }
                        else if (length >= 30)
                        {
                            throw new HpackException("Huffman code not valid");
                        }
                    }
                }
                // Padding is the most significant bits of EOS: at most 7 bits, all ones.
                if (length > 7 || code != (1 << length) - 1) throw new HpackException("Huffman padding not valid");
                return new string(output[..n]);
            }
            finally
            {
                if (rented is not null) ArrayPool<char>.Shared.Return(rented);
            }
        }
    }
}
