// Allocation and time of the decode stage alone (one view per request, every adapter), over every request of
// the HAR files below a folder, read into memory first:
//   dotnet run -c Release --project bench/DecodeHotPath -- /work/bench/100MB [rounds]
using System.Diagnostics;
using ResearchPipeline.Captures;
using ResearchPipeline.Decoders;
using ResearchPipeline.Payloads;

var hars = Directory.GetFiles(args[0], "*.har", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToList();
var rounds = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 5;
var exchanges = new List<Exchange>();
foreach (var h in hars)
{
    using var s = File.OpenRead(h);
    exchanges.AddRange(CaptureFormats.All.Detect(h)!.Read(s, ReadLimits.Default).OfType<ExchangeRead>().Select(r => r.Exchange));
}
var limits = DecodeLimits.From(ReadLimits.Default);
var decoders = TrackerDecoders.All;
long Decode()
{
    long fields = 0;
    foreach (var e in exchanges)
    {
        using var view = RequestView.Of(e, limits);
        fields += decoders.Decode(view, limits).Fields.Length;
    }
    return fields;
}
var total = Decode(); // warm-up: adapters' patterns compiled, JIT done
Console.WriteLine($"{hars.Count} HARs, {exchanges.Count} requests, {total} fields per round");
for (var r = 0; r < rounds; r++)
{
    var before = GC.GetTotalAllocatedBytes(precise: true);
    var cpu = Process.GetCurrentProcess().TotalProcessorTime;
    var sw = Stopwatch.StartNew();
    Decode();
    sw.Stop();
    cpu = Process.GetCurrentProcess().TotalProcessorTime - cpu;
    var bytes = GC.GetTotalAllocatedBytes(precise: true) - before;
    // CPU time as well as wall time: on a shared machine the wall time says as much about the neighbours.
    Console.WriteLine($"round {r}: {sw.Elapsed.TotalMilliseconds:F0} ms wall, {cpu.TotalMilliseconds:F0} ms CPU, {bytes} bytes allocated, {(double)bytes / total:F0} bytes per field");
}
