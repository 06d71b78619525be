using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using ResearchPipeline.Captures;
using ResearchPipeline.Run;
using ResearchPipeline.Study;

namespace ResearchPipeline.Tests.Captures;

/// <summary>A pcapng whose key log is long: editcap writes it as one Decryption Secrets Block, whatever its size.</summary>
public class LargeSecretsBlockTests
{
    [Test]
    public void A_secrets_block_larger_than_16_MiB_as_editcap_writes_a_long_key_log_is_read_and_its_keys_decrypt()
    {
        // The lab's recording (tests/fixtures/lab/README.md): 200 HTTPS requests whose keys are in the file.
        var recorded = Path.Combine(TestFiles.Fixtures, "lab", "long-connection.pcapng");
        var editcap = Path.Combine(Path.GetDirectoryName(Tshark.Path)!, "editcap");
        if (!File.Exists(editcap)) Assert.Ignore("editcap is not installed (Debian package wireshark-common, which tshark brings): the capture cannot be made");
        var folder = TestFiles.NewTempFolder("large-secrets");

        // Its key log, then the keys of 100,000 other connections (made up: they match nothing), as a study's long
        // recording gathers: 17 MB, more than the 16 MiB a block could have before.
        var keyLog = Path.Combine(folder, "keys.log");
        using (var writer = new StreamWriter(keyLog, false, new UTF8Encoding(false)) { NewLine = "\n" })
        {
            writer.Write(Encoding.UTF8.GetString(RecordedKeyLog(recorded)));
            for (var i = 0; i < 100_000; i++)
            {
                var seed = BitConverter.GetBytes(i);
                writer.WriteLine($"CLIENT_RANDOM {Convert.ToHexStringLower(SHA256.HashData(seed))} {Convert.ToHexStringLower(SHA384.HashData(seed))}");
            }
        }
        Assert.That(new FileInfo(keyLog).Length, Is.GreaterThan(16 << 20));
        // editcap 4.0 does not rewrite a file that holds a secrets block ("can't be written as a pcapng file"): it is
        // given the packets alone.
        var packets = Path.Combine(folder, "packets.pcapng");
        File.WriteAllBytes(packets, WithoutSecrets(File.ReadAllBytes(recorded)));
        var capture = Path.Combine(folder, "long-key-log.pcapng");
        var start = new System.Diagnostics.ProcessStartInfo(editcap) { RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "--inject-secrets", $"tls,{keyLog}", packets, capture }) start.ArgumentList.Add(a);
        using (var process = System.Diagnostics.Process.Start(start)!)
        {
            var stderr = process.StandardError.ReadToEnd();
            process.WaitForExit();
            Assert.That(process.ExitCode, Is.Zero, $"editcap failed: {stderr}");
        }
        Assert.That(SecretsBlockLengths(capture), Has.Exactly(1).GreaterThan(16 << 20), "one secrets block, larger than 16 MiB");

        // The block is read once, ahead, for its keys; the pass over the packets goes over it.
        using (var counted = new CountingStream(File.OpenRead(capture)))
        {
            var records = new ResearchPipeline.Captures.Pcap.PcapNgReader().Read(counted, ReadLimits.Default, keys: null).ToList();
            Assert.That(records.OfType<ExchangeRead>().Count(), Is.EqualTo(201));
            Assert.That(counted.BytesRead, Is.LessThan(new FileInfo(capture).Length * 6 / 5), "bytes read, against the file's");
        }

        var file = new CaptureFile(capture, "lab/long-key-log.pcapng", "lab", new FileInfo(capture).Length);
        var outcome = CaptureParse.Run(file, AppsCatalog.Empty, CaptureFormats.All, ReadLimits.Default);
        Assert.Multiple(() =>
        {
            Assert.That(outcome.Quality.Where(q => q.Severity == "error").Select(q => q.Message), Is.Empty);
            Assert.That(outcome.Exchanges, Has.Count.EqualTo(201), "the 200 requests and the connection without keys");
            Assert.That(outcome.Exchanges.Count(e => e.Method == "POST" && e.Host == "collect.lab.example"), Is.EqualTo(200), "every request decrypted");
            Assert.That(outcome.Payloads.Where(p => p.KeyPath == "device_model").Select(p => p.Value).Distinct(), Is.EqualTo(new[] { "Pixel 7" }));
        });
    }

    private const uint SecretsBlock = 0x0A;
    private const uint TlsKeyLog = 0x544c534b;

    /// <summary>A pcapng's blocks (little-endian, as dumpcap writes): type, where the block starts, its length.</summary>
    private static IEnumerable<(uint Type, int At, int Length)> Blocks(byte[] bytes)
    {
        for (var at = 0; at + 12 <= bytes.Length;)
        {
            var length = (int)BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(at + 4));
            yield return (BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(at)), at, length);
            at += length;
        }
    }

    /// <summary>The TLS key log of the capture's Decryption Secrets Blocks.</summary>
    private static byte[] RecordedKeyLog(string capture)
    {
        var bytes = File.ReadAllBytes(capture);
        var keys = Blocks(bytes).Where(b => b.Type == SecretsBlock && BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(b.At + 8)) == TlsKeyLog)
            .SelectMany(b => bytes.AsSpan(b.At + 16, (int)BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(b.At + 12))).ToArray()).ToArray();
        Assert.That(keys, Is.Not.Empty, "the recording carries its keys");
        return keys;
    }

    private static byte[] WithoutSecrets(byte[] bytes) =>
        Blocks(bytes).Where(b => b.Type != SecretsBlock).SelectMany(b => bytes.AsSpan(b.At, b.Length).ToArray()).ToArray();

    private static List<long> SecretsBlockLengths(string capture) =>
        Blocks(File.ReadAllBytes(capture)).Where(b => b.Type == SecretsBlock).Select(b => (long)b.Length).ToList();
}
