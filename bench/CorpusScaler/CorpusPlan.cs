using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace CorpusScaler;

/// <summary>A capture folder to replicate: its files, and what apps.csv says about it (null: a shared capture).</summary>
public sealed record SeedGroup(string Name, IReadOnlyList<string> Files, string[]? AppRow);

/// <summary>
/// Builds a scaled corpus from seed captures: round k (1, 2, ...) copies every seed folder to
/// <c>&lt;name&gt;-cKKKK</c> with its bytes varied (<see cref="CaptureVariation"/>) and its app id suffixed, until
/// the corpus holds at least the target bytes. Same seeds and target, same bytes out.
/// </summary>
public static class CorpusPlan
{
    public const string AppsHeader = "capture,app_id,platform,app_name,app_version,device_id,session";
    private static readonly string[] CaptureExtensions = [".har", ".mitm", ".pcap", ".pcapng"];

    /// <summary>The demonstration corpus (folders described by apps.csv) and every capture file under the shared folder.</summary>
    public static List<SeedGroup> Seeds(string raw, string? shared)
    {
        var seeds = new List<SeedGroup>();
        var apps = File.ReadAllLines(Path.Combine(raw, "apps.csv")).Skip(1).Where(l => l.Length > 0)
            .Select(l => l.Split(',')).ToDictionary(r => r[0], StringComparer.Ordinal);
        foreach (var folder in Directory.GetDirectories(raw).Order(StringComparer.Ordinal))
        {
            var name = Path.GetFileName(folder);
            var files = CapturesIn(folder, SearchOption.TopDirectoryOnly);
            if (files.Count > 0) seeds.Add(new SeedGroup(name, files, apps.GetValueOrDefault(name)));
        }
        if (shared is not null && Directory.Exists(shared))
        {
            foreach (var file in CapturesIn(shared, SearchOption.AllDirectories))
            {
                var relative = Path.GetRelativePath(shared, file).Replace(Path.DirectorySeparatorChar, '/');
                var name = "shared-" + string.Concat(Path.ChangeExtension(relative, null).Select(c => char.IsAsciiLetterOrDigit(c) ? char.ToLowerInvariant(c) : '-'));
                seeds.Add(new SeedGroup(name, [file], null));
            }
        }
        return seeds;
    }

    private static List<string> CapturesIn(string folder, SearchOption option) =>
        Directory.EnumerateFiles(folder, "*", option)
            .Where(f => CaptureExtensions.Contains(Path.GetExtension(f).ToLowerInvariant()) && !Path.GetFileName(f).StartsWith('.'))
            .Order(StringComparer.Ordinal).ToList();

    /// <summary>Writes the corpus into <paramref name="outFolder"/>; returns (files, bytes). Skips the work when the folder already holds this plan.</summary>
    public static (int Files, long Bytes) Write(IReadOnlyList<SeedGroup> seeds, string raw, long targetBytes, string outFolder)
    {
        var signature = Signature(seeds, targetBytes);
        var marker = Path.Combine(outFolder, ".corpus");
        if (File.Exists(marker) && File.ReadAllText(marker).StartsWith(signature, StringComparison.Ordinal))
        {
            var parts = File.ReadAllText(marker).Split(' ');
            return (int.Parse(parts[1], CultureInfo.InvariantCulture), long.Parse(parts[2], CultureInfo.InvariantCulture));
        }
        if (Directory.Exists(outFolder)) Directory.Delete(outFolder, recursive: true);
        Directory.CreateDirectory(outFolder);
        var apps = new StringBuilder(AppsHeader).Append('\n');
        var originals = seeds.SelectMany(s => s.Files).Distinct().ToDictionary(f => f, File.ReadAllBytes);
        long bytes = 0;
        var files = 0;
        for (var copy = 1; bytes < targetBytes; copy++)
        {
            foreach (var seed in seeds)
            {
                if (bytes >= targetBytes) break;
                var folder = $"{seed.Name}-c{copy:D4}";
                Directory.CreateDirectory(Path.Combine(outFolder, folder));
                foreach (var file in seed.Files)
                {
                    var varied = CaptureVariation.Vary(file, originals[file], copy);
                    File.WriteAllBytes(Path.Combine(outFolder, folder, Path.GetFileName(file)), varied);
                    bytes += varied.Length;
                    files++;
                }
                apps.Append(AppsRow(seed, folder, copy)).Append('\n');
            }
        }
        File.WriteAllText(Path.Combine(outFolder, "apps.csv"), apps.ToString());
        var devices = Path.Combine(raw, "devices.csv");
        if (File.Exists(devices)) File.Copy(devices, Path.Combine(outFolder, "devices.csv"));
        File.WriteAllText(marker, $"{signature} {files} {bytes}\n");
        return (files, bytes);
    }

