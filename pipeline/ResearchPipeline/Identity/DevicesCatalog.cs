using System.Collections.Immutable;
using CsvHelper;

namespace ResearchPipeline.Identity;

/// <summary>
/// The optional <c>devices.csv</c> at the top of the raw folder: one row per test device, keyed by
/// <c>device_id</c> (the key apps.csv's device_id refers to), with the columns of <see cref="IdentityKinds.All"/>.
/// Empty cells mean "not known". Columns it does not know are ignored, so a study may add notes.
/// </summary>
public sealed class DevicesCatalog
{
    public const string FileName = "devices.csv";

    private DevicesCatalog(ImmutableArray<DeviceProfile> devices) => Devices = devices;

    public static DevicesCatalog Empty { get; } = new([]);

    /// <summary>The devices in file order.</summary>
    public ImmutableArray<DeviceProfile> Devices { get; }

    public static DevicesCatalog Load(string rawFolder)
    {
        var path = Path.Combine(rawFolder, FileName);
        return File.Exists(path) ? Read(path) : Empty;
    }

    public static DevicesCatalog Read(string path)
    {
        var devices = ImmutableArray.CreateBuilder<DeviceProfile>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        using var reader = CsvReader.Create(File.OpenRead(path), new CsvReaderOptions { TrimWhitespace = true, CommentPrefix = '#' });
        while (reader.Read())
        {
            var deviceId = reader.GetStringOrNull("device_id");
            if (string.IsNullOrEmpty(deviceId))
                throw new InvalidDataException($"{path} line {reader.LineNumber}: 'device_id' must be given");
            if (!seen.Add(deviceId))
                throw new InvalidDataException($"{path} line {reader.LineNumber}: device '{deviceId}' is listed twice");
            var values = ImmutableArray.CreateBuilder<KnownValue>();
            foreach (var kind in IdentityKinds.All)
            {
                if (reader.TryGetFieldIndex(kind, out var index) && reader.GetStringOrNull(index) is { Length: > 0 } value)
                    values.Add(new KnownValue(kind, value.Trim()));
            }
            devices.Add(new DeviceProfile(deviceId, values.ToImmutable()));
        }
        return new DevicesCatalog(devices.ToImmutable());
    }

    /// <summary>
    /// The device a capture was recorded on: the one apps.csv names, else the only device when the study has
    /// exactly one; null when neither tells.
    /// </summary>
    public DeviceProfile? For(string? deviceId)
    {
        if (!string.IsNullOrEmpty(deviceId))
        {
            foreach (var d in Devices)
            {
                if (d.DeviceId == deviceId) return d;
            }
            return null;
        }
        return Devices.Length == 1 ? Devices[0] : null;
    }
}
