using ResearchPipeline.Dataset;
using System.Runtime.CompilerServices;
using System.Text;
using Parquet;
using Parquet.Schema;

namespace ResearchPipeline.Privacy;

/// <summary>
/// The last gate before a folder is published: looks at every string column of every Parquet file (as the
/// writer hands its cells over, <see cref="WhileWritten"/>, or read back from the file), and every JSON file,
/// and fails when any secret or identifier seen in the inputs appears in them as it was sent. It does not
/// trust emit: a column a later stage adds without pseudonymising is caught here.
/// </summary>
public static class LeakScan
{
    /// <summary>One line per leak: file, column and what kind of value (never the value itself).</summary>
    public static async Task<List<string>> ScanAsync(string folder, IEnumerable<string> publishedFiles, Pseudonymiser values, CancellationToken cancel = default, int parallelism = 1)
    {
        var leaks = new List<string>();
        foreach (var name in publishedFiles.Select(f => Path.GetFileName(f)!).Order(StringComparer.Ordinal))
            leaks.AddRange(await ScanFileAsync(folder, name, values, cancel, parallelism));
        return leaks;
    }

    /// <summary>
    /// The leaks of one file, its row groups scanned side by side (the largest table would otherwise be one
    /// long scan) and reported in row group order whatever finished first.
    /// </summary>
    public static async Task<List<string>> ScanFileAsync(string folder, string name, Pseudonymiser values, CancellationToken cancel = default, int parallelism = 1)
    {
        if (!name.EndsWith(".parquet", StringComparison.Ordinal)) return await ScanAsync(folder, name, -1, values, cancel);
        int groups;
        await using (var stream = File.OpenRead(Path.Combine(folder, name)))
        await using (var reader = await ParquetReader.CreateAsync(stream, cancellationToken: cancel))
            groups = reader.RowGroupCount;
        var found = new List<string>[groups];
        await Parallel.ForEachAsync(Enumerable.Range(0, groups),
            new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, parallelism), CancellationToken = cancel },
            async (g, ct) => found[g] = await ScanAsync(folder, name, g, values, ct));
        return found.SelectMany(l => l).ToList();
    }

    /// <summary>
    /// The first leak of a JSON file, read a line at a time rather than whole (a study of tens of thousands of
    /// captures has a manifest of megabytes). The same answer as over the whole file: the writer escapes a line
    /// break inside a string, so every value lies within a line, and a line's ends are boundaries to
    /// <see cref="Identity.IdentifierMatcher.StandsAlone"/> as the break beside it is.
    /// </summary>
    private static string? LineLeak(string path, Pseudonymiser values)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(1 << 16);
        try
        {
            foreach (var (text, _) in Captures.LineParts.Read(file, file.Length, buffer))
            {
                for (var rest = text.Span; !rest.IsEmpty;)
                {
                    var end = rest.IndexOf((byte)'\n');
                    if (values.Leaks(end < 0 ? rest : rest[..end], out var what)) return what;
                    rest = end < 0 ? [] : rest[(end + 1)..];
                }
            }
            return null;
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static async Task<List<string>> ScanAsync(string folder, string name, int rowGroup, Pseudonymiser values, CancellationToken cancel)
    {
        var leaks = new List<string>();
        var path = Path.Combine(folder, name);
        if (rowGroup < 0)
        {
            if (LineLeak(path, values) is { } what) leaks.Add($"{name} holds {what} seen in the inputs");
            return leaks;
        }
        await using var stream = new BlockingStream(File.OpenRead(path));
        await using var reader = await ParquetReader.CreateAsync(stream, cancellationToken: cancel);
        var fields = reader.Schema.GetDataFields()
            // Parquet.Net 6 reports UTF-8 columns as ReadOnlyMemory<char>.
            .Where(f => f.ClrType == typeof(string) || f.ClrType == typeof(ReadOnlyMemory<char>)).ToList();
        using var group = reader.OpenRowGroupReader(rowGroup);
        var columns = new List<TextCells>();
        foreach (var field in fields)
        {
            var cells = new string?[group.RowCount];
            await group.ReadAsync(field, cells.AsMemory(), cancellationToken: cancel);
            columns.Add(new TextCells(field.Name, cells, cells.Length));
        }
        return Scan(name, columns, values);
    }

    /// <summary>
    /// The leaks of a row group's string columns: per column, the first cell (in row order) that holds a value
    /// the pseudonymiser would replace.
    /// </summary>
    private static List<string> Scan(string name, IReadOnlyList<TextCells> columns, Pseudonymiser values)
    {
        var leaks = new List<string>();
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(4096);
        // Texts searched lately, by where they are held, in slots kept by each thread: columns repeat their values
        // (hosts, content types, semantics), and a repeated value is mostly the same string (the shard reader keeps
        // one per value) or the same characters (a row group's buffer holds a string met again once). Telling it by
        // its place costs no reading of it, where hashing every text into a set cost several times the searching
        // (bench/NOTES.md). Equal texts held apart are searched again, which finds the same; and no text, however
        // chosen, makes a lookup cost more than one slot.
        var seenString = t_seenString ??= new string?[SeenSlots];
        var seenAt = t_seenAt ??= new int[SeenSlots];
        foreach (var column in columns)
        {
            // Places are a column's own: a buffer's positions mean nothing in another column.
            Array.Clear(seenString);
            Array.Fill(seenAt, -1);
            // Most repeats are the text of the row before (an exchange's id on each of its fields), told apart even
            // when held apart.
            var before = ReadOnlySpan<char>.Empty;
            var any = false;
            for (var row = 0; row < column.Count; row++)
            {
                var (held, at) = column.Place(row);
                if (held is null && at < 0) continue;
                // A position's slot from the high bits of its product with a large odd number (a Fibonacci hash).
                var slot = held is null ? (int)((uint)at * 2654435769u >> (32 - SeenSlotBits)) : RuntimeHelpers.GetHashCode(held) & (SeenSlots - 1);
                if (ReferenceEquals(seenString[slot], held) && seenAt[slot] == at) continue;
                (seenString[slot], seenAt[slot]) = (held, at);
                column.TryGet(row, out var cell);
                if (any && cell.SequenceEqual(before)) continue;
                before = cell;
                any = true;
                if (Encoding.UTF8.GetMaxByteCount(cell.Length) > buffer.Length)
                {
                    System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
                    buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(Encoding.UTF8.GetMaxByteCount(cell.Length));
                }
                if (!values.Leaks(buffer.AsSpan(0, Encoding.UTF8.GetBytes(cell, buffer)), out var what)) continue;
                leaks.Add($"{name} column {column.Column} holds {what} seen in the inputs");
                break;
            }
        }
        System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        // The strings are not kept alive until the thread's next scan.
        Array.Clear(seenString);
        return leaks;
    }

    /// <summary>Slots of texts searched lately: a position's slot is the top bits of its hash.</summary>
    private const int SeenSlotBits = 12;
    private const int SeenSlots = 1 << SeenSlotBits;
    [ThreadStatic] private static string?[]? t_seenString;
    [ThreadStatic] private static int[]? t_seenAt;

    /// <summary>
    /// The same check made on a table while it is written, on the cells the writer hands to Parquet, so the
    /// file is not read back: the leaks are those <see cref="ScanFileAsync"/> would report of the finished file.
    /// </summary>
    public sealed class WhileWritten(string fileName, Pseudonymiser values) : IPublishedTextCheck
    {
        private readonly SortedDictionary<int, List<string>> _byRowGroup = [];

        public string FileName => fileName;

        public void Check(int rowGroup, IReadOnlyList<TextCells> columns)
        {
            var leaks = Scan(fileName, columns, values);
            lock (_byRowGroup) _byRowGroup[rowGroup] = leaks;
        }

        /// <summary>The leaks found, in row group order.</summary>
        public List<string> Leaks()
        {
            lock (_byRowGroup) return _byRowGroup.Values.SelectMany(l => l).ToList();
        }
    }
}