    /// <summary>
    /// The decrypting-reader corpus: copies of the demonstration sessions' packet captures (TLS 1.2 and 1.3,
    /// HTTP/1.1 and HTTP/2, keys in a Decryption Secrets Block) with their key logs beside them, each copy's
    /// connections moved apart (<see cref="CaptureVariation.VaryConnections"/>), until the pcapngs hold at least
    /// the target bytes. Also writes <c>keylog.txt</c>: every session's key log once, for tshark (copies share keys).
    /// </summary>
    public static (int Files, long Bytes) WriteTls(string raw, long targetBytes, string outFolder)
    {
        var sessions = Directory.GetDirectories(raw).Order(StringComparer.Ordinal)
            .Where(d => File.Exists(Path.Combine(d, "session.pcapng")) && File.Exists(Path.Combine(d, "session.keylog"))).ToList();
        if (sessions.Count == 0) throw new InvalidOperationException($"{raw} has no session.pcapng with a session.keylog beside it");
        var seeds = sessions.Select(d => new SeedGroup(Path.GetFileName(d), [Path.Combine(d, "session.pcapng"), Path.Combine(d, "session.keylog")], null)).ToList();
        var signature = "tls-" + Signature(seeds, targetBytes);
        var marker = Path.Combine(outFolder, ".corpus");
        if (File.Exists(marker) && File.ReadAllText(marker).StartsWith(signature, StringComparison.Ordinal))
        {
            var parts = File.ReadAllText(marker).Split(' ');
            return (int.Parse(parts[1], CultureInfo.InvariantCulture), long.Parse(parts[2], CultureInfo.InvariantCulture));
        }
        if (Directory.Exists(outFolder)) Directory.Delete(outFolder, recursive: true);
        Directory.CreateDirectory(outFolder);
        var rows = File.ReadAllLines(Path.Combine(raw, "apps.csv")).Skip(1).Where(l => l.Length > 0)
            .Select(l => l.Split(',')).ToDictionary(r => r[0], StringComparer.Ordinal);
        var pcaps = seeds.ToDictionary(s => s.Name, s => File.ReadAllBytes(s.Files[0]), StringComparer.Ordinal);
        var apps = new StringBuilder(AppsHeader).Append('\n');
        long bytes = 0;
        var files = 0;
        for (var copy = 1; bytes < targetBytes; copy++)
        {
            foreach (var seed in seeds)
            {
                if (bytes >= targetBytes) break;
                var folder = $"{seed.Name}-c{copy:D4}";
                Directory.CreateDirectory(Path.Combine(outFolder, folder));
                var varied = CaptureVariation.VaryConnections(pcaps[seed.Name], copy);
                File.WriteAllBytes(Path.Combine(outFolder, folder, "session.pcapng"), varied);
                File.Copy(seed.Files[1], Path.Combine(outFolder, folder, "session.keylog"));
                bytes += varied.Length;
                files++;
                apps.Append(AppsRow(seed with { AppRow = rows.GetValueOrDefault(seed.Name) }, folder, copy)).Append('\n');
            }
        }
        File.WriteAllText(Path.Combine(outFolder, "apps.csv"), apps.ToString());
        var devices = Path.Combine(raw, "devices.csv");
        if (File.Exists(devices)) File.Copy(devices, Path.Combine(outFolder, "devices.csv"));
        File.WriteAllText(Path.Combine(outFolder, "keylog.txt"), string.Concat(seeds.Select(s => File.ReadAllText(s.Files[1]))));
        File.WriteAllText(marker, $"{signature} {files} {bytes}\n");
        return (files, bytes);
    }

    // Shared captures have no apps.csv row of their own; they get one on a demonstration device so the
    // identify stage searches them as it searches a study's captures.
    private static string AppsRow(SeedGroup seed, string folder, int copy)
    {
        var suffix = $".c{copy:D4}";
        if (seed.AppRow is { Length: >= 6 } row)
            return string.Join(',', new[] { folder, row[1] + suffix }.Concat(row.Skip(2)));
        return $"{folder},org.example.{seed.Name.Replace('-', '.')}{suffix},android,{seed.Name} (benchmark copy),1.0,demo-pixel-2024,";
    }

    private static string Signature(IReadOnlyList<SeedGroup> seeds, long target)
    {
        var text = new StringBuilder($"v1 {target}\n");
        foreach (var s in seeds)
            foreach (var f in s.Files) text.Append(s.Name).Append(' ').Append(Path.GetFileName(f)).Append(' ').Append(new FileInfo(f).Length).Append('\n');
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())))[..16];
    }

    /// <summary>
    /// One HAR of at least <paramref name="targetBytes"/>: the seed HAR's log with its entries repeated, written
    /// forward so neither this nor the reader needs the whole file in memory.
    /// </summary>
    public static long WriteBigHar(string seedHar, long targetBytes, string path)
    {
        using var seed = JsonDocument.Parse(File.ReadAllBytes(seedHar));
        var log = seed.RootElement.GetProperty("log");
        var entries = log.GetProperty("entries").EnumerateArray().ToList();
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using (var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20))
        using (var writer = new Utf8JsonWriter(stream))
        {
            writer.WriteStartObject();
            writer.WritePropertyName("log");
            writer.WriteStartObject();
            foreach (var p in log.EnumerateObject().Where(p => p.Name != "entries")) p.WriteTo(writer);
            writer.WritePropertyName("entries");
            writer.WriteStartArray();
            while (stream.Position + writer.BytesPending < targetBytes)
            {
                foreach (var e in entries) e.WriteTo(writer);
                writer.Flush();
            }
            writer.WriteEndArray();
            writer.WriteEndObject();
            writer.WriteEndObject();
        }
        return new FileInfo(path).Length;
    }

    /// <summary>"10MB", "1GB", "512KB" or a byte count.</summary>
    public static long ParseSize(string size)
    {
        var s = size.Trim().ToUpperInvariant();
        var (unit, digits) = s.EndsWith("GB") ? (1L << 30, s[..^2]) : s.EndsWith("MB") ? (1L << 20, s[..^2]) : s.EndsWith("KB") ? (1L << 10, s[..^2]) : (1L, s);
        return long.Parse(digits, NumberStyles.None, CultureInfo.InvariantCulture) * unit;
    }
}
