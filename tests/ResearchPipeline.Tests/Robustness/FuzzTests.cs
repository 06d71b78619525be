using CsCheck;
using ResearchPipeline.Captures;
using ResearchPipeline.Captures.Pcap.Quic;
using ResearchPipeline.Decoders;
using ResearchPipeline.Tests.Captures;
using ResearchPipeline.Payloads;
using ResearchPipeline.Tests.Payloads;

namespace ResearchPipeline.Tests.Robustness;

/// <summary>
/// Property-based fuzzing of every capture reader: mutated real captures (CsCheck generates the mutation and
/// shrinks a failing one to the simplest) must never make a reader throw or hang. `make fuzz FUZZ_SECONDS=600`
/// runs it for longer; the suite runs a few seconds per format. A failure prints CsCheck's seed: pass it as
/// <c>seed:</c> in a test below to keep it as a regression test.
/// </summary>
[Category("Fuzz")]
public class FuzzTests
{
    private static int Seconds => int.TryParse(Environment.GetEnvironmentVariable("FUZZ_SECONDS"), out var s) && s > 0 ? s : 3;

    /// <summary>What to do to a seed: which seed, which mutation, where, and with what bytes.</summary>
    public sealed record Mutation(int Seed, int Kind, int[] Positions, byte[] Bytes);

    internal static readonly Gen<Mutation> Mutations =
        Gen.Select(Gen.Int[0, 1000], Gen.Int[0, 4], Gen.Int[0, int.MaxValue].Array[1, 8], Gen.Byte.Array[1, 64],
            (seed, kind, positions, bytes) => new Mutation(seed, kind, positions, bytes));

    internal static byte[] Apply(byte[] seed, Mutation m)
    {
        var at = (int)((uint)m.Positions[0] % (uint)Math.Max(1, seed.Length));
        switch (m.Kind)
        {
            case 0: // truncate
                return seed[..at];
            case 1: // flip bits
            {
                var copy = (byte[])seed.Clone();
                foreach (var p in m.Positions) copy[(int)((uint)p % (uint)copy.Length)] ^= m.Bytes[p % m.Bytes.Length];
                return copy;
            }
            case 2: // insert bytes
                return [.. seed.AsSpan(0, at), .. m.Bytes, .. seed.AsSpan(at)];
            case 3: // delete a span
            {
                var length = Math.Min(seed.Length - at, 1 + m.Positions.Length * 37);
                return [.. seed.AsSpan(0, at), .. seed.AsSpan(at + length)];
            }
            default: // overwrite with bytes (large length fields when they are 0xFF)
            {
                var copy = (byte[])seed.Clone();
                for (var i = 0; i < m.Bytes.Length && at + i < copy.Length; i++) copy[at + i] = m.Bytes[i];
                return copy;
            }
        }
    }

