using ResearchPipeline.Captures;
using ResearchPipeline.Run;
using ResearchPipeline.Tests.Cli;

namespace ResearchPipeline.Tests.Robustness;

/// <summary>
/// A study folder where broken files sit beside good captures: the run finishes, says what it could not read,
/// and publishes exactly the rows it would have published without the broken files.
/// </summary>
public class BrokenStudyTests
{
    [Test]
    public async Task Broken_files_get_quality_rows_and_do_not_change_the_good_captures_rows()
    {
        var good = TestFiles.NewTempFolder("good");
        Directory.CreateDirectory(Path.Combine(good, "quizduel"));
        Directory.CreateDirectory(Path.Combine(good, "browser"));
        File.Copy(TestFiles.Capture("har/quizduel-android.har"), Path.Combine(good, "quizduel", "a.har"));
        File.Copy(TestFiles.Capture("har/firefox.har"), Path.Combine(good, "browser", "firefox.har"));

        var mixed = TestFiles.NewTempFolder("mixed");
        CopyFolder(good, mixed);
        var expressen = File.ReadAllBytes(TestFiles.Capture("har/expressen.har"));
        var broken = new Dictionary<string, byte[]>
        {
            ["browser/cut-in-an-entry.har"] = expressen[..(expressen.Length * 2 / 5)],
            ["browser/cut-before-entries.har"] = expressen[..200],
            ["browser/empty.har"] = [],
            ["browser/not-json.har"] = "{\"log\": this is not json"u8.ToArray(),
            ["browser/entries-not-array.har"] = "{\"log\":{\"version\":\"1.2\",\"entries\":{\"a\":1}}}"u8.ToArray(),
            ["quizduel/binary.bin"] = Enumerable.Range(0, 4096).Select(i => (byte)(i * 37 % 251)).ToArray(),
        };
        foreach (var (name, bytes) in broken) File.WriteAllBytes(Path.Combine(mixed, name), bytes);

        var outGood = TestFiles.NewTempFolder("out-good");
        var outMixed = TestFiles.NewTempFolder("out-mixed");
        var runner = new StudyRunner(new SilentProgress());
        await runner.RunAsync(new RunOptions(good, outGood, 2, ReadLimits.Default));
        var summary = await runner.RunAsync(new RunOptions(mixed, outMixed, 2, ReadLimits.Default));
        Assert.That(summary.InvariantFailures, Is.Empty);

        using var db = StudyRunnerTests.OpenDuckDb();
        // Study-wide rows (enrichment without reference data) have no file; the good captures have no parse problem.
        var quality = StudyRunnerTests.Query(db, $"select file_name, count(*) from read_parquet('{outMixed}/quality.parquet') where stage = 'parse' or file_name in ({string.Join(',', broken.Keys.Select(k => $"'{k}'"))}) group by file_name");
        var perFile = quality.ToDictionary(r => (string)r[0]!, r => Convert.ToInt64(r[1]));
        foreach (var name in broken.Keys) Assert.That(perFile.GetValueOrDefault(name), Is.GreaterThanOrEqualTo(1), $"{name} has a quality row");
        Assert.That(perFile.Keys.Where(k => !broken.ContainsKey(k)), Is.Empty, "good captures have no quality row");

        foreach (var table in new[] { "exchanges", "captures" })
        {
            var onlyGood = StudyRunnerTests.Query(db,
                $"select count(*) from (select * from read_parquet('{outGood}/{table}.parquet') except all " +
                $"select * from read_parquet('{outMixed}/{table}.parquet'))");
            Assert.That(Convert.ToInt64(onlyGood[0][0]), Is.EqualTo(0), $"every {table} row of the good run is in the mixed run, unchanged");
        }
        var goodCount = StudyRunnerTests.Query(db, $"select count(*) from read_parquet('{outGood}/exchanges.parquet')");
        var mixedGoodCount = StudyRunnerTests.Query(db, $"select count(*) from read_parquet('{outMixed}/exchanges.parquet') where capture_id in (select capture_id from read_parquet('{outGood}/captures.parquet'))");
        Assert.That(mixedGoodCount[0][0], Is.EqualTo(goodCount[0][0]));
    }

    private static void CopyFolder(string from, string to)
    {
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }
}
