using System.Buffers.Binary;
using ResearchPipeline.Captures;
using ResearchPipeline.Captures.Pcap;
using ResearchPipeline.Captures.Pcap.Tls;
using ResearchPipeline.Tests.Captures;

namespace ResearchPipeline.Tests.Robustness;

/// <summary>
/// Damage staged in real TLS captures: a record that fails authentication, a segment missing inside the records,
/// a cipher suite this reader does not decrypt, keys only at the end of the file. Each becomes a quality row naming
/// the packet and flow; what decrypts before and after is kept; nothing is thrown.
/// </summary>
public class TlsFaultInjectionTests
{
    private const string Http2Capture = "pcap/ja4/http2-with-cookies.pcapng";

    private static byte[] Secrets(string path)
    {
        using var stream = File.OpenRead(path);
        return PcapNgContainer.TlsSecrets(stream).SelectMany(s => s.Text.ToArray()).ToArray();
    }

    private static Segment? TcpOf(TestPacket p)
    {
        var frame = new Frame(0, DateTimeOffset.UnixEpoch, p.LinkType, p.Data.Length, p.Data.Length, 0);
        return PacketDecoder.Decode(frame, p.Data).Segment is { Transport: Transport.Tcp } s ? s : null;
    }

    /// <summary>Indexes of the server's packets carrying TLS records, in capture order.</summary>
    private static List<int> ServerDataPackets(List<TestPacket> packets) =>
        Enumerable.Range(0, packets.Count).Where(i => TcpOf(packets[i]) is { } s && s.Source.Port == 443 && s.Payload.Length > 1000).ToList();

    private static (List<CaptureRecord> Records, List<Exchange> Http2, List<string> Problems) Read(List<TestPacket> packets, byte[] secrets)
    {
        var records = CaptureSeeds.ReadGuarded(new PcapNgReader(), CaptureBytes.PcapNg(packets, tlsKeyLog: secrets));
        var http2 = CaptureSeeds.Exchanges(records).Where(e => e.HttpVersion == "HTTP/2").OrderBy(e => e.Ordinal).ToList();
        return (records, http2, records.OfType<CaptureProblem>().Where(p => p.Severity != Severity.Info).Select(p => $"{p.Location}: {p.Message}").ToList());
    }

    [Test]
    public void A_record_that_fails_authentication_is_reported_and_the_streams_before_it_are_kept()
    {
        var path = TestFiles.Capture(Http2Capture);
        var packets = CaptureBytes.PacketsOf(path);
        var secrets = Secrets(path);
        var intact = Read(packets, secrets);
        Assert.That(intact.Problems, Is.Empty);

        var data = ServerDataPackets(packets);
        var victim = data[data.Count / 2];
        packets[victim].Data[^1] ^= 0x5A;
        var damaged = Read(packets, secrets);

        Assert.That(damaged.Problems, Has.Some.Matches<string>(p => p.StartsWith("packet ", StringComparison.Ordinal) && p.Contains("flow tcp") && p.Contains("failed authentication")));
        Assert.That(damaged.Problems, Has.Some.Contains("may be incomplete"), "the exchanges of the damaged connection say they may be partial");
        Assert.That(damaged.Http2, Has.Count.GreaterThan(0).And.Count.LessThanOrEqualTo(intact.Http2.Count));
        Assert.That(damaged.Http2.Select(e => e.Target.Path), Is.SubsetOf(intact.Http2.Select(e => e.Target.Path)), "every request read is one of the intact capture's");
    }

    [Test]
    public void A_segment_missing_inside_the_records_is_reported_with_its_flow_and_earlier_streams_are_kept()
    {
        var path = TestFiles.Capture(Http2Capture);
        var packets = CaptureBytes.PacketsOf(path);
        var secrets = Secrets(path);
        var intact = Read(packets, secrets);
        var data = ServerDataPackets(packets);
        packets.RemoveAt(data[data.Count / 2]);
        var damaged = Read(packets, secrets);
        Assert.That(damaged.Problems, Has.Some.Matches<string>(p => p.Contains("flow tcp") && p.Contains("not captured")));
        Assert.That(damaged.Http2.Select(e => e.Target.Path), Is.SubsetOf(intact.Http2.Select(e => e.Target.Path)));
        Assert.That(damaged.Http2.Count(e => e.Status is not null), Is.GreaterThan(0));
    }

