using ResearchPipeline.Captures;
using ResearchPipeline.Dataset;

namespace ResearchPipeline.Tests.Dataset;

public class AtomicFileTests
{
    [Test]
    public async Task The_digest_taken_while_writing_is_the_digest_of_the_file_written()
    {
        // A real capture's bytes (expressen.har, 3.6 MB) in pieces of every size: smaller than the block the digest
        // is taken in, across its end, and larger than it, as Parquet.Net and the JSON writers hand them over.
        var source = File.ReadAllBytes(TestFiles.Capture("har/expressen.har"));
        var path = Path.Combine(TestFiles.NewTempFolder("atomic"), "copy.har");
        var written = await AtomicFile.WriteAsync(path, async stream =>
        {
            var at = 0;
            for (var piece = 1; at < source.Length; piece = piece * 3 % 200_003 + 1)
            {
                var take = Math.Min(piece, source.Length - at);
                if (piece % 2 == 0) await stream.WriteAsync(source.AsMemory(at, take));
                else stream.Write(source, at, take);
                at += take;
            }
        });
        Assert.That(File.ReadAllBytes(path), Is.EqualTo(source));
        Assert.That(written, Is.EqualTo(new WrittenFile(path, FileHash.Sha256Hex(TestFiles.Capture("har/expressen.har")), source.Length)));
    }

    [Test]
    public async Task A_parquet_table_is_named_by_the_digest_of_its_bytes()
    {
        var folder = TestFiles.NewTempFolder("atomic");
        var rows = Enumerable.Range(0, 5).Select(i => new ExchangeRow
        {
            ExchangeId = $"x:{i}", CaptureId = "x", AppId = "a", Ordinal = i, Kind = "http", Method = "GET", Scheme = "https",
            Host = "graph.facebook.com", Path = "/v19.0/app", Query = "fields=id",
        }).ToList();
        var written = await ParquetTableWriter.WriteAsync(folder, Tables.Exchanges, rows, rowGroupSize: 2);
        Assert.That(written.Path, Is.EqualTo(Path.Combine(folder, Tables.Exchanges.FileName)));
        Assert.That(written.Sha256, Is.EqualTo(FileHash.Sha256Hex(written.Path)));
        Assert.That(written.Bytes, Is.EqualTo(new FileInfo(written.Path).Length));
    }

    [Test]
    public async Task A_writer_that_goes_back_in_the_file_gets_the_digest_of_what_the_file_holds()
    {
        var path = Path.Combine(TestFiles.NewTempFolder("atomic"), "patched.bin");
        var written = await AtomicFile.WriteAsync(path, stream =>
        {
            stream.Write(new byte[100_000]);
            // A length filled in afterwards, as a format with its size at the front would.
            stream.Position = 10;
            stream.Write("size"u8);
            stream.Seek(0, SeekOrigin.End);
            stream.Write("tail"u8);
            return Task.CompletedTask;
        });
        var bytes = File.ReadAllBytes(path);
        Assert.That(bytes, Has.Length.EqualTo(100_004));
        Assert.That(System.Text.Encoding.ASCII.GetString(bytes, 10, 4), Is.EqualTo("size"));
        Assert.That(written.Sha256, Is.EqualTo(FileHash.Sha256Hex(path)));
        Assert.That(written.Bytes, Is.EqualTo(100_004));
    }

    [Test]
    public void A_writer_that_fails_leaves_neither_the_file_nor_its_temporary()
    {
        var folder = TestFiles.NewTempFolder("atomic");
        var path = Path.Combine(folder, "table.parquet");
        Assert.ThrowsAsync<InvalidDataException>(() => AtomicFile.WriteAsync(path, stream =>
        {
            stream.Write(new byte[200_000]);
            throw new InvalidDataException("a row that cannot be written");
        }));
        Assert.That(Directory.EnumerateFileSystemEntries(folder), Is.Empty);
    }
}
