using ResearchPipeline.Tests.Cli;

namespace ResearchPipeline.Tests.Dataset;

/// <summary>Reads a published folder back the way a user would: every string cell DuckDB sees, and every other file's text.</summary>
internal static class PublishedFiles
{
    /// <summary>(file, column, value) for every non-null string cell of every Parquet file, and (file, "", text) for the other files.</summary>
    public static List<(string File, string Column, string Value)> AllStrings(string folder)
    {
        var cells = new List<(string, string, string)>();
        using var db = StudyRunnerTests.OpenDuckDb();
        foreach (var path in Directory.GetFiles(folder).Order(StringComparer.Ordinal))
        {
            var name = Path.GetFileName(path);
            if (!name.EndsWith(".parquet", StringComparison.Ordinal))
            {
                cells.Add((name, "", File.ReadAllText(path)));
                continue;
            }
            var columns = StudyRunnerTests.Query(db, $"select column_name from (describe select * from read_parquet('{path}')) where column_type = 'VARCHAR'")
                .Select(r => (string)r[0]!).ToList();
            foreach (var column in columns)
            {
                foreach (var row in StudyRunnerTests.Query(db, $"select \"{column}\" from read_parquet('{path}') where \"{column}\" is not null"))
                    cells.Add((name, column, (string)row[0]!));
            }
        }
        return cells;
    }

    /// <summary>Where (file and column) a value appears in the published folder, in any letter case; empty when nowhere.</summary>
    public static List<string> WhereIs(string folder, string value) =>
        AllStrings(folder).Where(c => c.Value.Contains(value, StringComparison.OrdinalIgnoreCase)).Select(c => $"{c.File}:{c.Column}").Distinct().ToList();
}
