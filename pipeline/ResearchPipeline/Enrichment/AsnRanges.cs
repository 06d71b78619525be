using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Numerics;
using System.Runtime.InteropServices;
using System.Text;
using CsvHelper;
using ResearchPipeline.Reference;

namespace ResearchPipeline.Enrichment;

/// <summary>What the range table says about one address, and whether ranges overlapped there.</summary>
public sealed record AsnRangeAnswer(uint Asn, string? Organisation, bool FromOverlap);

/// <summary>
/// IP range -> AS number table from CSV files without a header (ip-location-db: range start, range end, AS
/// number, AS organisation), kept sorted by range start per address family. The data has overlapping ranges
/// (its README says so): the narrowest range containing an address answers, and the answer says it came from
/// an overlap so the run can count them.
/// </summary>
public sealed partial class AsnRanges : IDisposable
{
    private readonly Family<uint> _v4;
    private readonly Family<UInt128> _v6;
    private readonly Names _organisations;
    // The compiled file the columns are read from in place, when they are.
    private readonly IDisposable? _mapping;

    private AsnRanges(Family<uint> v4, Family<UInt128> v6, Names organisations, string source, int rowsRejected, IDisposable? mapping = null)
    {
        _v4 = v4;
        _v6 = v6;
        _organisations = organisations;
        Source = source;
        RowsRejected = rowsRejected;
        _mapping = mapping;
    }

    public void Dispose() => _mapping?.Dispose();

    public string Source { get; }
    public int RangeCount => _v4.Count + _v6.Count;
    /// <summary>Ranges that start inside an earlier one.</summary>
    public int OverlappingRanges => _v4.Overlapping + _v6.Overlapping;
    /// <summary>Rows that were not a range (unparseable address or AS number, end before start).</summary>
    public int RowsRejected { get; }

    /// <param name="compiledFolder">
    /// Where the table is kept once read, in a form read back without parsing (<see cref="Compiled"/>); null reads the
    /// files every time.
    /// </param>
    /// <param name="digests">
    /// The digests remembered in the folder that holds the files and the compiled table: the files' digests name the
    /// table, and a table as it was when last checked is not read whole to be checked again. Without it, every file is
    /// read and hashed, and the table checked, each time.
    /// </param>
    public static AsnRanges Load(IEnumerable<string> csvFiles, string source, string? compiledFolder = null, RememberedDigests? digests = null)
    {
        var paths = csvFiles.ToList();
        if (compiledFolder is null) return Read(paths, source);
        var compiled = Compiled.PathFor(paths, compiledFolder, digests is null ? null : digests.Sha256Of);
        if (Compiled.TryOpen(compiled, source, digests) is { } kept) return kept;
        var table = Read(paths, source);
        Compiled.TryKeep(table, compiled);
        return table;
    }

    private static AsnRanges Read(List<string> paths, string source)
    {
        // The load runs beside the parse stage, and what it allocates is collected in the parse stage's time: half a
        // million rows are read as the bytes of the file, into arrays of numbers, with no object per row; an
        // organisation stays bytes until a lookup answers with it. The files (one per address family, as published)
        // are read side by side: a run over a few captures waits for this table and little else.
        var read = new FileRows[paths.Count];
        SideBySide.For(paths.Count, i => read[i] = FileRows.Read(paths[i]));
        // In the files' order, as one file of all their rows would be read.
        var files = read.ToList();
        // The first file's names are the table's, and each later file's go after them.
        var organisations = files.Count > 0 ? files[0].Organisations : new OrganisationNames(0);
        foreach (var file in files.Skip(1)) file.Renumber(organisations.Append(file.Organisations));
        return new AsnRanges(Family<uint>.Of(Concat(files.Select(f => f.V4))), Family<UInt128>.Of(Concat(files.Select(f => f.V6))),
            organisations.Finish(), source, files.Sum(f => f.Rejected));
    }

    private static List<T> Concat<T>(IEnumerable<List<T>> lists)
    {
        var nonEmpty = lists.Where(l => l.Count > 0).ToList();
        if (nonEmpty.Count == 1) return nonEmpty[0];
        var all = new List<T>(nonEmpty.Sum(l => l.Count));
        foreach (var list in nonEmpty) all.AddRange(list);
        return all;
    }

    /// <summary>The rows of one file, its organisations numbered from 0 until the files are put together.</summary>
    private sealed class FileRows
    {
        public List<Row<uint>> V4 { get; private set; } = [];
        public List<Row<UInt128>> V6 { get; private set; } = [];
        public required OrganisationNames Organisations { get; init; }
        public int Rejected { get; private set; }

