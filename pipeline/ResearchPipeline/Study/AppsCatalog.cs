using CsvHelper;

namespace ResearchPipeline.Study;

/// <summary>What apps.csv says about one capture.</summary>
public sealed record AppInfo(string AppId, string? Platform, string? AppName, string? AppVersion, string? DeviceId)
{
    /// <summary>
    /// Names one recording session: captures of the same traffic written by several tools (a HAR, a mitmproxy
    /// flow file and a pcapng of one session) share it, so aggregates count that traffic once.
    /// </summary>
    public string? Session { get; init; }
}

/// <summary>
/// The optional <c>apps.csv</c> at the top of the raw folder. Columns: <c>capture</c> (path relative to the raw
/// folder, or an app folder name to describe every capture in it), <c>app_id</c>, <c>platform</c>,
/// <c>app_name</c>, <c>app_version</c>, <c>device_id</c>, and optionally <c>session</c> (captures of one
/// recording session in several formats). A capture it does not name takes its folder's name.
/// </summary>
public sealed class AppsCatalog
{
    public const string FileName = "apps.csv";
    private readonly Dictionary<string, AppInfo> _byCapture;

    private AppsCatalog(Dictionary<string, AppInfo> byCapture) => _byCapture = byCapture;

    public static AppsCatalog Empty { get; } = new(new Dictionary<string, AppInfo>(StringComparer.Ordinal));

    public int Count => _byCapture.Count;

    public static AppsCatalog Load(string rawFolder)
    {
        var path = Path.Combine(rawFolder, FileName);
        if (!File.Exists(path)) return Empty;
        var map = new Dictionary<string, AppInfo>(StringComparer.Ordinal);
        using var reader = CsvReader.Create(File.OpenRead(path), new CsvReaderOptions { TrimWhitespace = true, CommentPrefix = '#' });
        while (reader.Read())
        {
            var capture = reader.GetStringOrNull("capture");
            var appId = reader.GetStringOrNull("app_id");
            if (string.IsNullOrEmpty(capture) || string.IsNullOrEmpty(appId))
                throw new InvalidDataException($"{path} line {reader.LineNumber}: 'capture' and 'app_id' must both be given");
            var info = new AppInfo(appId, Optional(reader, "platform"), Optional(reader, "app_name"), Optional(reader, "app_version"), Optional(reader, "device_id")) { Session = Optional(reader, "session") };
            if (!map.TryAdd(capture.Trim('/'), info))
                throw new InvalidDataException($"{path} line {reader.LineNumber}: capture '{capture}' is listed twice");
        }
        return new AppsCatalog(map);
    }

    /// <summary>The row for the capture itself, else for its app folder; null when apps.csv names neither.</summary>
    public AppInfo? Find(CaptureFile file) =>
        _byCapture.TryGetValue(file.RelativeName, out var own) ? own
        : _byCapture.TryGetValue(file.FolderAppId, out var folder) ? folder
        : null;

    private static string? Optional(CsvReader reader, string column) =>
        reader.TryGetFieldIndex(column, out var index) ? reader.GetStringOrNull(index) : null;
}
