using Parquet;

namespace ResearchPipeline.Dataset;

/// <summary>
/// Writes a table to Parquet with fixed settings (Snappy, fixed row-group size, no custom metadata, rows in
/// the table's order), so the same rows always give the same bytes. The file appears under its final name
/// only when complete: it is written to a temporary name in the same folder and renamed.
/// </summary>
public static class ParquetTableWriter
{
    /// <summary>
    /// Rows per row group. Emit holds one row group per table being written, so this bounds its memory: half the
    /// 100,000 it was at first brought the bench's 1 GB corpus under its memory target (bench/NOTES.md).
    /// </summary>
    public const int RowGroupSize = 50_000;

    public static ParquetOptions Options() => new()
    {
        CompressionMethod = CompressionMethod.Snappy,
        CompressionLevel = System.IO.Compression.CompressionLevel.Optimal,
    };

    /// <param name="check">Sees every row group's string cells before they are written.</param>
    public static async Task<WrittenFile> WriteAsync<TRow>(string folder, TableDefinition<TRow> table, IEnumerable<TRow> rows, CancellationToken cancel = default,
        int rowGroupSize = RowGroupSize, IPublishedTextCheck? check = null)
    {
        var sorted = rows.ToList();
        // List.Sort is not stable; the tables' orders are total (they end with a unique key), so it need not be.
        sorted.Sort(table.Order);
        var path = Path.Combine(folder, table.FileName);
        return await AtomicFile.WriteAsync(path, async stream =>
        {
            await using var writer = await ParquetWriter.CreateAsync(table.Schema, stream, Options(), cancellationToken: cancel);
            // One set of cells, filled again for each group: a group's arrays are large objects, collected late.
            var cells = table.Columns.Select(c => c.NewCells(Math.Min(rowGroupSize, sorted.Count))).ToArray();
            for (int start = 0, index = 0; start == 0 || start < sorted.Count; start += rowGroupSize, index++)
            {
                var count = Math.Min(rowGroupSize, sorted.Count - start);
                // Over the list's own array: read through the list's interface, every cell of every column was an interface call.
                var rows = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(sorted).Slice(start, count);
                for (var c = 0; c < cells.Length; c++) table.Columns[c].Fill(cells[c], rows);
                // As the merge of shards does: the check reads the cells beside their encoding, and both end before the
                // cells are filled again.
                var checking = check is null ? Task.CompletedTask : Task.Run(() => check.Check(index, RowGroupText.Of(table.Columns, cells, count)), cancel);
                await Task.WhenAll(checking, EncodingThreads.Run(async () =>
                {
                    using var rowGroup = writer.CreateRowGroup();
                    for (var c = 0; c < cells.Length; c++) await table.Columns[c].WriteCellsAsync(rowGroup, cells[c], count);
                }, cancel));
            }
        }, cancel);
    }
}

/// <summary>The string columns of a row group's cells, as a <see cref="IPublishedTextCheck"/> is given them.</summary>
internal static class RowGroupText
{
    public static List<TextCells> Of<TRow>(IReadOnlyList<TableColumn<TRow>> columns, Array[] cells, int count)
    {
        var text = new List<TextCells>();
        for (var c = 0; c < columns.Count; c++)
        {
            if (cells[c] is string?[] strings) text.Add(new TextCells(columns[c].Name, strings, count));
        }
        return text;
    }
}
