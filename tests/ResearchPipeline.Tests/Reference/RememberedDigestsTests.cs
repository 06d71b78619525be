using System.Security.Cryptography;
using System.Text;
using ResearchPipeline.Reference;

namespace ResearchPipeline.Tests.Reference;

public class RememberedDigestsTests
{
    private static string Sha256(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    /// <summary>A write time the file system holds exactly, so that setting it back restores it to the nanosecond.</summary>
    internal static readonly DateTime Written = new(2026, 1, 2, 3, 4, 5, DateTimeKind.Utc);

    private static string Record(string folder) => Path.Combine(folder, RememberedDigests.FileName);

    /// <summary>A record as a run before wrote it: the file's identity now, with the digest given.</summary>
    private static void Remember(string folder, string file, string sha256) =>
        File.WriteAllText(Record(folder), $"{sha256}\t{FileIdentity.Of(file)!.Text}\t{Path.GetRelativePath(folder, file)}\n");

    [Test]
    public void A_remembered_digest_is_taken_while_the_file_is_as_it_was_and_the_file_hashed_again_once_written()
    {
        var folder = TestFiles.NewTempFolder("external");
        var file = Path.Combine(folder, "geo", "db.mmdb");
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        File.WriteAllText(file, "first");
        File.SetLastWriteTimeUtc(file, Written);
        // A digest no file has: taken, the file is not read.
        var remembered = new string('f', 64);
        Remember(folder, file, remembered);
        Assert.That(RememberedDigests.In(folder).Sha256Of(file), Is.EqualTo(remembered));

        // Other bytes of the same size, the write time set back: the change time tells.
        File.WriteAllText(file, "other");
        File.SetLastWriteTimeUtc(file, Written);
        Assert.That(RememberedDigests.In(folder).Sha256Of(file), Is.EqualTo(Sha256("other")));
    }

    [Test]
    public void A_file_outside_the_folder_is_hashed_and_not_remembered()
    {
        var folder = TestFiles.NewTempFolder("external");
        var outside = Path.Combine(TestFiles.NewTempFolder("elsewhere"), "asn.csv");
        File.WriteAllText(outside, "1.0.0.0,1.0.0.255,13335,Cloudflare");
        var digests = RememberedDigests.In(folder);
        digests.Settled = TimeSpan.Zero;
        Assert.That(digests.Sha256Of(outside), Is.EqualTo(Sha256("1.0.0.0,1.0.0.255,13335,Cloudflare")));
        digests.Save();
        Assert.That(File.Exists(Record(folder)), Is.False);
    }

    [Test]
    public void A_file_hashed_is_remembered_once_settled_and_a_file_just_written_is_not()
    {
        var folder = TestFiles.NewTempFolder("external");
        var file = Path.Combine(folder, "rules.js");
        File.WriteAllText(file, "rules");

        var fresh = RememberedDigests.In(folder);
        Assert.That(fresh.Sha256Of(file), Is.EqualTo(Sha256("rules")));
        fresh.Save();
        Assert.That(File.Exists(Record(folder)), Is.False, "written within the file system's clock tick: it could change again unseen");

        var digests = RememberedDigests.In(folder);
        digests.Settled = TimeSpan.Zero;
        Assert.That(digests.Sha256Of(file), Is.EqualTo(Sha256("rules")));
        digests.Save();
        Assert.That(File.ReadAllText(Record(folder)), Is.EqualTo($"{Sha256("rules")}\t{FileIdentity.Of(file)!.Text}\trules.js\n"));
    }
}
