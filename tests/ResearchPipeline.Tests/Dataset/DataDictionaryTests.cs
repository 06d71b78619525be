using ResearchPipeline.Cli;
using ResearchPipeline.Captures;
using ResearchPipeline.Run;
using ResearchPipeline.Dataset;
using ResearchPipeline.Tests.Cli;

namespace ResearchPipeline.Tests.Dataset;

public class DataDictionaryTests
{
    private static string CommittedPath => Path.Combine(TestFiles.RepositoryRoot, DataDictionary.DefaultPath);

    [Test]
    public void The_committed_dictionary_is_what_the_table_definitions_generate()
    {
        Assert.That(File.Exists(CommittedPath), $"{DataDictionary.DefaultPath} is missing: run research-pipeline dictionary --out {DataDictionary.DefaultPath}");
        Assert.That(File.ReadAllText(CommittedPath), Is.EqualTo(DataDictionary.Render(Tables.All)),
            $"code and {DataDictionary.DefaultPath} disagree: run research-pipeline dictionary --out {DataDictionary.DefaultPath}");
    }

    [Test]
    public async Task The_dictionary_lists_exactly_the_columns_DuckDB_reports_for_each_published_table()
    {
        var output = TestFiles.NewTempFolder("out");
        await new StudyRunner(new SilentProgress()).RunAsync(new RunOptions(PublicationTests.FacebookLoginStudy(), output, 2, ReadLimits.Default));
        var documented = DataDictionary.ReadColumns(File.ReadAllText(CommittedPath));
        var published = Directory.GetFiles(output, "*.parquet").Select(Path.GetFileNameWithoutExtension).Order(StringComparer.Ordinal).ToList();
        Assert.That(documented.Keys.Order(StringComparer.Ordinal), Is.EqualTo(published), "one section per published table");
        using var db = StudyRunnerTests.OpenDuckDb();
        foreach (var table in published)
        {
            var columns = StudyRunnerTests.Query(db, $"select column_name from (describe select * from read_parquet('{Path.Combine(output, table + ".parquet")}'))").Select(r => (string)r[0]!);
            Assert.That(documented[table!], Is.EqualTo(columns), table);
        }
    }

    [Test]
    public void The_dictionary_verb_writes_the_file()
    {
        var path = Path.Combine(TestFiles.NewTempFolder("docs"), "DATA_DICTIONARY.md");
        var (code, stdout, _) = StudyRunnerTests.RunProgram("dictionary", "--out", path);
        Assert.That(code, Is.EqualTo(ExitCodes.Ok), stdout);
        Assert.That(File.ReadAllText(path), Is.EqualTo(DataDictionary.Render(Tables.All)));
    }
}
