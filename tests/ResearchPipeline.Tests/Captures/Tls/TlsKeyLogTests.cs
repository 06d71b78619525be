using System.Text;
using ResearchPipeline.Captures;
using ResearchPipeline.Captures.Pcap;
using ResearchPipeline.Captures.Pcap.Tls;
using ResearchPipeline.Tests.Lab;

namespace ResearchPipeline.Tests.Captures.Tls;

/// <summary>Key log texts from several sources merge in the order they are added, whatever repeats among them.</summary>
public class TlsKeyLogTests
{
    private static byte[] RealKeyLog() => File.ReadAllBytes(TestFiles.Capture("pcap/tls12/keylog.txt"));

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
            var ahead = PcapNgContainer.TlsSecrets(stream).Select(s => (Convert.ToHexString(s.Text.Span), s.EndsBlock)).ToList();
            Assert.That(inMemory, Has.Count.EqualTo(10 * sessions.Count), "a key log block per section");
            Assert.That(ahead, Is.EqualTo(inMemory.Select(text => (text, true))), "each block whole, as it lies inside the chunk read");
            // A block inside the chunk read is taken from it, not read again with a fresh chunk after it.
            Assert.That(stream.BytesRead, Is.LessThanOrEqualTo(2L * file.Length));
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Test]
    public void A_secrets_block_longer_than_the_chunk_is_read_in_parts_of_whole_lines_and_decrypts_as_whole()
    {
        // A long recording's key log in one block, as editcap --inject-secrets writes it: 100,000 other connections'
        // lines, a comment line longer than the 1 MiB chunk, and last the capture's own key log, its last line without
        // a line break. The file is past the size read whole, so the reader takes the stream.
        var source = TestFiles.Capture("pcap/ja4/http2-with-cookies.pcapng");
        var own = PcapNgContainer.TlsSecrets(File.ReadAllBytes(source)).Single().ToArray();
        var log = new MemoryStream();
        for (var i = 0; i < 100_000; i++) log.Write(Encoding.ASCII.GetBytes($"CLIENT_RANDOM {i:x64} {i:x96}\n"));
        log.Write(Encoding.ASCII.GetBytes("# " + new string('x', 3 << 19) + "\n"));
        log.Write(own.AsSpan(0, own.AsSpan().TrimEnd("\r\n"u8).Length));
        var text = log.ToArray();
        var folder = Directory.CreateTempSubdirectory("long-secrets-");
        try
        {
            var capture = Path.Combine(folder.FullName, "session.pcapng");
            File.WriteAllBytes(capture, CaptureBytes.PcapNg(CaptureBytes.PacketsOf(source), tlsKeyLog: text));
            Assert.That(new FileInfo(capture).Length, Is.GreaterThan(16 << 20));

            var parts = new List<(byte[] Text, bool EndsBlock)>();
            using (var stream = File.OpenRead(capture))
                foreach (var part in PcapNgContainer.TlsSecrets(stream)) parts.Add((part.Text.ToArray(), part.EndsBlock));
            Assert.That(parts.Select(p => p.EndsBlock), Is.EqualTo(parts.Select((_, i) => i == parts.Count - 1)), "one block, ended by its last part");
            Assert.That(parts.SkipLast(1).All(p => p.Text[^1] == (byte)'\n'), "every part but the last ends at a line's end");
            Assert.That(parts.SelectMany(p => p.Text).ToArray(), Is.EqualTo(text), "the parts are the block's key log");
            Assert.That(parts.Max(p => p.Text.Length), Is.LessThanOrEqualTo(2 << 20), "never held whole: parts of a chunk, one of two for the long line");

            var whole = new TlsKeyLog();
            whole.Add(text.AsSpan());
            var inParts = new TlsKeyLog();
            foreach (var part in parts) inParts.Add(part.Text.AsSpan());
            Assert.That((inParts.Connections, inParts.SecretLines, inParts.UnreadableLines), Is.EqualTo((whole.Connections, whole.SecretLines, whole.UnreadableLines)));
            Assert.That(whole.Connections, Is.GreaterThan(100_000));

            var read = PcapReaderTests.ReadAll(capture);
            Assert.That(Exchanges(read), Is.EqualTo(Exchanges(PcapReaderTests.ReadAll(source))), "the same exchanges, decrypted alike");
            Assert.That(read.OfType<ExchangeRead>().Count(r => r.Exchange.HttpVersion == "HTTP/2"), Is.GreaterThan(10), "the HTTP/2 requests decrypted with the key log's last part");
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
        var source = TestFiles.Capture("pcap/ja4/http2-with-cookies.pcapng");
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
