using System.Text;
using ResearchPipeline.Captures;
using ResearchPipeline.Captures.Har;
using ResearchPipeline.Captures.Pcap.Quic;
using ResearchPipeline.Tests.Captures;

namespace ResearchPipeline.Tests.Robustness;

/// <summary>
/// Generated corruptions of the shared captures: no exception escapes a reader, no reader hangs, and every
/// good record before the damage is kept.
/// </summary>
public class FaultInjectionTests
{
    [TestCaseSource(typeof(CaptureSeeds), nameof(CaptureSeeds.All))]
    public void Truncation_at_many_offsets_keeps_every_record_before_the_cut(string seed)
    {
        if (seed.StartsWith('(')) Assert.Ignore("shared captures absent: fault injection needs real seeds");
        var (reader, bytes) = CaptureSeeds.Load(seed);
        var whole = CaptureSeeds.Exchanges(CaptureSeeds.ReadGuarded(reader, bytes));
        var previousCount = 0;
        foreach (var fraction in new[] { 0.0, 0.01, 0.1, 0.25, 0.33, 0.5, 0.66, 0.75, 0.9, 0.99, 0.999 })
        {
            var cut = (int)(bytes.Length * fraction);
            var records = CaptureSeeds.ReadGuarded(reader, bytes[..cut]);
            var kept = CaptureSeeds.Exchanges(records);
            // Every exchange read from the prefix is one of the whole file's, except possibly the one the cut went
            // through (a body cut short by the truncation is still that exchange).
            var byOrdinal = whole.ToDictionary(e => e.Ordinal);
            var wholeUrls = whole.Select(e => (e.Method, e.Target.Url)).ToHashSet();
            var wholeServers = whole.Select(e => (e.ServerIp, e.Target.Port)).ToHashSet();
            foreach (var e in kept.SkipLast(1))
            {
                if (e.Kind is ExchangeKind.TcpFlow or ExchangeKind.UdpFlow)
                {
                    // A packet-capture flow still open at the cut, whose request or TLS hello came after it, is kept
                    // as the flow it was so far: to a server the whole file also contacts.
                    Assert.That(wholeServers, Does.Contain((e.ServerIp, e.Target.Port)), $"{seed} cut at {cut}: ordinal {e.Ordinal}");
                    continue;
                }
                Assert.That(wholeUrls, Does.Contain((e.Method, e.Target.Url)), $"{seed} cut at {cut}: ordinal {e.Ordinal} is not in the whole file");
                if (byOrdinal.TryGetValue(e.Ordinal, out var original) && original.Kind == e.Kind && reader.Format is "har" or "mitmproxy")
                    Assert.That(e.Target.Url, Is.EqualTo(original.Target.Url), $"{seed} cut at {cut}: ordinal {e.Ordinal}");
            }
            Assert.That(kept.Count, Is.GreaterThanOrEqualTo(previousCount - 1), $"{seed}: a longer prefix never loses records");
            previousCount = kept.Count;
        }
    }

    [TestCaseSource(typeof(CaptureSeeds), nameof(CaptureSeeds.All))]
    public void Random_bit_flips_never_throw_or_hang(string seed)
    {
        if (seed.StartsWith('(')) Assert.Ignore("shared captures absent: fault injection needs real seeds");
        var (reader, bytes) = CaptureSeeds.Load(seed);
        var random = new Random(seed.Length * 7919 + bytes.Length);
        for (var mutant = 0; mutant < 12; mutant++)
        {
            var copy = (byte[])bytes.Clone();
            var flips = 1 + random.Next(16);
            for (var i = 0; i < flips; i++) copy[random.Next(copy.Length)] ^= (byte)(1 << random.Next(8));
            var records = CaptureSeeds.ReadGuarded(reader, copy);
            Assert.That(records.OfType<RecordQuarantined>().Select(q => q.Reason), Is.All.Not.Empty);
        }
    }

    [TestCaseSource(typeof(CaptureSeeds), nameof(CaptureSeeds.All))]
    public void Overwritten_length_fields_and_spliced_garbage_never_throw(string seed)
    {
        if (seed.StartsWith('(')) Assert.Ignore("shared captures absent: fault injection needs real seeds");
        var (reader, bytes) = CaptureSeeds.Load(seed);
        var random = new Random(bytes.Length);
        for (var mutant = 0; mutant < 8; mutant++)
        {
            var copy = (byte[])bytes.Clone();
            // Four bytes of 0xFF or 0x7F somewhere: a huge length wherever a length field sits.
            var at = random.Next(Math.Max(1, copy.Length - 4));
            var fill = mutant % 2 == 0 ? (byte)0xFF : (byte)0x7F;
            for (var i = 0; i < 4 && at + i < copy.Length; i++) copy[at + i] = fill;
            CaptureSeeds.ReadGuarded(reader, copy);
            // A block of random bytes spliced in.
            var garbage = new byte[64 + random.Next(512)];
            random.NextBytes(garbage);
            var splice = random.Next(bytes.Length);
            CaptureSeeds.ReadGuarded(reader, [.. bytes.AsSpan(0, splice), .. garbage, .. bytes.AsSpan(splice)]);
        }
    }

