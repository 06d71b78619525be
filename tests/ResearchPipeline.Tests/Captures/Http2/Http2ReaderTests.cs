using System.Buffers.Binary;
using System.Text;
using ResearchPipeline.Captures;
using ResearchPipeline.Captures.Pcap;
using ResearchPipeline.Captures.Pcap.Http2;

namespace ResearchPipeline.Tests.Captures.Http2;

/// <summary>
/// HPACK against the worked examples of RFC 7541 Appendix C (one connection's requests decoded in order, so the
/// dynamic table carries over), and the HTTP/2 reader's handling of damage: a broken header block, a stream reset
/// mid-body, a body over the limit, padding longer than its frame.
/// </summary>
public class Http2ReaderTests
{
    private static byte[] Hex(string hex) => Convert.FromHexString(hex.Replace(" ", ""));

    private static string Show(IEnumerable<HttpHeader> headers) => string.Join("\n", headers.Select(h => $"{h.Name}: {h.Value}"));

    [Test]
    public void HPACK_decodes_the_RFC_7541_requests_with_and_without_Huffman_coding_and_keeps_its_dynamic_table()
    {
        // RFC 7541 C.3 (literals) and C.4 (the same requests, Huffman coded): three requests on one connection.
        foreach (var blocks in new[]
        {
            new[] { "8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d", "8286 84be 5808 6e6f 2d63 6163 6865", "8287 85bf 400a 6375 7374 6f6d 2d6b 6579 0c63 7573 746f 6d2d 7661 6c75 65" },
            new[] { "8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff", "8286 84be 5886 a8eb 1064 9cbf", "8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf" },
        })
        {
            var hpack = new HpackDecoder();
            Assert.That(Show(hpack.Decode(Hex(blocks[0]))), Is.EqualTo(":method: GET\n:scheme: http\n:path: /\n:authority: www.example.com"));
            Assert.That(Show(hpack.Decode(Hex(blocks[1]))), Is.EqualTo(":method: GET\n:scheme: http\n:path: /\n:authority: www.example.com\ncache-control: no-cache"));
            Assert.That(Show(hpack.Decode(Hex(blocks[2]))), Is.EqualTo(":method: GET\n:scheme: https\n:path: /index.html\n:authority: www.example.com\ncustom-key: custom-value"));
            Assert.That(hpack.DynamicEntries, Is.EqualTo(3));
        }
    }

    [TestCase("80", "index 0")]
    [TestCase("be", "past the dynamic table")]
    [TestCase("41 ff ff ff ff ff 7f", "integer")]
    [TestCase("41 8c f1 e3 c2 e5 f2 3a 6b a0 ab 90 f4", "past the end")]
    [TestCase("41 81 00", "padding")]
    [TestCase("41 84 ff ff ff ff", "EOS")]
    public void A_broken_HPACK_block_is_an_error_that_names_the_fault(string block, string why)
    {
        var hpack = new HpackDecoder();
        Assert.That(() => hpack.Decode(Hex(block)), Throws.TypeOf<HpackException>().With.Message.Contains(why));
    }

    /// <summary>An HTTP/2 frame: 9-byte header and payload.</summary>
    private static byte[] Frame(byte type, byte flags, int stream, params byte[] payload)
    {
        var f = new byte[9 + payload.Length];
        f[0] = (byte)(payload.Length >> 16);
        f[1] = (byte)(payload.Length >> 8);
        f[2] = (byte)payload.Length;
        f[3] = type;
        f[4] = flags;
        BinaryPrimitives.WriteInt32BigEndian(f.AsSpan(5), stream);
        payload.CopyTo(f, 9);
        return f;
    }

    private static readonly Frame AFrame = new(7, DateTimeOffset.UnixEpoch, 1, 100, 100, 4096);

    private sealed class Run
    {
        public Run(long maxBody = 1 << 20)
        {
            var ordinal = 0;
            Connection = new Http2Connection(maxBody, () => ordinal++, Exchanges.Add, (stream, kind, message, _) => Problems.Add($"{kind} | stream {stream} | {message}"));
        }

        public Http2Connection Connection { get; }
        public List<Http2Exchange> Exchanges { get; } = [];
        public List<string> Problems { get; } = [];

        public void Client(params byte[][] frames) => Connection.Feed(true, [.. Http2Connection.Preface, .. frames.SelectMany(f => f)], AFrame);
        public void Server(params byte[][] frames) => Connection.Feed(false, frames.SelectMany(f => f).ToArray(), AFrame);
    }

    // RFC 7541 C.3.1: GET http://www.example.com/ as a literal (indexed) block.
    private static readonly byte[] Get = Hex("8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d");
    // :status 200 from the static table.
    private static readonly byte[] Ok = Hex("88");

    [Test]
    public void A_broken_header_block_costs_its_stream_and_later_streams_are_read()
    {
        var run = new Run();
        run.Client(Frame(1, 0x5, 1, Hex("be")), Frame(1, 0x5, 3, Get));
        run.Server(Frame(1, 0x4, 3, Ok), Frame(0, 0x1, 3, Encoding.ASCII.GetBytes("hello")));
        run.Connection.Finish(AFrame);
        Assert.That(run.Problems, Has.Some.StartsWith("HPACK block unreadable | stream 1 |"));
        Assert.That(run.Exchanges.Select(e => (e.StreamId, e.Incomplete, Encoding.ASCII.GetString(e.ResponseBody.Span))), Is.EqualTo(new[] { (3, (string?)null, "hello") }));
    }

