namespace ResearchPipeline.Dataset;

/// <summary>
/// <c>datapackage.json</c>: a Frictionless Data Package (v1 descriptor) naming each Parquet file as a resource
/// with its size, sha256 and Table Schema, so generic tools can load and validate the dataset.
/// </summary>
public static class DataPackage
{
    public const string FileName = "datapackage.json";

    public static void Write(Stream stream, string name, string title, IEnumerable<(ITableDefinition Table, FileDigest File)> resources) =>
        PublishedJson.Write(stream, w =>
        {
            w.WriteStartObject();
            w.WriteString("profile", "data-package");
            w.WriteString("name", name);
            w.WriteString("title", title);
            w.WriteStartArray("resources");
            foreach (var (table, file) in resources.OrderBy(r => r.Table.Name, StringComparer.Ordinal))
            {
                w.WriteStartObject();
                w.WriteString("name", table.Name);
                w.WriteString("path", file.Path);
                w.WriteString("profile", "tabular-data-resource");
                w.WriteString("format", "parquet");
                w.WriteString("mediatype", "application/vnd.apache.parquet");
                w.WriteString("description", "A row is " + table.RowMeaning + ".");
                w.WriteNumber("bytes", file.Bytes);
                w.WriteString("hash", "sha256:" + file.Sha256);
                w.WriteStartObject("schema");
                w.WriteStartArray("fields");
                foreach (var c in table.Columns)
                {
                    w.WriteStartObject();
                    w.WriteString("name", c.Name);
                    w.WriteString("type", FrictionlessType(c.TypeName));
                    w.WriteString("description", c.Description);
                    if (c.Required)
                    {
                        w.WriteStartObject("constraints");
                        w.WriteBoolean("required", true);
                        w.WriteEndObject();
                    }
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                w.WriteEndObject();
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        });

    /// <summary>Table Schema field type for a column type.</summary>
    public static string FrictionlessType(string typeName) => typeName switch
    {
        "string" => "string",
        "int32" or "int64" or "uint32" => "integer",
        "double" => "number",
        "boolean" => "boolean",
        "timestamp[us, UTC]" => "datetime",
        _ => "any",
    };
}
