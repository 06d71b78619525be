using System.Text.Encodings.Web;
using System.Text.Json;

namespace ResearchPipeline.Dataset;

/// <summary>JSON written the same way on every machine: indented with two spaces, '\n' line ends, fields in the order written.</summary>
internal static class PublishedJson
{
    /// <summary>
    /// Writes into the stream as it goes: the writer holds what it has not flushed, so a long list flushes
    /// (<see cref="FlushEvery"/>) rather than holding the whole file in memory.
    /// </summary>
    public static void Write(Stream stream, Action<Utf8JsonWriter> write)
    {
        using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions
        {
            Indented = true,
            NewLine = "\n",
            Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        }))
        {
            write(writer);
        }
        stream.WriteByte((byte)'\n');
    }

    /// <summary>Hands what the writer holds to its stream once it is more than a buffer's worth.</summary>
    public static void FlushEvery(Utf8JsonWriter writer)
    {
        if (writer.BytesPending >= 1 << 16) writer.Flush();
    }
}

/// <summary>A file of the published folder or of the inputs, as the manifest and the data package list it.</summary>
public sealed record FileDigest(string Path, string Sha256, long Bytes)
{
    public static FileDigest Of(string fullPath, string publishedPath)
    {
        return new FileDigest(publishedPath, Captures.FileHash.Sha256Hex(fullPath), new FileInfo(fullPath).Length);
    }

    /// <summary>A file of the published folder as it was written, named by its file name.</summary>
    public static FileDigest Of(WrittenFile file) => new(System.IO.Path.GetFileName(file.Path), file.Sha256, file.Bytes);
}
