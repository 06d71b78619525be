using CsCheck;
using ResearchPipeline.Captures.Pcap;
using ResearchPipeline.Captures.Pcap.Http2;
using ResearchPipeline.Captures.Pcap.Tls;
using ResearchPipeline.Tests.Captures.Tls;

namespace ResearchPipeline.Tests.Robustness;

/// <summary>
/// Fuzzing of the layers under a decrypted packet capture, each on its own so that mutations reach it: the TLS
/// record layer (real TLS 1.2 and 1.3 streams with their keys), HTTP/2 frames (the decrypted streams of a real
/// HTTP/2 capture) and HPACK blocks (RFC 7541's). Mutated input, cut into segments at random, must never make a
/// layer throw (HPACK's own error excepted) or hang.
/// </summary>
[Category("Fuzz")]
public class TlsFuzzTests
{
    private static int Seconds => int.TryParse(Environment.GetEnvironmentVariable("FUZZ_SECONDS"), out var s) && s > 0 ? s : 3;

    private static readonly Frame AFrame = new(1, null, 1, 100, 100, 0);

    /// <summary>Both directions of every TCP connection of a capture, as the reassembler delivers them.</summary>
    private static List<(byte[] Client, byte[] Server)> RawStreams(string capture) =>
        TlsDecryptionTests.DecryptedStreams(capture, new TlsKeyLog(), raw: true);

    private static void Chunked(byte[] bytes, int seed, Action<byte[]> feed)
    {
        var random = new Random(seed);
        for (var at = 0; at < bytes.Length;)
        {
            var n = Math.Min(bytes.Length - at, 1 + random.Next(3000));
            feed(bytes[at..(at + n)]);
            at += n;
        }
    }

    private static void Guarded(Action action)
    {
        var task = Task.Run(action);
        if (!task.Wait(TimeSpan.FromSeconds(10))) Assert.Fail("did not finish within 10 s");
        task.GetAwaiter().GetResult();
    }

    [Test]
    public void Mutated_TLS_streams_never_make_the_record_layer_throw_or_hang()
    {
        var seeds = new List<(TlsKeyLog Keys, byte[] Client, byte[] Server)>();
        foreach (var name in new[] { "tls12", "tls13" })
        {
            var capture = TestFiles.Capture($"pcap/{name}/capture.pcap");
            var keys = TlsDecryptionTests.KeyLog(Path.Combine(Path.GetDirectoryName(capture)!, "keylog.txt"));
            seeds.AddRange(RawStreams(capture).Select(s => (keys, s.Client, s.Server)));
        }
        FuzzTests.Mutations.Sample(m =>
        {
            var (keys, client, server) = seeds[m.Seed % seeds.Count];
            var mutated = m.Kind % 2 == 0 ? (FuzzTests.Apply(client, m), server) : (client, FuzzTests.Apply(server, m));
            Guarded(() =>
            {
                using var session = new TlsSession(keys, (_, _, _, _) => { });
                Chunked(mutated.Item1, m.Positions[0], b => session.Feed(true, b, AFrame));
                if (m.Positions.Length > 1) session.Gap(false, m.Positions[1] % 5000, AFrame);
                Chunked(mutated.Item2, m.Positions[0] + 1, b => session.Feed(false, b, AFrame));
            });
        }, time: Seconds, threads: 1);
    }

    [Test]
    public void Mutated_HTTP2_streams_never_make_the_frame_reader_throw_or_hang()
    {
        var capture = TestFiles.Capture("pcap/ja4/http2-with-cookies.pcapng");
        var keys = new TlsKeyLog();
        using (var stream = File.OpenRead(capture)) foreach (var s in PcapNgContainer.TlsSecrets(stream)) keys.Add(s.Text.Span);
        var seed = TlsDecryptionTests.DecryptedStreams(capture, keys).Single(s => s.Client.AsSpan().StartsWith(Http2Connection.Preface));
        // Seeds are the first 64 KB of each direction: long enough for many frames, short enough to mutate fast.
        var client = seed.Client[..Math.Min(seed.Client.Length, 65536)];
        var server = seed.Server[..Math.Min(seed.Server.Length, 65536)];
        FuzzTests.Mutations.Sample(m =>
        {
            var c = m.Kind % 2 == 0 ? FuzzTests.Apply(client, m) : client;
            var s = m.Kind % 2 == 1 ? FuzzTests.Apply(server, m) : server;
            Guarded(() =>
            {
                var h2 = new Http2Connection(1 << 16, () => 0, _ => { }, (_, _, _, _) => { });
                Chunked(c, m.Positions[0], b => h2.Feed(true, b, AFrame));
                Chunked(s, m.Positions[0] + 1, b => h2.Feed(false, b, AFrame));
                h2.Finish(AFrame);
            });
        }, time: Seconds, threads: 1);
    }

    [Test]
    public void Mutated_HPACK_blocks_only_ever_fail_with_an_HPACK_error()
    {
        byte[][] blocks =
        [
            Convert.FromHexString("828684418cf1e3c2e5f23a6ba0ab90f4ff"),
            Convert.FromHexString("828684be5886a8eb10649cbf"),
            Convert.FromHexString("828785bf408825a849e95ba97d7f8925a849e95bb8e8b4bf"),
            Convert.FromHexString("488264025885aec3771a4b6196d07abe941054d444a8200595040b8166e082a62d1bff6e919d29ad171863c78f0b97c8e9ae82ae43d3"),
        ];
        FuzzTests.Mutations.Sample(m =>
        {
            var hpack = new HpackDecoder();
            foreach (var block in blocks)
            {
                try
                {
                    hpack.Decode(FuzzTests.Apply(block, m));
                }
                catch (HpackException)
                {
                    // The decoder's own, reported error: anything else is a defect.
                }
            }
        }, time: Seconds, threads: 1);
    }
}
