using ResearchPipeline.Captures;
using ResearchPipeline.Run;
using ResearchPipeline.Dataset;
using ResearchPipeline.Tests.Cli;

namespace ResearchPipeline.Tests.Dataset;

/// <summary>
/// Null means absent, in every table: a value that does not apply is null, never "", and a column every row has
/// is REQUIRED in the file's Parquet schema, as DuckDB's parquet_schema() shows a reader.
/// </summary>
public class NullMeansAbsentTests
{
    private static string? _published;

    /// <summary>A study of real captures of every format, with rows that are not HTTP (DNS, TLS and TCP flows).</summary>
    private static async Task<string> PublishedStudy()
    {
        if (_published is not null) return _published;
        var raw = TestFiles.NewTempFolder("raw");
        foreach (var (app, capture) in new[]
                 {
                     ("quizduel", "har/quizduel-android.har"), ("android", "pcap/android.pcap"),
                     ("kakaotalk", "pcap/KakaoTalk_chat.pcap"), ("browsing", "mitmproxy/diff_data.mitm"),
                 })
        {
            Directory.CreateDirectory(Path.Combine(raw, app));
            File.Copy(TestFiles.Capture(capture), Path.Combine(raw, app, Path.GetFileName(capture)));
        }
        var output = TestFiles.NewTempFolder("out");
        await new StudyRunner(new SilentProgress()).RunAsync(new RunOptions(raw, output, 2, ReadLimits.Default));
        return _published = output;
    }

    private static Dictionary<string, string> RepetitionTypes(string file)
    {
        using var db = StudyRunnerTests.OpenDuckDb();
        // The first row of parquet_schema() is the schema's root; the others are the columns.
        return StudyRunnerTests.Query(db, $"select name, repetition_type from parquet_schema('{file}') where num_children is null")
            .ToDictionary(r => (string)r[0]!, r => (string)r[1]!, StringComparer.Ordinal);
    }

    private static void AssertRequiredColumns(string folder)
    {
        foreach (var table in Tables.All)
        {
            var file = Path.Combine(folder, table.FileName);
            Assert.That(file, Does.Exist);
            var types = RepetitionTypes(file);
            Assert.That(types.Keys, Is.EquivalentTo(table.Columns.Select(c => c.Name)), table.Name);
            foreach (var column in table.Columns)
                Assert.That(types[column.Name], Is.EqualTo(column.Required ? "REQUIRED" : "OPTIONAL"), $"{table.Name}.{column.Name}");
        }
    }

    [Test]
    public async Task Every_table_of_a_run_declares_its_never_null_columns_REQUIRED()
    {
        AssertRequiredColumns(await PublishedStudy());
        Assert.That(Tables.Exchanges.Columns.Where(c => c.Required).Select(c => c.Name), Does.Contain("exchange_id").And.Not.Contain("method"));
    }

    [Test]
    public void The_committed_published_tables_declare_their_never_null_columns_REQUIRED() =>
        AssertRequiredColumns(Path.Combine(TestFiles.RepositoryRoot, "data", "processed"));

    [Test]
    public async Task No_published_cell_is_an_empty_string_except_a_value_sent_empty()
    {
        var output = await PublishedStudy();
        using var db = StudyRunnerTests.OpenDuckDb();
        var empty = new List<string>();
        foreach (var table in Tables.All)
        {
            var file = Path.Combine(output, table.FileName);
            foreach (var column in table.Columns.OfType<IColumnDefinition>().Where(c => c.TypeName == "string"))
            {
                var keepsEmpty = column.GetType().GetProperty("Empty")?.GetValue(column) is EmptyText.IsValue;
                var count = (long)StudyRunnerTests.Query(db, $"select count(*) from read_parquet('{file}') where \"{column.Name}\" = ''")[0][0]!;
                if (count > 0 && !keepsEmpty) empty.Add($"{table.Name}.{column.Name}: {count} empty");
            }
        }
        Assert.That(empty, Is.Empty);
    }

    [Test]
    public async Task Rows_that_are_not_HTTP_have_no_method_path_or_query()
    {
        var output = await PublishedStudy();
        using var db = StudyRunnerTests.OpenDuckDb();
        var rows = StudyRunnerTests.Query(db,
            $"select kind, count(*), count(method), count(path), count(query) from read_parquet('{output}/exchanges.parquet') group by kind order by kind");
        var kinds = rows.ToDictionary(r => (string)r[0]!, r => r);
        Assert.That(kinds.Keys, Is.SupersetOf(new[] { "dns_query", "http", "tls_flow" }), "the study has rows that are not HTTP");
        foreach (var (kind, row) in kinds.Where(k => k.Key != "http"))
            Assert.That(row[2..], Is.EqualTo(new object[] { 0L, 0L, 0L }), $"{kind}: method, path and query are null");
        Assert.That(kinds["http"][2], Is.EqualTo(kinds["http"][1]), "every HTTP row has a method");
    }
}
