using System.Collections.Immutable;
using System.Text.Json;
using CsvHelper;

namespace ResearchPipeline.Dataset;

/// <summary>The program that made the dataset: its version and the git commit of its source ("unknown" outside a checkout).</summary>
public sealed record ToolInfo(string Name, string Version, string GitCommit)
{
    /// <summary>
    /// Whether the files that decide the output differed from <see cref="GitCommit"/> when the program ran, so that
    /// a re-run from that commit need not give the same tables; null where it cannot be told (no checkout).
    /// </summary>
    public bool? SourceModified { get; init; }

    /// <summary>The tool a manifest names; null when it names none. One reading for the site and <c>verify</c>.</summary>
    public static ToolInfo? In(JsonElement manifest)
    {
        if (!manifest.TryGetProperty("tool", out var tool) || tool.ValueKind != JsonValueKind.Object) return null;
        string? Text(string name) => tool.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
        return new ToolInfo(Text("name") ?? "", Text("version") ?? "", Text("git_commit") ?? "unknown")
        {
            SourceModified = tool.TryGetProperty("source_modified", out var m) && m.ValueKind is JsonValueKind.True or JsonValueKind.False ? m.GetBoolean() : null,
        };
    }
}

/// <summary>
/// One entry of the manifest's reference data, its fields in order: a row of the reference lock file (its columns as
/// the file has them), a database of the user's own or a file of the taxonomy. Not <see cref="Reference.ReferenceArtefact"/>,
/// the lock's row as the reference verb and enrich read it.
/// </summary>
public sealed record ManifestReference(ImmutableArray<KeyValuePair<string, string>> Fields)
{
    /// <summary>The name of the entry for a database of the user's own (not the lock's, not redistributed).</summary>
    public const string UserDatabase = "user-database";

    /// <summary>The name (and role) of the entry for a file of the curated taxonomy.</summary>
    public const string Taxonomy = "taxonomy";

    /// <summary>The value of a field ("name", "file", "file_sha256"...); empty when the entry has none.</summary>
    public string this[string field] => Fields.FirstOrDefault(f => f.Key == field).Value ?? "";

    /// <summary>The reference entries of a manifest, in its order; text fields only, as the manifest writes them.</summary>
    public static IReadOnlyList<ManifestReference> In(JsonElement manifest) =>
        manifest.TryGetProperty("reference", out var entries) && entries.ValueKind == JsonValueKind.Array
            ? entries.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.Object)
                .Select(e => new ManifestReference([.. e.EnumerateObject().Where(p => p.Value.ValueKind == JsonValueKind.String)
                    .Select(p => new KeyValuePair<string, string>(p.Name, p.Value.GetString()!))])).ToList()
            : [];

    /// <summary>The rows of a lock file (CSV with a header); none when it does not exist.</summary>
    public static ImmutableArray<ManifestReference> ReadLock(string? path)
    {
        if (string.IsNullOrEmpty(path) || !File.Exists(path)) return [];
        var rows = ImmutableArray.CreateBuilder<ManifestReference>();
        using var reader = CsvReader.Create(File.OpenRead(path), new CsvReaderOptions { TrimWhitespace = true, CommentPrefix = '#' });
        string[]? header = null;
        while (reader.Read())
        {
            header ??= reader.Headers.ToArray();
            rows.Add(new ManifestReference([.. header.Select((h, i) => new KeyValuePair<string, string>(h, reader.GetStringOrNull(i) ?? ""))]));
        }
        return rows.ToImmutable();
    }
}

/// <summary>
/// <c>manifest.json</c>: what a published folder was made from and how, so anyone can check the files came
/// from the inputs: every input file (path relative to the raw folder, sha256, size), the reference artefacts
/// (rows of the lock file), the tool and its commit, the parameters that change the output, and every
/// published file beside it. No wall-clock time and nothing machine-specific, so a rerun gives the same bytes.
/// </summary>
public static class Manifest
{
    public const string FileName = "manifest.json";
    public const int FormatVersion = 1;

    /// <summary>Written into the stream as it is made: a study of tens of thousands of captures lists megabytes of inputs.</summary>
    public static void Write(Stream stream, ToolInfo tool, IReadOnlyList<KeyValuePair<string, string>> parameters, IEnumerable<FileDigest> inputs,
        IEnumerable<ManifestReference> reference, IEnumerable<FileDigest> outputs) =>
        PublishedJson.Write(stream, w =>
        {
            w.WriteStartObject();
            w.WriteNumber("manifest_version", FormatVersion);
            w.WriteStartObject("tool");
            w.WriteString("name", tool.Name);
            w.WriteString("version", tool.Version);
            w.WriteString("git_commit", tool.GitCommit);
            if (tool.SourceModified is { } modified) w.WriteBoolean("source_modified", modified);
            w.WriteEndObject();
            w.WriteStartObject("parameters");
            foreach (var (name, value) in parameters.OrderBy(p => p.Key, StringComparer.Ordinal)) w.WriteString(name, value);
            w.WriteEndObject();
            WriteFiles(w, "inputs", inputs);
            w.WriteStartArray("reference");
            foreach (var artefact in reference)
            {
                w.WriteStartObject();
                foreach (var (name, value) in artefact.Fields) w.WriteString(name, value);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            WriteFiles(w, "outputs", outputs);
            w.WriteEndObject();
        });

    private static void WriteFiles(Utf8JsonWriter w, string name, IEnumerable<FileDigest> files)
    {
        w.WriteStartArray(name);
        foreach (var f in files.OrderBy(f => f.Path, StringComparer.Ordinal))
        {
            w.WriteStartObject();
            w.WriteString("path", f.Path);
            w.WriteString("sha256", f.Sha256);
            w.WriteNumber("bytes", f.Bytes);
            w.WriteEndObject();
            PublishedJson.FlushEvery(w);
        }
        w.WriteEndArray();
    }
}
