// Allocation and CPU time of the per-exchange work after the read, over every request of the HAR files below a
// folder, read into memory first. "decode" is the decode stage alone (one view per request, every adapter);
// "block" is the whole per-exchange block of the parse stage: view, decode, identify (the folder's devices.csv,
// its first device, or data/raw's when the folder has none), the secrets collector and the rows, each part's
// bytes counted apart:
//   dotnet run -c Release --project bench/DecodeHotPath -- /work/bench/100MB [rounds] [decode|block]
using System.Diagnostics;
using ResearchPipeline.Captures;
using ResearchPipeline.Decoders;
using ResearchPipeline.Identity;
using ResearchPipeline.Payloads;
using ResearchPipeline.Privacy;
using ResearchPipeline.Run;

var hars = Directory.GetFiles(args[0], "*.har", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToList();
var rounds = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 5;
var block = args.Length > 2 && args[2] == "block";
var exchanges = new List<Exchange>();
foreach (var h in hars)
{
    using var s = File.OpenRead(h);
    exchanges.AddRange(CaptureFormats.All.Detect(h)!.Read(s, ReadLimits.Default).OfType<ExchangeRead>().Select(r => r.Exchange));
}
var limits = DecodeLimits.From(ReadLimits.Default);
var decoders = TrackerDecoders.All;
var devicesFile = File.Exists(Path.Combine(args[0], DevicesCatalog.FileName)) ? args[0] : "data/raw";
var devices = DevicesCatalog.Load(devicesFile);
var matcher = devices.Devices.Length > 0 ? new IdentifierMatcher(devices.Devices[0], ReadLimits.Default) : null;
const string captureId = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
var parts = new long[7];
string[] names = ["view+decode", "payload rows", "identify", "secrets of the view", "set", "exchange row", "secrets of the fields"];
long Mark(int part, long before)
{
    var now = GC.GetAllocatedBytesForCurrentThread();
    parts[part] += now - before;
    return GC.GetAllocatedBytesForCurrentThread();
}
long Round()
{
    long fields = 0;
    var sensitive = new HashSet<SensitiveValue>();
    foreach (var e in exchanges)
    {
        var t = GC.GetAllocatedBytesForCurrentThread();
        using var view = RequestView.Of(e, limits);
        var decoded = decoders.Decode(view, limits);
        fields += decoded.Fields.Length;
        t = Mark(0, t);
        if (!block) continue;
        GC.KeepAlive(ExchangeRows.From(view, decoded, captureId, "app"));
        t = Mark(5, t);
        foreach (var row in PayloadFieldRows.From(decoded, captureId, "app", e.Ordinal)) GC.KeepAlive(row);
        t = Mark(1, t);
        var fieldList = decoded.Fields.Select(a => a.Field).ToList();
        if (matcher is not null)
            foreach (var m in matcher.Find(view, fieldList)) GC.KeepAlive(IdentifierMatchRows.From(m, captureId, "app"));
        t = Mark(2, t);
        var a = SensitiveValues.In(view, fieldList);
        t = Mark(3, t);
        var b = SensitiveValues.In(decoded);
        t = Mark(6, t);
        sensitive.UnionWith(a);
        sensitive.UnionWith(b);
        Mark(4, t);
    }
    return fields;
}
var total = Round(); // warm-up: adapters' patterns compiled, JIT done
Console.WriteLine($"{hars.Count} HARs, {exchanges.Count} requests, {total} fields per round, {(block ? $"block, device {devices.Devices.FirstOrDefault()?.DeviceId ?? "none"} from {devicesFile}" : "decode")}");
for (var r = 0; r < rounds; r++)
{
    Array.Clear(parts);
    var before = GC.GetTotalAllocatedBytes(precise: true);
    var cpu = Process.GetCurrentProcess().TotalProcessorTime;
    var sw = Stopwatch.StartNew();
    Round();
    sw.Stop();
    cpu = Process.GetCurrentProcess().TotalProcessorTime - cpu;
    var bytes = GC.GetTotalAllocatedBytes(precise: true) - before;
    // CPU time as well as wall time: on a shared machine the wall time says as much about the neighbours.
    var split = block ? " (" + string.Join(", ", names.Select((n, i) => $"{n} {(double)parts[i] / total:F0}")) + ")" : "";
    Console.WriteLine($"round {r}: {sw.Elapsed.TotalMilliseconds:F0} ms wall, {cpu.TotalMilliseconds:F0} ms CPU, {bytes} bytes allocated, {(double)bytes / total:F0} bytes per field{split}");
}
