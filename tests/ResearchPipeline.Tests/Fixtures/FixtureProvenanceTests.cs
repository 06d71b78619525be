using System.Security.Cryptography;

namespace ResearchPipeline.Tests.Fixtures;

/// <summary>
/// The real captures copied into tests/fixtures are exactly the files PROVENANCE.md names: each listed with the
/// sha256 it has and a licence text that is present, none unlisted.
/// </summary>
public class FixtureProvenanceTests
{
    private sealed record ProvenanceRow(string File, string Repository, string Licence, string[] LicenceTexts, string Sha256);

    private static List<ProvenanceRow> Rows()
    {
        var provenance = Path.Combine(TestFiles.Fixtures, "PROVENANCE.md");
        Assert.That(provenance, Does.Exist, "tests/fixtures/PROVENANCE.md");
        return File.ReadLines(provenance)
            .Where(line => line.StartsWith("| `", StringComparison.Ordinal))
            .Select(line => line.Trim().Trim('|').Split('|').Select(cell => cell.Trim().Trim('`')).ToArray())
            .Select(cells => new ProvenanceRow(cells[0], cells[1], cells[4],
                cells[5].Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries), cells[7]))
            .ToList();
    }

    [Test]
    public void Every_listed_fixture_has_the_recorded_sha256_and_its_licence_text()
    {
        var rows = Rows();
        Assert.That(rows, Has.Count.GreaterThan(40));
        foreach (var row in rows)
        {
            var path = Path.Combine(TestFiles.Fixtures, row.File);
            Assert.That(path, Does.Exist, row.File);
            Assert.That(Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path))), Is.EqualTo(row.Sha256), row.File);
            Assert.That(row.LicenceTexts, Is.Not.Empty, row.File);
            foreach (var text in row.LicenceTexts)
                Assert.That(Path.Combine(TestFiles.Fixtures, text), Does.Exist, $"{row.File}: licence text {text}");
        }
    }

    [Test]
    public void No_fixture_is_unlisted()
    {
        var listed = Rows().Select(r => r.File).ToHashSet(StringComparer.Ordinal);
        var present = new[] { "captures", "refdata" }
            .SelectMany(folder => Directory.EnumerateFiles(Path.Combine(TestFiles.Fixtures, folder), "*", SearchOption.AllDirectories))
            .Select(path => Path.GetRelativePath(TestFiles.Fixtures, path).Replace('\\', '/'))
            .Where(relative => Path.GetFileName(relative) != "COMMIT");
        Assert.That(present.Where(relative => !listed.Contains(relative)), Is.Empty, "fixtures missing from PROVENANCE.md");
    }

    [Test]
    public void The_tests_read_the_repository_copy_first()
    {
        if (!string.IsNullOrEmpty(Environment.GetEnvironmentVariable("RESEARCH_SHARED_CAPTURES")))
            Assert.Ignore("RESEARCH_SHARED_CAPTURES is set and chosen over the repository's fixtures on purpose");
        Assert.That(TestFiles.Captures, Is.EqualTo(Path.Combine(TestFiles.Fixtures, "captures")));
        Assert.That(TestFiles.Capture("har/quizduel-android.har"), Does.StartWith(TestFiles.Fixtures));
        Assert.That(TestFiles.Refdata, Is.EqualTo(Path.Combine(TestFiles.Fixtures, "refdata")));
    }
}