    /// <summary>The capture without the packets tshark numbers <paramref name="numbers"/>, cut out by Wireshark's editcap (secrets block kept).</summary>
    private static string WithoutPackets(string capture, params int[] numbers)
    {
        var editcap = Path.Combine(Path.GetDirectoryName(Tshark.Path)!, "editcap");
        if (!File.Exists(editcap)) Assert.Ignore("editcap is not installed (Debian package wireshark-common, which tshark brings): the dropped-segment capture cannot be made");
        var output = Path.Combine(TestContext.CurrentContext.WorkDirectory, $"{TestContext.CurrentContext.Test.MethodName}-{Path.GetFileName(capture)}");
        var start = new System.Diagnostics.ProcessStartInfo(editcap) { RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { capture, output }.Concat(numbers.Select(n => n.ToString(System.Globalization.CultureInfo.InvariantCulture)))) start.ArgumentList.Add(a);
        using var process = System.Diagnostics.Process.Start(start)!;
        var stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.That(process.ExitCode, Is.Zero, $"editcap failed: {stderr}");
        return output;
    }

    private static string Request(Exchange e) => $"{e.Method} {e.Target.Host} {e.Target.Path}";

    [Test]
    public void After_a_segment_lost_inside_a_response_HTTP2_frames_are_found_again_and_later_streams_are_read_whole()
    {
        var path = TestFiles.Capture(Http2Capture);
        var intact = CaptureSeeds.Exchanges(PcapReaderTests.ReadAll(path)).Where(e => e.HttpVersion == "HTTP/2").OrderBy(e => e.Ordinal).ToList();
        // Packet 166 is one whole TLS record in the middle of a 16384-byte DATA frame of stream 5's response body
        // (frames of that body begin in packets 163 and 178); tshark's own HTTP/2 dissector reads no response after it.
        var records = PcapReaderTests.ReadAll(WithoutPackets(path, 166));
        var damaged = CaptureSeeds.Exchanges(records).Where(e => e.HttpVersion == "HTTP/2").OrderBy(e => e.Ordinal).ToList();
        var problems = records.OfType<CaptureProblem>().Where(p => p.Severity != Severity.Info).Select(p => $"{p.Location}: {p.Message}").ToList();

        Assert.That(problems, Has.Some.Matches<string>(p => p.StartsWith("packet ", StringComparison.Ordinal) && p.Contains("flow tcp") && p.Contains("not captured")), "the lost segment is a quality row naming packet and flow");
        Assert.That(problems, Has.Some.Matches<string>(p => p.Contains("stream 5") && p.Contains("HTTP/2 frame of type 0") && p.Contains("not decrypted whole")), "the frame that lost the record is named with its stream");
        Assert.That(problems, Has.None.Contains("HPACK"), "header compression stays in step: only a DATA frame lost bytes");
        Assert.That(problems, Has.Some.Matches<string>(p => p.Contains("stream 5") && p.Contains("HTTP/2 stream 5 bytes of the connection were not captured")), "the stream that lost bytes says so");
        Assert.That(damaged.Select(Request), Is.EqualTo(intact.Select(Request)), "every request is read, in stream order");
        var others = damaged.Where(e => e.Target.Path != intact[2].Target.Path).ToList();
        Assert.That(others.Select(e => (e.Status, e.ResponseBody.Length)), Is.EqualTo(intact.Where(e => e.Target.Path != intact[2].Target.Path).Select(e => (e.Status, e.ResponseBody.Length))),
            "every other stream, before and after the loss, has the intact capture's response status and body");
        Assert.That(damaged[2].ResponseBody.Length, Is.LessThan(intact[2].ResponseBody.Length), "stream 5 keeps what came before and after the lost record, not the lost bytes");
    }

    [Test]
    public void After_a_lost_request_no_later_request_is_decoded_from_header_entries_lost_with_it_and_each_is_accounted_for()
    {
        var path = TestFiles.Capture(Http2Capture);
        var intact = CaptureSeeds.Exchanges(PcapReaderTests.ReadAll(path)).Where(e => e.HttpVersion == "HTTP/2").OrderBy(e => e.Ordinal).ToList();
        // Packet 39 carries the HEADERS of stream 9 alone, in one record: the request is lost with the entries it added to the client's header table.
        var records = PcapReaderTests.ReadAll(WithoutPackets(path, 39));
        var damaged = CaptureSeeds.Exchanges(records).Where(e => e.HttpVersion == "HTTP/2").OrderBy(e => e.Ordinal).ToList();
        var problems = records.OfType<CaptureProblem>().Where(p => p.Severity != Severity.Info).Select(p => $"{p.Location}: {p.Message}").ToList();

        var lost = intact.Single(e => e.Target.Path.Contains("custom-elements-es5-adapter", StringComparison.Ordinal));
        Assert.That(problems, Has.Some.Matches<string>(p => p.Contains("flow tcp") && p.Contains("not captured")));
        Assert.That(damaged.Select(Request), Does.Not.Contain(Request(lost)));
        Assert.That(damaged.Select(Request), Is.SubsetOf(intact.Select(Request)), "no request is made up from a header table that lost entries");
        Assert.That(problems, Has.Some.Contains("HTTP/2 frames are looked for again"), "the lost HTTP/2 bytes are a quality row");
        // Chrome's later requests refer to header table entries, some added by the lost block: each later request
        // is read or reported as unreadable, never decoded from a table that is no longer the sender's.
        var after = intact.SkipWhile(e => e != lost).Skip(1).ToList();
        var reported = problems.Count(p => p.Contains("request skipped, its headers are unreadable"));
        Assert.That(damaged.Count(e => after.Select(Request).Contains(Request(e))) + reported, Is.EqualTo(after.Count));
        Assert.That(damaged.Where(e => !after.Select(Request).Contains(Request(e))).Select(e => (Request(e), e.Status)), Is.EqualTo(intact.TakeWhile(e => e != lost).Select(e => (Request(e), e.Status))), "the requests before the loss are read whole");
    }

