// Scaled benchmark corpora from the demonstration corpus and the shared captures (see bench/run.sh):
//   corpus-scaler --raw data/raw --shared tests/fixtures/captures --out data/interim/bench --sizes 10MB,100MB,1GB [--big-har 2GB] [--tls-sizes 100MB]
// writes <out>/<size>/ (apps.csv, devices.csv, <app>-cKKKK/<captures>), with --big-har <out>/big-har-<size>/, and with
// --tls-sizes <out>/tls-<size>/ (the demonstration pcapngs with their keys, and keylog.txt for tshark).
using CorpusScaler;

string? Option(string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();

var raw = Option("--raw") ?? "data/raw";
var shared = Option("--shared");
var output = Option("--out") ?? "data/interim/bench";
var sizes = (Option("--sizes") ?? "10MB,100MB,1GB").Split(',', StringSplitOptions.RemoveEmptyEntries);
var tlsSizes = (Option("--tls-sizes") ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries);
var seeds = CorpusPlan.Seeds(raw, shared);
Console.WriteLine($"{seeds.Count} seed folders, {seeds.Sum(s => s.Files.Count)} seed captures");
foreach (var size in sizes)
{
    var (files, bytes) = CorpusPlan.Write(seeds, raw, CorpusPlan.ParseSize(size), Path.Combine(output, size));
    Console.WriteLine($"{Path.Combine(output, size)}: {files} captures, {bytes} bytes");
}
if (Option("--big-har") is { } big)
{
    var seedHar = Directory.GetFiles(raw, "session.har", SearchOption.AllDirectories).Order(StringComparer.Ordinal).First();
    var folder = Path.Combine(output, $"big-har-{big}");
    var path = Path.Combine(folder, "big", "session.har");
    var bytes = File.Exists(path) && new FileInfo(path).Length >= CorpusPlan.ParseSize(big) ? new FileInfo(path).Length : CorpusPlan.WriteBigHar(seedHar, CorpusPlan.ParseSize(big), path);
    Console.WriteLine($"{path}: {bytes} bytes from {seedHar}");
}
foreach (var size in tlsSizes)
{
    var folder = Path.Combine(output, $"tls-{size}");
    var (files, bytes) = CorpusPlan.WriteTls(raw, CorpusPlan.ParseSize(size), folder);
    Console.WriteLine($"{folder}: {files} packet captures with keys, {bytes} bytes");
}