    [Test]
    public void A_stream_reset_mid_body_keeps_what_came_before_and_says_so()
    {
        var run = new Run();
        run.Client(Frame(1, 0x5, 1, Get));
        run.Server(Frame(1, 0x4, 1, Ok), Frame(0, 0, 1, Encoding.ASCII.GetBytes("part")), Frame(3, 0, 1, 0, 0, 0, 8));
        Assert.That(run.Exchanges, Has.Count.EqualTo(1));
        Assert.That(Encoding.ASCII.GetString(run.Exchanges[0].ResponseBody.Span), Is.EqualTo("part"));
        Assert.That(run.Exchanges[0].Incomplete, Does.Contain("CANCEL"));
        Assert.That(run.Problems, Has.Some.StartsWith("HTTP/2 stream reset | stream 1 |"));
    }

    [Test]
    public void A_body_over_the_limit_is_cut_and_reported_and_padding_is_removed()
    {
        var run = new Run(maxBody: 6);
        run.Client(Frame(1, 0x4, 1, Get), Frame(0, 0x8 | 0x1, 1, [3, .. "abcdefgh"u8, 0, 0, 0]));
        run.Server(Frame(1, 0x5, 1, Ok));
        Assert.That(Encoding.ASCII.GetString(run.Exchanges.Single().RequestBody.Span), Is.EqualTo("abcdef"));
        Assert.That(run.Exchanges.Single().Incomplete, Does.Contain("limit"));
        Assert.That(run.Problems, Has.Some.StartsWith("HTTP/2 body over the limit | stream 1 |"));
    }

    [Test]
    public void Padding_longer_than_its_frame_and_continuations_out_of_place_are_reported_not_thrown()
    {
        var run = new Run();
        run.Client(Frame(0, 0x8, 1, 200, 1, 2), Frame(1, 0, 5, Get[..3]), Frame(8, 0, 0, 0, 0, 1, 0), Frame(9, 0x4, 5, Get[3..]));
        run.Connection.Finish(AFrame);
        Assert.That(run.Problems.Select(p => p.Split(" | ")[0]), Is.EquivalentTo(new[] { "HTTP/2 frame padding not valid", "HTTP/2 header block interrupted" }));
        Assert.That(run.Exchanges, Is.Empty);
    }

    [Test]
    public void A_header_block_split_over_continuation_frames_is_one_request_and_pushed_streams_are_exchanges()
    {
        var run = new Run();
        run.Client(Frame(1, 0x1, 1, Get[..4]), Frame(9, 0, 1, Get[4..9]), Frame(9, 0x4, 1, Get[9..]));
        // PUSH_PROMISE of stream 2 (GET / again, from the static table and the server's own fresh table), then both answers.
        run.Server(Frame(5, 0x4, 1, [0, 0, 0, 2, 0x82, 0x86, 0x84, 0x41, 0x03, (byte)'a', (byte)'.', (byte)'b']), Frame(1, 0x5, 1, Ok), Frame(1, 0x5, 2, Ok));
        Assert.That(run.Exchanges.Select(e => (e.StreamId, e.Ordinal, e.Incomplete)), Is.EqualTo(new[] { (1, 0, (string?)null), (2, 1, (string?)null) }));
        Assert.That(Show(run.Exchanges[1].RequestHeaders), Does.Contain(":authority: a.b"));
    }

    private static List<Exchange> ReadConversation(params (bool ToServer, byte[] Bytes)[] chunks) =>
        PcapReaderTests.ReadAll(CaptureBytes.Pcap(CaptureBytes.Conversation(40100, 8080, chunks))).OfType<ExchangeRead>().Select(r => r.Exchange).ToList();

    [Test]
    public void Cleartext_HTTP2_with_prior_knowledge_is_read_from_a_packet_capture()
    {
        var exchanges = ReadConversation(
            (true, [.. Http2Connection.Preface, .. Frame(4, 0, 0), .. Frame(1, 0x4, 1, Get), .. Frame(0, 0x1, 1, "a=1"u8.ToArray())]),
            (false, [.. Frame(4, 0, 0), .. Frame(1, 0x4, 1, Ok), .. Frame(0, 0x1, 1, "ok"u8.ToArray())]));
        var e = exchanges.Single();
        Assert.That((e.Method, e.Target.Url, e.HttpVersion, e.Status, e.Sni, e.CipherSuite), Is.EqualTo(("GET", "http://www.example.com:8080/", "HTTP/2", (int?)200, (string?)null, (string?)null)));
        Assert.That(Encoding.ASCII.GetString(e.RequestBody.Span) + Encoding.ASCII.GetString(e.ResponseBody.Span), Is.EqualTo("a=1ok"));
    }

    [Test]
    public void An_HTTP1_request_upgraded_to_h2c_is_answered_on_stream_1_and_later_streams_follow()
    {
        var upgrade = CaptureBytes.Ascii("GET /first HTTP/1.1\r\nHost: h2c.example\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAoAAAAAIAAAAA\r\n\r\n");
        var switching = CaptureBytes.Ascii("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n");
        var exchanges = ReadConversation(
            (true, upgrade),
            (false, [.. switching, .. Frame(4, 0, 0), .. Frame(1, 0x5, 1, Ok)]),
            (true, [.. Http2Connection.Preface, .. Frame(4, 0, 0), .. Frame(1, 0x5, 3, Get)]),
            (false, Frame(1, 0x5, 3, Ok)));
        Assert.That(exchanges.OrderBy(e => e.Ordinal).Select(e => $"{e.Method} {e.Target.Host}{e.Target.Path} {e.HttpVersion} {e.Status}"),
            Is.EqualTo(new[] { "GET h2c.example/first HTTP/2 200", "GET www.example.com/ HTTP/2 200" }));
    }
}