    [Test]
    public void Keys_in_a_secrets_block_at_the_end_of_the_file_decrypt_the_packets_before_it()
    {
        var path = TestFiles.Capture(Http2Capture);
        var packets = CaptureBytes.PacketsOf(path);
        var secrets = Secrets(path);
        var bytes = CaptureBytes.PcapNg(packets).ToList();
        var padded = secrets.Length + (4 - secrets.Length % 4) % 4;
        var block = new byte[12 + 8 + padded];
        BinaryPrimitives.WriteUInt32LittleEndian(block, 0x0A);
        BinaryPrimitives.WriteUInt32LittleEndian(block.AsSpan(4), (uint)block.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(block.AsSpan(8), TlsKeyLog.PcapNgSecretsType);
        BinaryPrimitives.WriteUInt32LittleEndian(block.AsSpan(12), (uint)secrets.Length);
        secrets.CopyTo(block, 16);
        BinaryPrimitives.WriteUInt32LittleEndian(block.AsSpan(block.Length - 4), (uint)block.Length);
        var records = CaptureSeeds.ReadGuarded(new PcapNgReader(), [.. bytes, .. block]);
        Assert.That(CaptureSeeds.Exchanges(records).Count(e => e.HttpVersion == "HTTP/2"), Is.EqualTo(Read(packets, secrets).Http2.Count).And.GreaterThan(10));
    }

    [Test]
    public void A_cipher_suite_this_reader_does_not_decrypt_is_reported_and_the_connection_stays_a_TLS_flow()
    {
        var capture = TestFiles.Capture("pcap/tls13/capture.pcap");
        var packets = CaptureBytes.PacketsOf(capture);
        var found = false;
        foreach (var p in packets)
        {
            // The ServerHello: a handshake record whose first message is of type 2; its suite follows the session ID.
            var at = p.Data.AsSpan().IndexOf(new byte[] { 0x16, 0x03, 0x03 });
            if (at < 0 || at + 44 >= p.Data.Length || p.Data[at + 5] != 2) continue;
            var suite = at + 5 + 4 + 2 + 32 + 1 + p.Data[at + 5 + 4 + 2 + 32];
            p.Data[suite] = 0x13;
            p.Data[suite + 1] = 0x04;
            found = true;
        }
        Assert.That(found, "the ServerHello was found");
        var keys = new TlsKeyLog();
        keys.Add(File.ReadAllBytes(Path.Combine(Path.GetDirectoryName(capture)!, "keylog.txt")));
        var records = new PcapReader().Read(new MemoryStream(CaptureBytes.Pcap(packets)), ReadLimits.Default, keys).ToList();
        var flow = CaptureSeeds.Exchanges(records).Single();
        Assert.That((flow.Kind, flow.CipherSuite), Is.EqualTo((ExchangeKind.TlsFlow, "TLS_AES_128_CCM_SHA256")));
        Assert.That(records.OfType<CaptureProblem>().Select(p => $"{p.Location}: {p.Message}"), Has.Some.Matches<string>(m => m.Contains("flow tcp") && m.Contains("TLS_AES_128_CCM_SHA256") && m.Contains("not one this reader decrypts")));
    }

    [Test]
    public void A_record_over_the_TLS_size_limit_stops_that_direction_with_a_quality_row()
    {
        var problems = new List<string>();
        var session = new TlsSession(new TlsKeyLog(), (_, kind, message, _) => problems.Add($"{kind}: {message}"));
        var frame = new Frame(3, null, 1, 100, 100, 0);
        session.Feed(true, [0x17, 0x03, 0x03, 0x7F, 0xFF, 1, 2, 3], frame);
        session.Feed(true, new byte[100_000], frame);
        Assert.That(problems, Has.Count.EqualTo(1));
        Assert.That(problems[0], Does.StartWith("TLS record unreadable").And.Contains("length 32767"));
    }
}
