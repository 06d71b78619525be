using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
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
    private readonly Family _v4;
    private readonly Family _v6;

    private AsnRanges(Family v4, Family v6, string source, int rowsRejected)
    {
        _v4 = v4;
        _v6 = v6;
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
        var paths = csvFiles.ToList();
        // One list for both families, sized by the files' lines rather than grown by doubling: the load runs beside
        // the parse stage, and what it throws away is collected in the parse stage's time.
        var ranges = new List<(Range Range, bool V4)>(paths.Sum(CountLines));
        var organisations = new Dictionary<string, string>(StringComparer.Ordinal);
        var organisationOf = organisations.GetAlternateLookup<ReadOnlySpan<char>>();
        var rejected = 0;
        var text = new char[256];
        foreach (var file in paths)
        {
            using var reader = CsvReader.Create(File.OpenRead(file), new CsvReaderOptions { HasHeader = false });
            while (reader.Read())
            {
                // Fields are read as the bytes of the file, and an organisation becomes a string once: half a
                // million rows made two million strings otherwise.
                if (reader.FieldCount < 3
                    || !IPAddress.TryParse(reader.GetSpan(0), out var start)
                    || !IPAddress.TryParse(reader.GetSpan(1), out var end)
                    || start.AddressFamily != end.AddressFamily
                    || !uint.TryParse(reader.GetSpan(2), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var asn))
                {
                    rejected++;
                    continue;
                }
                var (s, e) = (Key(start), Key(end));
                if (e < s)
                {
                    rejected++;
                    continue;
                }
                string? shared = null;
                if (reader.FieldCount > 3 && reader.GetSpan(3) is { Length: > 0 } bytes)
                {
                    if (bytes.Length > text.Length) text = new char[bytes.Length];
                    var org = text.AsSpan(0, Encoding.UTF8.GetChars(bytes, text));
                    if (!organisationOf.TryGetValue(org, out shared)) organisations[shared = org.ToString()] = shared;
                }
                ranges.Add((new Range(s, e, asn, shared), start.AddressFamily == AddressFamily.InterNetwork));
            }
        }
        return new AsnRanges(new Family(ranges, v4: true), new Family(ranges, v4: false), source, rejected);
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
        return (address.AddressFamily == AddressFamily.InterNetwork ? _v4 : _v6).Find(Key(address));
    }

    private static UInt128 Key(IPAddress address)
    {
        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out var written);
        return written == 4 ? BinaryPrimitives.ReadUInt32BigEndian(bytes) : BinaryPrimitives.ReadUInt128BigEndian(bytes);
    }

    private readonly record struct Range(UInt128 Start, UInt128 End, uint Asn, string? Organisation);

    private sealed class Family
    {
        private readonly Range[] _ranges;
        // Largest range end among ranges [0..i]: lets a lookup stop walking back as soon as no earlier range can contain the address.
        private readonly UInt128[] _maxEnd;

        public Family(List<(Range Range, bool V4)> rows, bool v4)
        {
            var count = 0;
            foreach (var row in rows) if (row.V4 == v4) count++;
            _ranges = new Range[count];
            count = 0;
            foreach (var row in rows) if (row.V4 == v4) _ranges[count++] = row.Range;
            // The published files come sorted; a sort is paid only for a file that is not.
            if (!IsSorted(_ranges)) Array.Sort(_ranges, default(ByStart));
            _maxEnd = new UInt128[_ranges.Length];
            for (var i = 0; i < _ranges.Length; i++)
            {
                if (i > 0 && _ranges[i].Start <= _maxEnd[i - 1]) Overlapping++;
                _maxEnd[i] = i == 0 ? _ranges[i].End : UInt128.Max(_maxEnd[i - 1], _ranges[i].End);
            }
        }

        public int Count => _ranges.Length;
        public int Overlapping { get; }

        private static bool IsSorted(Range[] ranges)
        {
            for (var i = 1; i < ranges.Length; i++)
                if (default(ByStart).Compare(ranges[i - 1], ranges[i]) > 0) return false;
            return true;
        }

        private readonly struct ByStart : IComparer<Range>
        {
            public int Compare(Range a, Range b) => a.Start != b.Start ? a.Start.CompareTo(b.Start) : a.End.CompareTo(b.End);
        }

        public AsnRangeAnswer? Find(UInt128 key)
        {
            int lo = 0, hi = _ranges.Length - 1, last = -1;
            while (lo <= hi)
            {
                var mid = lo + (hi - lo) / 2;
                if (_ranges[mid].Start <= key) { last = mid; lo = mid + 1; }
                else hi = mid - 1;
            }
            Range? best = null;
            var containing = 0;
            for (var i = last; i >= 0 && _maxEnd[i] >= key; i--)
            {
                var r = _ranges[i];
                if (r.End < key) continue;
                containing++;
                if (best is null || r.End - r.Start < best.Value.End - best.Value.Start) best = r;
            }
            return best is { } b ? new AsnRangeAnswer(b.Asn, b.Organisation, containing > 1) : null;
        }
    }
}
