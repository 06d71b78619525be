using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Numerics;
using System.Runtime.InteropServices;
using System.Text;
using CsvHelper;

namespace ResearchPipeline.Enrichment;

/// <summary>What the range table says about one address, and whether ranges overlapped there.</summary>
public sealed record AsnRangeAnswer(uint Asn, string? Organisation, bool FromOverlap);

/// <summary>
/// IP range -> AS number table from CSV files without a header (ip-location-db: range start, range end, AS
/// number, AS organisation), kept sorted by range start per address family. The data has overlapping ranges
/// (its README says so): the narrowest range containing an address answers, and the answer says it came from
/// an overlap so the run can count them.
/// </summary>
public sealed class AsnRanges
{
    private readonly Family<uint> _v4;
    private readonly Family<UInt128> _v6;
    private readonly OrganisationNames _organisations;

    private AsnRanges(Family<uint> v4, Family<UInt128> v6, OrganisationNames organisations, string source, int rowsRejected)
    {
        _v4 = v4;
        _v6 = v6;
        _organisations = organisations;
        Source = source;
        RowsRejected = rowsRejected;
    }

    public string Source { get; }
    public int RangeCount => _v4.Count + _v6.Count;
    /// <summary>Ranges that start inside an earlier one.</summary>
    public int OverlappingRanges => _v4.Overlapping + _v6.Overlapping;
    /// <summary>Rows that were not a range (unparseable address or AS number, end before start).</summary>
    public int RowsRejected { get; }

    public static AsnRanges Load(IEnumerable<string> csvFiles, string source)
    {
        // The load runs beside the parse stage, and what it allocates is collected in the parse stage's time: half a
        // million rows are read as the bytes of the file, into arrays of numbers, with no object per row; an
        // organisation stays bytes until a lookup answers with it.
        var files = csvFiles.ToList();
        // Sized by the files' lines rather than grown by doubling (most rows of the published table are IPv4, and
        // a name is at most one a row).
        var lines = files.Sum(CountLines);
        var v4 = new List<Row<uint>>(lines);
        var v6 = new List<Row<UInt128>>();
        var organisations = new OrganisationNames(lines);
        var rejected = 0;
        foreach (var file in files)
        {
            using var reader = CsvReader.Create(File.OpenRead(file), new CsvReaderOptions { HasHeader = false });
            while (reader.Read())
            {
                if (reader.FieldCount < 3
                    || !TryParseAddress(reader.GetSpan(0), out var start, out var startIsV4)
                    || !TryParseAddress(reader.GetSpan(1), out var end, out var endIsV4)
                    || startIsV4 != endIsV4
                    || !uint.TryParse(reader.GetSpan(2), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var asn)
                    || end < start)
                {
                    rejected++;
                    continue;
                }
                var organisation = reader.FieldCount > 3 ? organisations.Add(reader.GetSpan(3)) : -1;
                if (startIsV4) v4.Add(new Row<uint>((uint)start, (uint)end, asn, organisation));
                else v6.Add(new Row<UInt128>(start, end, asn, organisation));
            }
        }
        organisations.Finish();
        return new AsnRanges(new Family<uint>(v4), new Family<UInt128>(v6), organisations, source, rejected);
    }

    private static int CountLines(string path)
    {
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(1 << 16);
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 0, FileOptions.SequentialScan);
            var lines = 1;
            int read;
            while ((read = stream.Read(buffer, 0, buffer.Length)) > 0) lines += buffer.AsSpan(0, read).Count((byte)'\n');
            return lines;
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    public AsnRangeAnswer? Find(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        var key = Key(address);
        var found = address.AddressFamily == AddressFamily.InterNetwork ? _v4.Find((uint)key) : _v6.Find(key);
        return found is var (asn, organisation, fromOverlap) ? new AsnRangeAnswer(asn, _organisations.Name(organisation), fromOverlap) : null;
    }