    private static List<(ICaptureReader Reader, byte[] Bytes)> SeedsOf(string format)
    {
        var folder = TestFiles.Captures;
        var seeds = Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories)
            .Order(StringComparer.Ordinal)
            .Select(path => (Reader: CaptureFormats.All.Detect(path), Path: path))
            .Where(s => s.Reader?.Format == format && new FileInfo(s.Path).Length < 300_000)
            .Select(s => (s.Reader!, File.ReadAllBytes(s.Path)))
            .ToList();
        if (seeds.Count == 0) Assert.Ignore($"no shared {format} seed under 300 KB (or no reader registered for {format})");
        return seeds;
    }

    [TestCase("har")]
    [TestCase("mitmproxy")]
    [TestCase("pcap")]
    [TestCase("pcapng")]
    public void Mutated_captures_never_make_a_reader_throw_or_hang(string format)
    {
        var seeds = SeedsOf(format);
        Mutations.Sample(m =>
        {
            var (reader, bytes) = seeds[m.Seed % seeds.Count];
            CaptureSeeds.ReadGuarded(reader, Apply(bytes, m), seconds: 10);
        }, time: Seconds, threads: 1);
    }

    /// <summary>
    /// Body decoders: mutated real request bodies (the shared bodies, raw and gzip/brotli/zlib-compressed) under
    /// every content type and encoding the decode stage understands never throw or hang.
    /// </summary>
    [Test]
    public void Mutated_bodies_never_make_the_decode_stage_throw()
    {
        var bodies = Directory.EnumerateFiles(Path.Combine(TestFiles.Captures, "bodies")).Order(StringComparer.Ordinal).Select(File.ReadAllBytes).ToList();
        var seeds = bodies.SelectMany(b => new[] { b, Requests.Gzip(b), Requests.Zlib(System.Text.Encoding.UTF8.GetString(b)), Requests.Brotli(System.Text.Encoding.UTF8.GetString(b)) }).ToList();
        string[] types = ["application/json", "application/x-www-form-urlencoded", "multipart/form-data; boundary=xyz", "text/plain", "application/octet-stream", ""];
        string[] encodings = ["", "gzip", "deflate", "br"];
        Mutations.Sample(m =>
        {
            var body = Apply(seeds[m.Seed % seeds.Count], m);
            var headers = new List<(string, string)>();
            if (types[m.Positions[0] % types.Length] is { Length: > 0 } t) headers.Add(("Content-Type", t));
            if (encodings[m.Bytes[0] % encodings.Length] is { Length: > 0 } enc) headers.Add(("Content-Encoding", enc));
            var exchange = Requests.Make("POST", "https://graph.facebook.com/v16.0/123/activities?x=1", body, [.. headers]);
            var task = Task.Run(() => TrackerDecoders.All.Decode(exchange, DecodeLimits.Default));
            if (!task.Wait(TimeSpan.FromSeconds(10))) Assert.Fail("decode did not finish within 10 s");
            _ = task.Result;
        }, time: Seconds, threads: 1);
    }

    /// <summary>
    /// The QUIC Initial reader on mutated datagrams: the real client Initial packets of the shared Chrome capture
    /// and Initial packets of other versions around its real ClientHello. Most mutations fail authentication, so
    /// this exercises the header and coalescing parsers.
    /// </summary>
    [Test]
    public void Mutated_QUIC_Initial_datagrams_never_make_the_reader_throw_or_hang()
    {
        var hello = QuicPackets.RealClientHello();
        var dcid = Convert.FromHexString("5a1e0c3f9b27d4e6");
        var seeds = QuicPackets.ClientDatagrams(TestFiles.Capture(QuicPackets.SharedCapture))
            .Concat(new uint[] { 0x6b3343cf, 0xff00001d, 0xfaceb002, 0x54303531 }.Select(v =>
                QuicPackets.Initial(v, dcid, 0, QuicPackets.Crypto(0, hello, QuicVersion.Find(v)!.Handshake == QuicHandshake.Tls ? (byte)0x06 : (byte)0x08)))).ToList();
        Mutations.Sample(m => ReadGuarded(Apply(seeds[m.Seed % seeds.Count], m)), time: Seconds, threads: 1);
    }

    /// <summary>
    /// The frame and ClientHello parsers behind the authentication tag: mutated plaintexts (CRYPTO frames of the
    /// real hello, whole or split, with PING, ACK and PADDING) are sealed again, so every mutation reaches them.
    /// </summary>
    [Test]
    public void Mutated_Initial_payloads_sealed_again_never_make_the_reader_throw_or_hang()
    {
        var hello = QuicPackets.RealClientHello();
        var dcid = Convert.FromHexString("5a1e0c3f9b27d4e6");
        var half = hello.Length / 2;
        byte[] ack = [0x02, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00];
        var seeds = new List<(uint Version, byte[] Frames)>
        {
            (1, QuicPackets.Crypto(0, hello)),
            (1, [0x01, .. ack, .. QuicPackets.Crypto((ulong)half, hello[half..]), .. QuicPackets.Crypto(0, hello[..half]), 0, 0, 0]),
            (0x6b3343cf, QuicPackets.Crypto(0, hello)),
            (0x54303531, QuicPackets.Crypto(0, hello, 0x08)),
            (0x51303530, QuicPackets.Crypto(0, [.. "CHLO"u8, 1, 0, 0, 0, .. "SNI\0"u8, 11, 0, 0, 0, .. "www.example"u8], 0x08)),
        };
        Mutations.Sample(m =>
        {
            var (version, frames) = seeds[m.Seed % seeds.Count];
            ReadGuarded(QuicPackets.Initial(version, dcid, (uint)(m.Positions[0] & 0xffff), Apply(frames, m)));
        }, time: Seconds, threads: 1);
    }

    private static void ReadGuarded(byte[] datagram)
    {
        var task = Task.Run(() =>
        {
            using var reader = new QuicInitialReader(64 * 1024);
            reader.ClientDatagram(datagram, (kind, message) => Assert.That(message, Does.StartWith("QUIC")));
            return reader.ServerName;
        });
        if (!task.Wait(TimeSpan.FromSeconds(10))) Assert.Fail("the QUIC Initial reader did not finish within 10 s");
        _ = task.Result;
    }

    // Found by the fuzzer: a corrupt brotli body made BrotliStream throw InvalidOperationException.
    [Test]
    public void Regression_corrupt_brotli_body_is_undecoded_not_a_crash()
    {
        var brotli = Requests.Brotli("{\"advertiser_id\":\"abc\",\"event\":\"CUSTOM_APP_EVENTS\"}");
        for (var i = 0; i < brotli.Length; i++)
        {
            var copy = (byte[])brotli.Clone();
            copy[i] ^= 0x5A;
            var exchange = Requests.Make("POST", "https://t.example/b", copy, ("Content-Type", "application/json"), ("Content-Encoding", "br"));
            Assert.DoesNotThrow(() => TrackerDecoders.All.Decode(exchange, DecodeLimits.Default), $"byte {i}");
            Assert.DoesNotThrow(() => ContentDecoding.Decode(exchange.RequestBody, "br", DecodeLimits.Default with { MaxBodyBytes = 1 << 20 }), $"byte {i}");
        }
    }

    // Found by the fuzzer: a JSON body with an invalid UTF-8 byte inside a string made the decode stage throw.
    [Test]
    public void Regression_invalid_UTF8_inside_a_JSON_string_is_undecoded_not_a_crash()
    {
        byte[] body = [.. "{\"a\":\"x"u8, 0xF0, 0x28, .. "\",\"b\":1}"u8];
        var decoded = TrackerDecoders.All.Decode(Requests.Make("POST", "https://t.example/j", body, ("Content-Type", "application/json")), DecodeLimits.Default);
        Assert.That(decoded.Problems, Is.Not.Empty);
        var escaped = TrackerDecoders.All.Decode(Requests.Make("POST", "https://t.example/j", Requests.Utf8("{\"a\":\"\\ud800\"}"), ("Content-Type", "application/json")), DecodeLimits.Default);
        Assert.That(escaped.Fields, Is.Not.Empty);
    }

    // Found by the fuzzer: a flipped byte made a property name invalid UTF-8 and the HAR scanner threw.
    [TestCase("har", "dd4el6HtOCa1")]
    public void Regression(string format, string seed)
    {
        var seeds = SeedsOf(format);
        Mutations.Sample(m =>
        {
            var (reader, bytes) = seeds[m.Seed % seeds.Count];
            CaptureSeeds.ReadGuarded(reader, Apply(bytes, m), seconds: 10);
        }, seed: seed, iter: 1, threads: 1);
    }
}
