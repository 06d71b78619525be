// Loaded by every notebook (#load "pipeline.csx"): references the pipeline library as built by `make build`
// (Release), so the notebooks call the same code as `research-pipeline` and copy none of it.
#r "../pipeline/ResearchPipeline.Cli/bin/Release/net10.0/ResearchPipeline.dll"
#r "../pipeline/ResearchPipeline.Cli/bin/Release/net10.0/Microsoft.Data.Analysis.dll"
#r "../pipeline/ResearchPipeline.Cli/bin/Release/net10.0/Parquet.dll"
#r "../pipeline/ResearchPipeline.Cli/bin/Release/net10.0/ScottPlot.dll"
#r "../pipeline/ResearchPipeline.Cli/bin/Release/net10.0/SkiaSharp.dll"

using System.IO;
using System.Runtime.InteropServices;
using System.Runtime.Loader;
using Microsoft.Data.Analysis;
using Microsoft.DotNet.Interactive.Formatting;
using static Microsoft.DotNet.Interactive.Kernel;
using ResearchPipeline.Analysis;

// The kernel reads no .deps.json for a #r'd assembly, so SkiaSharp (ScottPlot's renderer) would not find its
// native library under runtimes/<rid>/native; point it there.
var PipelineBin = Path.GetFullPath("../pipeline/ResearchPipeline.Cli/bin/Release/net10.0");
AssemblyLoadContext.GetLoadContext(typeof(SkiaSharp.SKObject).Assembly)!.ResolvingUnmanagedDll += (assembly, name) =>
{
    var file = name.EndsWith(".so", StringComparison.Ordinal) || name.EndsWith(".dylib", StringComparison.Ordinal) || name.EndsWith(".dll", StringComparison.Ordinal) ? name
        : OperatingSystem.IsWindows() ? name + ".dll" : OperatingSystem.IsMacOS() ? name + ".dylib" : name + ".so";
    var path = Path.Combine(PipelineBin, "runtimes", RuntimeInformation.RuntimeIdentifier, "native", file);
    return File.Exists(path) ? NativeLibrary.Load(path) : IntPtr.Zero;
};

// The published folder the notebooks read: data/processed, or RESEARCH_PIPELINE_PROCESSED for a study of your own.
var Processed = Path.GetFullPath(Environment.GetEnvironmentVariable("RESEARCH_PIPELINE_PROCESSED") is { Length: > 0 } dir ? dir : "../data/processed");

DataFrame Table(string name) => DatasetFrames.Load(Processed, name);

// Tables and figures as plain HTML, so saved outputs carry no kernel-specific markup. (The kernel's HTML()
// helper would do, but every cell using it prints a CS1701 assembly-version warning into the notebook.)
record HtmlOutput(string Html);
Formatter.Register<HtmlOutput>(output => output.Html, "text/html");
Formatter.Register<DataFrame>(frame => FrameHtml.Render(frame), "text/html");

void Show<T>(IEnumerable<T> rows, int maxRows = 50) => display(new HtmlOutput(FrameHtml.Render(rows, maxRows)));
void ShowFrame(DataFrame frame, int maxRows = 50) => display(new HtmlOutput(FrameHtml.Render(frame, maxRows)));
void ShowFigure(Figure figure) => display(new HtmlOutput($"<img alt=\"{figure.FileName}\" src=\"data:image/png;base64,{Convert.ToBase64String(figure.Png())}\"/>"));