        public static FileRows Read(string file)
        {
            // Sized by the file's lines rather than grown by doubling, for the family of its first row (each published
            // file holds one family); a name is at most one a row.
            var lines = CountLines(file);
            var rows = new FileRows { Organisations = new OrganisationNames(lines) };
            using var reader = CsvReader.Create(File.OpenRead(file), new CsvReaderOptions { HasHeader = false });
            var sized = false;
            while (reader.Read())
            {
                if (reader.FieldCount < 3
                    || !TryParseAddress(reader.GetSpan(0), out var start, out var startIsV4)
                    || !TryParseAddress(reader.GetSpan(1), out var end, out var endIsV4)
                    || startIsV4 != endIsV4
                    || !uint.TryParse(reader.GetSpan(2), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var asn)
                    || end < start)
                {
                    rows.Rejected++;
                    continue;
                }
                if (!sized)
                {
                    if (startIsV4) rows.V4 = new List<Row<uint>>(lines);
                    else rows.V6 = new List<Row<UInt128>>(lines);
                    sized = true;
                }
                var organisation = reader.FieldCount > 3 ? rows.Organisations.Add(reader.GetSpan(3)) : -1;
                if (startIsV4) rows.V4.Add(new Row<uint>((uint)start, (uint)end, asn, organisation));
                else rows.V6.Add(new Row<UInt128>(start, end, asn, organisation));
            }
            return rows;
        }

        /// <summary>Moves the rows' organisation numbers to where this file's names begin in the table of all files.</summary>
        public void Renumber(int first)
        {
            if (first == 0) return;
            Renumber(V4, first);
            Renumber(V6, first);
        }

