using System.Text;
using Parquet;
using Parquet.Schema;

namespace ResearchPipeline.Dataset;

/// <summary>
/// The last gate before a folder is published: reads back every string column of every Parquet file, and
/// every JSON file, and fails when any secret or identifier seen in the inputs appears in them as it was
/// sent. It does not trust emit: a column a later stage adds without pseudonymising is caught here.
/// </summary>
public static class PublicationCheck
{
    /// <summary>One line per leak: file, column and what kind of value (never the value itself).</summary>
    public static async Task<List<string>> ScanAsync(string folder, IEnumerable<string> publishedFiles, Pseudonymiser values, CancellationToken cancel = default, int parallelism = 1)
    {
        // Files are scanned side by side; the leaks are reported in file order whatever finished first.
        var names = publishedFiles.Select(f => Path.GetFileName(f)!).Order(StringComparer.Ordinal).ToList();
        var perFile = new List<string>[names.Count];
        await Parallel.ForEachAsync(Enumerable.Range(0, names.Count),
            new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, parallelism), CancellationToken = cancel },
            async (i, ct) => perFile[i] = await ScanFileAsync(folder, names[i], values, ct));
        return perFile.SelectMany(l => l).ToList();
    }

    private static async Task<List<string>> ScanFileAsync(string folder, string name, Pseudonymiser values, CancellationToken cancel)
    {
        var leaks = new List<string>();
        var path = Path.Combine(folder, name);
        if (name.EndsWith(".parquet", StringComparison.Ordinal))
        {
            await using var stream = File.OpenRead(path);
            await using var reader = await ParquetReader.CreateAsync(stream, cancellationToken: cancel);
            var fields = reader.Schema.GetDataFields()
                // Parquet.Net 6 reports UTF-8 columns as ReadOnlyMemory<char>.
                .Where(f => f.ClrType == typeof(string) || f.ClrType == typeof(ReadOnlyMemory<char>)).ToList();
            for (var g = 0; g < reader.RowGroupCount; g++)
            {
                using var group = reader.OpenRowGroupReader(g);
                foreach (var field in fields)
                {
                    var cells = new string?[group.RowCount];
                    await group.ReadAsync(field, cells.AsMemory(), cancellationToken: cancel);
                    // Columns repeat their values (hosts, content types, semantics): each distinct one is searched once.
                    var searched = new HashSet<string>(StringComparer.Ordinal);
                    foreach (var cell in cells)
                    {
                        if (cell is null || !searched.Add(cell) || !values.Leaks(Encoding.UTF8.GetBytes(cell), out var what)) continue;
                        leaks.Add($"{name} column {field.Name} holds {what} seen in the inputs");
                        break;
                    }
                }
            }
        }
        else if (values.Leaks(await File.ReadAllBytesAsync(path, cancel), out var what))
        {
            leaks.Add($"{name} holds {what} seen in the inputs");
        }
        return leaks;
    }
}
