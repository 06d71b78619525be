// docs/BENCHMARKS.md from bench/results.csv: bench-report <results.csv> <notes.md> <out.md>
using BenchReport;

if (args.Length != 3)
{
    Console.Error.WriteLine("usage: bench-report <results.csv> <notes.md> <out.md>");
    return 2;
}
var results = BenchResults.Parse(File.ReadLines(args[0]));
var notes = File.Exists(args[1]) ? File.ReadAllText(args[1]) : "";
File.WriteAllText(args[2], Report.Render(results, notes));
Console.WriteLine($"wrote {args[2]} from {results.Rows.Count} measurements");
return 0;