        private static void Renumber<TKey>(List<Row<TKey>> rows, int first)
        {
            foreach (ref var row in CollectionsMarshal.AsSpan(rows))
                if (row.Organisation >= 0) row = row with { Organisation = row.Organisation + first };
        }
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
        if (TryParseIPv6(text, out key))
        {
            v4 = false;
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

    /// <summary>
    /// An IPv6 address in the form the table writes it: groups of one to four hexadecimal digits, with at most one
    /// "::" for two or more groups of zeros. Anything else (an IPv4 tail, a zone, "::" for one group) is left to
    /// <see cref="IPAddress"/>, so that this reads what it reads and no more.
    /// </summary>
    private static bool TryParseIPv6(ReadOnlySpan<byte> text, out UInt128 key)
    {
        key = 0;
        Span<ushort> groups = stackalloc ushort[8];
        int count = 0, gap = -1, at = 0;
        if (text.Length >= 2 && text[0] == ':' && text[1] == ':')
        {
            gap = 0;
            at = 2;
        }
        while (at < text.Length)
        {
            if (count == 8) return false;
            var digits = 0;
            var value = 0;
            while (at < text.Length && digits <= 4 && HexDigit(text[at]) is var digit and >= 0)
            {
                value = (value << 4) | digit;
                at++;
                digits++;
            }
            if (digits is 0 or > 4) return false;
            groups[count++] = (ushort)value;
            if (at == text.Length) break;
            if (text[at++] != ':' || at == text.Length) return false;
            if (text[at] != ':') continue;
            if (gap >= 0) return false;
            gap = count;
            at++;
        }
        if (gap < 0 ? count != 8 : count > 6) return false;
        var zeros = 8 - count;
        var group = 0;
        for (var i = 0; i < count; i++)
        {
            if (i == gap) group += zeros;
            key |= (UInt128)groups[i] << (16 * (7 - group++));
        }
        return true;
    }

    private static int HexDigit(byte b) => b switch
    {
        >= (byte)'0' and <= (byte)'9' => b - '0',
        >= (byte)'a' and <= (byte)'f' => b - 'a' + 10,
        >= (byte)'A' and <= (byte)'F' => b - 'A' + 10,
        _ => -1,
    };

    private readonly record struct Row<TKey>(TKey Start, TKey End, uint Asn, int Organisation);

    /// <summary>
    /// The organisation names of the rows as a file is read: UTF-8, one after another in blocks that are not copied
    /// as they grow; a row that names the same organisation as the row before it shares its entry.
    /// </summary>
    private sealed class OrganisationNames(int rows)
    {
        private const int BlockBytes = 1 << 20;
        private readonly List<byte[]> _blocks = [];
        private int _used = BlockBytes;
        private readonly List<(int Block, int Start, int Length)> _names = new(rows);

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

        /// <summary>Takes another file's names after this one's.</summary>
        /// <returns>The number the first of them now has.</returns>
        public int Append(OrganisationNames other)
        {
            var first = _names.Count;
            var blocksBefore = _blocks.Count;
            _blocks.AddRange(other._blocks);
            if (_names.Capacity < first + other._names.Count) _names.Capacity = first + other._names.Count;
            foreach (var (block, start, length) in other._names) _names.Add((blocksBefore + block, start, length));
            // A name added after this goes into a block of its own, not into the other's last one.
            _used = BlockBytes;
            return first;
        }

        private ReadOnlySpan<byte> Bytes(int number) => _blocks[_names[number].Block].AsSpan(_names[number].Start, _names[number].Length);

        /// <summary>Called once every row is read: the names in one run of bytes, as lookups and the compiled table take them.</summary>
        public Names Finish()
        {
            var text = new byte[_names.Sum(n => n.Length)];
            var starts = new int[_names.Count];
            var lengths = new int[_names.Count];
            var used = 0;
            for (var n = 0; n < _names.Count; n++)
            {
                Bytes(n).CopyTo(text.AsSpan(used));
                (starts[n], lengths[n]) = (used, _names[n].Length);
                used += lengths[n];
            }
            return new Names(text, starts, lengths);
        }
    }

    /// <summary>The organisation names by number, as UTF-8 until a lookup first answers with one.</summary>
    private sealed class Names(ReadOnlyMemory<byte> text, ReadOnlyMemory<int> starts, ReadOnlyMemory<int> lengths)
    {
        // A study contacts a few thousand addresses of the table's half a million rows: the names answered, by number.
        private readonly ConcurrentDictionary<int, string> _strings = new();

        public ReadOnlyMemory<byte> Text => text;
        public ReadOnlyMemory<int> Starts => starts;
        public ReadOnlyMemory<int> Lengths => lengths;
        public int Count => starts.Length;

        public string? Name(int number) =>
            // Lookups from several threads agree on one string per name.
            number < 0 ? null : _strings.GetOrAdd(number, n => Encoding.UTF8.GetString(text.Span.Slice(starts.Span[n], lengths.Span[n])));
    }

    /// <summary>
    /// The ranges of one address family as columns sorted by range start, with the largest end so far beside each:
    /// arrays when read from the files, the compiled file's bytes in place when read from it.
    /// </summary>
    private sealed class Family<TKey>(ReadOnlyMemory<TKey> starts, ReadOnlyMemory<TKey> ends, ReadOnlyMemory<TKey> maxEnds,
        ReadOnlyMemory<uint> asns, ReadOnlyMemory<int> organisations, int overlapping) where TKey : unmanaged, IBinaryInteger<TKey>
    {
        public ReadOnlyMemory<TKey> Starts => starts;
        public ReadOnlyMemory<TKey> Ends => ends;
        // Largest range end among ranges [0..i]: lets a lookup stop walking back as soon as no earlier range can contain the address.
        public ReadOnlyMemory<TKey> MaxEnds => maxEnds;
        public ReadOnlyMemory<uint> Asns => asns;
        public ReadOnlyMemory<int> Organisations => organisations;
        public int Count => starts.Length;
        public int Overlapping => overlapping;

        public static Family<TKey> Of(List<Row<TKey>> list)
        {
            // The published files come sorted; a sort is paid only for a file that is not. It is stable, so rows
            // alike in start and end keep the file's order.
            var rows = CollectionsMarshal.AsSpan(IsSorted(list) ? list : [.. list.OrderBy(r => r.Start).ThenBy(r => r.End)]);
            var (starts, ends, maxEnds) = (new TKey[rows.Length], new TKey[rows.Length], new TKey[rows.Length]);
            var (asns, organisations) = (new uint[rows.Length], new int[rows.Length]);
            var overlapping = 0;
            for (var i = 0; i < rows.Length; i++)
            {
                (starts[i], ends[i], asns[i], organisations[i]) = (rows[i].Start, rows[i].End, rows[i].Asn, rows[i].Organisation);
                if (i > 0 && rows[i].Start <= maxEnds[i - 1]) overlapping++;
                maxEnds[i] = i == 0 ? rows[i].End : TKey.Max(maxEnds[i - 1], rows[i].End);
            }
            return new Family<TKey>(starts, ends, maxEnds, asns, organisations, overlapping);
        }

        private static bool IsSorted(List<Row<TKey>> list)
        {
            var rows = CollectionsMarshal.AsSpan(list);
            for (var i = 1; i < rows.Length; i++)
                if (rows[i - 1].Start > rows[i].Start || (rows[i - 1].Start == rows[i].Start && rows[i - 1].End > rows[i].End)) return false;
            return true;
        }

        public (uint Asn, int Organisation, bool FromOverlap)? Find(TKey key)
        {
            var starts = Starts.Span;
            var ends = Ends.Span;
            var maxEnds = MaxEnds.Span;
            int lo = 0, hi = starts.Length - 1, last = -1;
            while (lo <= hi)
            {
                var mid = lo + (hi - lo) / 2;
                if (starts[mid] <= key) { last = mid; lo = mid + 1; }
                else hi = mid - 1;
            }
            var best = -1;
            var containing = 0;
            for (var i = last; i >= 0 && maxEnds[i] >= key; i--)
            {
                if (ends[i] < key) continue;
                containing++;
                if (best < 0 || ends[i] - starts[i] < ends[best] - starts[best]) best = i;
            }
            return best >= 0 ? (Asns.Span[best], Organisations.Span[best], containing > 1) : null;
        }
    }
}
