using System.Text.Encodings.Web;
using System.Text.Json;

namespace ResearchPipeline.Dataset;

/// <summary>JSON written the same way on every machine: indented with two spaces, '\n' line ends, fields in the order written.</summary>
internal static class PublishedJson
{
    public static byte[] Write(Action<Utf8JsonWriter> write)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions
        {
            Indented = true,
            NewLine = "\n",
            Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        }))
        {
            write(writer);
        }
        buffer.WriteByte((byte)'\n');
        return buffer.ToArray();
    }
}

/// <summary>A file of the published folder or of the inputs, as the manifest and the data package list it.</summary>
public sealed record FileDigest(string Path, string Sha256, long Bytes)
{
    public static FileDigest Of(string fullPath, string publishedPath)
    {
        return new FileDigest(publishedPath, Captures.FileHash.Sha256Hex(fullPath), new FileInfo(fullPath).Length);
    }
}
