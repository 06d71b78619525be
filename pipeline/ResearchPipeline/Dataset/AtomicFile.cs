using System.Text;

namespace ResearchPipeline.Dataset;

/// <summary>
/// Every output file is written under a temporary name beside its destination and renamed into place, so a
/// run killed at any moment leaves either the previous file or the new one, never a partial file.
/// </summary>
public static class AtomicFile
{
    public static async Task WriteAsync(string path, Func<Stream, Task> write, CancellationToken cancel = default)
    {
        var folder = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(folder);
        var temp = Path.Combine(folder, $".{Path.GetFileName(path)}.{Environment.ProcessId}.{Environment.CurrentManagedThreadId}.tmp");
        try
        {
            await using (var file = new FileStream(temp, FileMode.Create, FileAccess.ReadWrite, FileShare.None, 1 << 16))
            {
                await using (var stream = new BlockingStream(file))
                {
                    await write(stream);
                    await stream.FlushAsync(cancel);
                    file.Flush(flushToDisk: true);
                }
            }
            File.Move(temp, path, overwrite: true);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    public static Task WriteTextAsync(string path, string text, CancellationToken cancel = default) =>
        WriteAsync(path, s => s.WriteAsync(new UTF8Encoding(false).GetBytes(text), cancel).AsTask(), cancel);

    /// <summary>Removes temporary files a killed run left behind.</summary>
    public static void RemoveLeftovers(string folder)
    {
        if (!Directory.Exists(folder)) return;
        foreach (var f in Directory.EnumerateFiles(folder, ".*.tmp")) TryDelete(f);
    }

    private static void TryDelete(string path)
    {
        try { File.Delete(path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
