using System.Text;
using ResearchPipeline.Captures;
using ResearchPipeline.Captures.Pcap;
using ResearchPipeline.Captures.Pcap.Tls;
using ResearchPipeline.Tests.Lab;

namespace ResearchPipeline.Tests.Captures.Tls;

/// <summary>Key log texts from several sources merge in the order they are added, whatever repeats among them.</summary>
public class TlsKeyLogTests
{
    private static byte[] RealKeyLog() => File.ReadAllBytes(TestFiles.Shared("pcap/tls12/keylog.txt"));

    [Test]
    public void A_text_added_again_counts_its_lines_again_and_keeps_its_secrets()
    {
        var text = RealKeyLog();
        var once = new TlsKeyLog();
        once.Add(text);
        var twice = new TlsKeyLog();
        twice.Add(text);
        twice.Add(text.AsSpan());

        Assert.That(once.SecretLines, Is.GreaterThan(0));
        Assert.That(twice.SecretLines, Is.EqualTo(2 * once.SecretLines));
        Assert.That(twice.UnreadableLines, Is.EqualTo(2 * once.UnreadableLines));
        Assert.That(twice.Connections, Is.EqualTo(once.Connections));
    }

    [Test]
    public void A_text_added_again_after_another_one_sets_its_own_secrets_again()
    {
        // The same connection's master secret, logged first as the real one, then (by a second source) as another
        // value, then the first text once more: the last text added decides.
        var first = RealKeyLog();
        var line = Encoding.ASCII.GetString(first).Split('\n').First(l => l.StartsWith("CLIENT_RANDOM ", StringComparison.Ordinal)).Trim();
        var parts = line.Split(' ');
        var clientRandom = Convert.FromHexString(parts[1]);
        var real = Convert.FromHexString(parts[2]);
        var other = real.Select(b => (byte)~b).ToArray();
        var second = Encoding.ASCII.GetBytes($"CLIENT_RANDOM {parts[1]} {Convert.ToHexString(other)}\n");

        var keys = new TlsKeyLog();
        keys.Add(first);
        keys.Add(second);
        Assert.That(keys.Find(clientRandom)!.MasterSecret, Is.EqualTo(other));
        keys.Add(first.AsSpan());
        Assert.That(keys.Find(clientRandom)!.MasterSecret, Is.EqualTo(real));
    }

    [Test]
    public void Secrets_blocks_read_ahead_from_a_large_file_are_those_of_the_file_in_memory()
    {
        // The lab's sessions concatenated ten times: 60 sections, each with its key log in a secrets block, in a
        // file larger than the chunk the headers are read in, so blocks lie inside chunks and across their ends.
        var sessions = Directory.GetFiles(DemonstrationCorpus.Raw, "*.pcapng", SearchOption.AllDirectories).Order(StringComparer.Ordinal).Select(File.ReadAllBytes).ToList();
        var file = Enumerable.Repeat(sessions, 10).SelectMany(s => s).SelectMany(b => b).ToArray();
        Assert.That(file.Length, Is.GreaterThan(1 << 20));
        var folder = Directory.CreateTempSubdirectory("secrets-ahead-");
        try
        {
            var path = Path.Combine(folder.FullName, "sessions.pcapng");
            File.WriteAllBytes(path, file);
            var inMemory = PcapNgContainer.TlsSecrets(file).Select(s => Convert.ToHexString(s.Span)).ToList();
            using var stream = new CountingStream(File.OpenRead(path));
            var ahead = PcapNgContainer.TlsSecrets(stream).Select(s => Convert.ToHexString(s.Span)).ToList();
            Assert.That(inMemory, Has.Count.EqualTo(10 * sessions.Count), "a key log block per section");
            Assert.That(ahead, Is.EqualTo(inMemory));
            // A block inside the chunk read is taken from it, not read again with a fresh chunk after it.
            Assert.That(stream.BytesRead, Is.LessThanOrEqualTo(2L * file.Length));
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Test]
    public void A_key_log_beside_a_capture_that_holds_it_in_a_secrets_block_reads_as_the_block_alone()
    {
        // What editcap --inject-secrets leaves when the key log is kept too: the same text twice.
        var source = TestFiles.Shared("pcap/ja4/http2-with-cookies.pcapng");
        var secrets = PcapNgContainer.TlsSecrets(File.ReadAllBytes(source));
        Assert.That(secrets, Has.Count.EqualTo(1), "the capture holds one TLS key log block");
        var folder = Directory.CreateTempSubdirectory("keylog-beside-");
        try
        {
            var capture = Path.Combine(folder.FullName, "session.pcapng");
            File.Copy(source, capture);
            File.WriteAllBytes(Path.Combine(folder.FullName, "session.keylog"), secrets[0].ToArray());

            var alone = PcapReaderTests.ReadAll(source);
            var both = PcapReaderTests.ReadAll(capture);
            var lines = Encoding.ASCII.GetString(secrets[0].Span).Split('\n').Count(l => l.Trim().Length > 0 && !l.StartsWith('#'));
            Assert.That(both.OfType<CaptureProblem>().Select(p => p.Message), Has.Some.EqualTo($"key log session.keylog read: {lines} TLS secrets"));
            Assert.That(Exchanges(both), Is.EqualTo(Exchanges(alone)), "the same exchanges, decrypted alike");
            Assert.That(both.OfType<ExchangeRead>().Count(r => r.Exchange.HttpVersion == "HTTP/2"), Is.GreaterThan(10), "the HTTP/2 requests decrypted");
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    private static List<string> Exchanges(IEnumerable<CaptureRecord> records) =>
        records.OfType<ExchangeRead>().Select(r => r.Exchange)
            .Select(e => $"{e.Ordinal} {e.Kind} {e.Method} {e.Target} {e.Status} {e.TlsVersion} {e.CipherSuite} {e.RequestBody.Length} {e.ResponseBody.Length} {string.Join(";", e.RequestHeaders)}").ToList();
}