    private static UInt128 Key(IPAddress address)
    {
        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out var written);
        return written == 4 ? BinaryPrimitives.ReadUInt32BigEndian(bytes) : BinaryPrimitives.ReadUInt128BigEndian(bytes);
    }

    /// <summary>
    /// An address as the table writes it. A dotted quad of plain decimals is read here, as <see cref="IPAddress"/>
    /// reads it; anything else (IPv6, and the forms IPv4 also allows: octal, hexadecimal, fewer parts) is left to it.
    /// </summary>
    private static bool TryParseAddress(ReadOnlySpan<byte> text, out UInt128 key, out bool v4)
    {
        uint value = 0;
        var parts = 0;
        var at = 0;
        while (parts < 4)
        {
            var digits = 0;
            uint part = 0;
            while (at < text.Length && digits < 4 && (uint)(text[at] - '0') <= 9)
            {
                part = part * 10 + (uint)(text[at++] - '0');
                digits++;
            }
            // A leading zero makes a part octal to IPAddress, and more than three digits or 256 are not a byte.
            if (digits is 0 or > 3 || part > 255 || (digits > 1 && text[at - digits] == '0')) break;
            value = (value << 8) | part;
            parts++;
            if (parts < 4 && (at >= text.Length || text[at++] != '.')) break;
        }
        if (parts == 4 && at == text.Length)
        {
            (key, v4) = (value, true);
            return true;
        }
        if (IPAddress.TryParse(text, out var address))
        {
            (key, v4) = (Key(address), address.AddressFamily == AddressFamily.InterNetwork);
            return true;
        }
        (key, v4) = (0, false);
        return false;
    }

    private readonly record struct Row<TKey>(TKey Start, TKey End, uint Asn, int Organisation);

    /// <summary>
    /// The organisation names of the rows as UTF-8, one after another in blocks that are never copied; a row that
    /// names the same organisation as the row before it shares its entry. A name becomes a string when a lookup
    /// first answers with it.
    /// </summary>
    private sealed class OrganisationNames(int rows)
    {
        private const int BlockBytes = 1 << 20;
        private readonly List<byte[]> _blocks = [];
        private int _used = BlockBytes;
        private readonly List<(int Block, int Start, int Length)> _names = new(rows);
        private string?[]? _strings;

        /// <returns>The name's number, or -1 for an empty field.</returns>
        public int Add(ReadOnlySpan<byte> name)
        {
            if (name.IsEmpty) return -1;
            if (_names.Count > 0 && name.SequenceEqual(Bytes(_names.Count - 1))) return _names.Count - 1;
            if (_used + name.Length > BlockBytes)
            {
                _blocks.Add(new byte[Math.Max(BlockBytes, name.Length)]);
                _used = 0;
            }
            name.CopyTo(_blocks[^1].AsSpan(_used));
            _names.Add((_blocks.Count - 1, _used, name.Length));
            _used += name.Length;
            return _names.Count - 1;
        }

        private ReadOnlySpan<byte> Bytes(int number) => _blocks[_names[number].Block].AsSpan(_names[number].Start, _names[number].Length);

        public string? Name(int number)
        {
            if (number < 0) return null;
            var strings = _strings ?? throw new InvalidOperationException("organisation names asked for before the table was read");
            if (Volatile.Read(ref strings[number]) is { } known) return known;
            var name = Encoding.UTF8.GetString(Bytes(number));
            // Lookups from several threads agree on one string per name.
            return Interlocked.CompareExchange(ref strings[number], name, null) ?? name;
        }

        /// <summary>Called once every row is read.</summary>
        public void Finish() => _strings = new string?[_names.Count];
    }

    private sealed class Family<TKey> where TKey : struct, IBinaryInteger<TKey>
    {
        private readonly List<Row<TKey>> _ranges;
        // Largest range end among ranges [0..i]: lets a lookup stop walking back as soon as no earlier range can contain the address.
        private readonly TKey[] _maxEnd;

        public Family(List<Row<TKey>> rows)
        {
            // The published files come sorted; a sort is paid only for a file that is not. It is stable, so rows
            // alike in start and end keep the file's order.
            _ranges = IsSorted(rows) ? rows : [.. rows.OrderBy(r => r.Start).ThenBy(r => r.End)];
            var ranges = CollectionsMarshal.AsSpan(_ranges);
            _maxEnd = new TKey[ranges.Length];
            for (var i = 0; i < ranges.Length; i++)
            {
                if (i > 0 && ranges[i].Start <= _maxEnd[i - 1]) Overlapping++;
                _maxEnd[i] = i == 0 ? ranges[i].End : TKey.Max(_maxEnd[i - 1], ranges[i].End);
            }
        }

        public int Count => _ranges.Count;
        public int Overlapping { get; }

        private static bool IsSorted(List<Row<TKey>> list)
        {
            var rows = CollectionsMarshal.AsSpan(list);
            for (var i = 1; i < rows.Length; i++)
                if (rows[i - 1].Start > rows[i].Start || (rows[i - 1].Start == rows[i].Start && rows[i - 1].End > rows[i].End)) return false;
            return true;
        }

        public (uint Asn, int Organisation, bool FromOverlap)? Find(TKey key)
        {
            var ranges = CollectionsMarshal.AsSpan(_ranges);
            int lo = 0, hi = ranges.Length - 1, last = -1;
            while (lo <= hi)
            {
                var mid = lo + (hi - lo) / 2;
                if (ranges[mid].Start <= key) { last = mid; lo = mid + 1; }
                else hi = mid - 1;
            }
            Row<TKey>? best = null;
            var containing = 0;
            for (var i = last; i >= 0 && _maxEnd[i] >= key; i--)
            {
                var r = ranges[i];
                if (r.End < key) continue;
                containing++;
                if (best is null || r.End - r.Start < best.Value.End - best.Value.Start) best = r;
            }
            return best is { } b ? (b.Asn, b.Organisation, containing > 1) : null;
        }
    }
}