    /// <summary>
    /// Chrome's real client Initial datagram, cut at every length and with every byte flipped: the reader never
    /// throws; a flip inside the protected payload always fails authentication and is reported, never read as a name.
    /// </summary>
    [Test]
    public void QUIC_Initial_cut_anywhere_or_with_any_byte_flipped_is_reported_never_thrown()
    {
        var datagram = QuicPackets.ClientDatagrams(TestFiles.Capture(QuicPackets.SharedCapture))[0];
        for (var cut = 0; cut < datagram.Length; cut++)
        {
            using var reader = new QuicInitialReader(64 * 1024);
            var problems = new List<string>();
            reader.ClientDatagram(datagram.AsSpan(0, cut), (_, m) => problems.Add(m));
            if (cut > 7) Assert.That(problems, Is.Not.Empty, $"cut at {cut} bytes");
        }
        // Header, connection IDs, token and length take the first bytes; the payload starts within the first 64.
        for (var i = 0; i < datagram.Length; i++)
        {
            var copy = (byte[])datagram.Clone();
            copy[i] ^= 0x21;
            using var reader = new QuicInitialReader(64 * 1024);
            var problems = new List<string>();
            Assert.DoesNotThrow(() => reader.ClientDatagram(copy, (_, m) => problems.Add(m)), $"byte {i}");
            if (i >= 64) Assert.That(problems, Has.Some.Contains("does not decrypt"), $"byte {i}");
            if (i >= 64) Assert.That(reader.ServerName, Is.Null, $"byte {i}");
        }
    }

    [Test]
    public void HAR_with_invalid_UTF8_in_one_entry_quarantines_that_entry_only()
    {
        var before = Encoding.UTF8.GetBytes("{\"log\":{\"entries\":[{\"startedDateTime\":\"2024-01-01T00:00:00Z\",\"request\":{\"method\":\"GET\",\"url\":\"https://a.example/\"}},{\"startedDateTime\":\"2024-01-01T00:00:01Z\",\"request\":{\"method\":\"GET\",\"url\":\"https://b.example/");
        var after = Encoding.UTF8.GetBytes("\"}},{\"startedDateTime\":\"2024-01-01T00:00:02Z\",\"request\":{\"method\":\"GET\",\"url\":\"https://c.example/\"}}]}}");
        byte[] har = [.. before, 0xC3, 0x28, 0xFF, .. after];
        var records = CaptureSeeds.ReadGuarded(new HarReader(), har);
        var hosts = CaptureSeeds.Exchanges(records).Select(e => e.Target.Host).ToList();
        Assert.That(hosts, Does.Contain("a.example").And.Contain("c.example"));
        Assert.That(records.OfType<RecordQuarantined>().Count() + hosts.Count, Is.EqualTo(3), "every entry is published or quarantined");
    }

    [Test]
    public void HAR_with_deeply_nested_JSON_reports_a_problem_and_keeps_earlier_entries()
    {
        var nested = new string('[', 5000) + new string(']', 5000);
        var har = "{\"log\":{\"entries\":[{\"startedDateTime\":\"2024-01-01T00:00:00Z\",\"request\":{\"method\":\"GET\",\"url\":\"https://a.example/\"}}," +
                  "{\"startedDateTime\":\"2024-01-01T00:00:01Z\",\"_deep\":" + nested + ",\"request\":{\"method\":\"GET\",\"url\":\"https://b.example/\"}}]}}";
        var records = CaptureSeeds.ReadGuarded(new HarReader(), Encoding.UTF8.GetBytes(har));
        Assert.That(CaptureSeeds.Exchanges(records).Select(e => e.Target.Host), Is.EqualTo(new[] { "a.example" }));
        Assert.That(records.OfType<CaptureProblem>().Single().Message, Does.Contain("depth").IgnoreCase);
    }

    [Test]
    public void HAR_with_a_200_MB_body_is_read_in_bounded_memory_and_the_next_entry_is_kept()
    {
        const long bodyBytes = 200L * 1024 * 1024;
        var prefix = "{\"log\":{\"creator\":{\"name\":\"t\",\"version\":\"1\"},\"entries\":[" +
                     "{\"startedDateTime\":\"2024-01-01T00:00:00Z\",\"request\":{\"method\":\"POST\",\"url\":\"https://huge.example/\",\"postData\":{\"mimeType\":\"text/plain\",\"text\":\"";
        var suffix = "\"}}},{\"startedDateTime\":\"2024-01-01T00:00:01Z\",\"request\":{\"method\":\"GET\",\"url\":\"https://after.example/\"}}]}}";
        using var stream = new GeneratedStream(Encoding.UTF8.GetBytes(prefix), (byte)'A', bodyBytes, Encoding.UTF8.GetBytes(suffix));
        var limits = ReadLimits.Default with { MaxRecordBytes = 8L * 1024 * 1024 };
        var allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        var records = new HarReader().Read(stream, limits).ToList();
        var allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;

        Assert.That(CaptureSeeds.Exchanges(records).Select(e => e.Target.Host), Is.EqualTo(new[] { "after.example" }));
        Assert.That(records.OfType<RecordQuarantined>().Single().Reason, Does.Contain("record limit"));
        Assert.That(allocated, Is.LessThan(64L * 1024 * 1024), $"reading a 200 MB entry allocated {allocated / 1048576} MB");
    }

    /// <summary>A stream of prefix + n filler bytes + suffix, produced on the fly so the test holds none of it.</summary>
    private sealed class GeneratedStream(byte[] prefix, byte filler, long fillerLength, byte[] suffix) : Stream
    {
        private long _position;
        private long Length_ => prefix.Length + fillerLength + suffix.Length;

        public override int Read(byte[] buffer, int offset, int count)
        {
            var written = 0;
            while (written < count && _position < Length_)
            {
                var p = _position;
                if (p < prefix.Length) buffer[offset + written] = prefix[p];
                else if (p < prefix.Length + fillerLength)
                {
                    var run = (int)Math.Min(count - written, prefix.Length + fillerLength - p);
                    buffer.AsSpan(offset + written, run).Fill(filler);
                    written += run;
                    _position += run;
                    continue;
                }
                else buffer[offset + written] = suffix[p - prefix.Length - fillerLength];
                written++;
                _position++;
            }
            return written;
        }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => Length_;
        public override long Position { get => _position; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
