using System.Collections.Concurrent;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using ResearchPipeline.Captures;

namespace ResearchPipeline.Reference;

/// <summary>
/// The sha256 of files in the external folder as last hashed, remembered in a file there with each file's identity on
/// the file system: device, inode, size, and the times of its last write and last change. Every run checks the reference
/// data against the lock, and hashing it each time (a hundred-odd megabytes) held up the start of every run. A file
/// written, replaced, moved, renamed or touched since has another change time, which no program can set back, or another
/// inode, and is hashed again, as git's index decides which files to read again. Where the file system does not say
/// these (a system without Linux's statx), every file is hashed every time.
/// </summary>
public sealed class RememberedDigests
{
    public const string FileName = ".sha256-remembered.tsv";

    private readonly string _folder;
    private readonly ConcurrentDictionary<string, (string Identity, string Sha256)> _known;
    private int _learned;

    private RememberedDigests(string folder, ConcurrentDictionary<string, (string, string)> known) => (_folder, _known) = (folder, known);

    /// <summary>
    /// A file changed this close to when it was hashed may change again within the file system's clock tick, keeping its
    /// times: it is hashed, not remembered, until it is older than this.
    /// </summary>
    internal TimeSpan Settled { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>What <paramref name="folder"/>'s record holds; an empty record where there is none or it cannot be read.</summary>
    public static RememberedDigests In(string folder)
    {
        var known = new ConcurrentDictionary<string, (string, string)>(StringComparer.Ordinal);
        var record = Path.Combine(folder, FileName);
        try
        {
            foreach (var line in File.ReadLines(record))
            {
                // sha256 TAB identity TAB path relative to the folder; a line of another shape is ignored (and hashed anew).
                var parts = line.Split('\t');
                if (parts is [{ Length: 64 } sha256, { Length: > 0 } identity, { Length: > 0 } name]) known[name] = (identity, sha256);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        return new RememberedDigests(folder, known);
    }

    /// <summary>The file's sha256: remembered while the file is as it was when hashed, else read and hashed.</summary>
    public string Sha256Of(string path)
    {
        if (Remembered(path, out var before) is { } known) return known;
        var sha256 = FileHash.Sha256Hex(path);
        Remember(path, before, sha256);
        return sha256;
    }

    /// <summary>
    /// The file's sha256 as remembered, where the file is as it was when that was taken; else null, with the file's
    /// identity now (null outside the folder, or where the file system does not say) for <see cref="Remember"/>.
    /// </summary>
    internal string? Remembered(string path, out FileIdentity? now)
    {
        var name = NameOf(path);
        now = name is null ? null : FileIdentity.Of(path);
        return now is not null && _known.TryGetValue(name!, out var known) && known.Identity == now.Text ? known.Sha256 : null;
    }

    /// <summary>
    /// Remembers <paramref name="sha256"/>, taken of the file's bytes as read after <paramref name="before"/> was had:
    /// only where the file did not change while it was read, and has settled.
    /// </summary>
    internal void Remember(string path, FileIdentity? before, string sha256)
    {
        if (before is null || FileIdentity.Of(path) is not { } after || after.Text != before.Text || after.Changed >= DateTime.UtcNow - Settled) return;
        _known[NameOf(path)!] = (before.Text, sha256);
        Interlocked.Exchange(ref _learned, 1);
    }

    /// <summary>The file's name in the record (its path relative to the folder); null for a file outside the folder.</summary>
    private string? NameOf(string path)
    {
        var name = Path.GetRelativePath(_folder, path);
        return name.StartsWith("..", StringComparison.Ordinal) || Path.IsPathRooted(name) ? null : name;
    }

    /// <summary>Writes the record where this instance hashed a file; a folder that cannot be written is left as it is (and its files hashed each run).</summary>
    public void Save()
    {
        if (Volatile.Read(ref _learned) == 0) return;
        var lines = new StringBuilder();
        foreach (var (name, (identity, sha256)) in _known.OrderBy(k => k.Key, StringComparer.Ordinal))
            lines.Append(sha256).Append('\t').Append(identity).Append('\t').Append(name).Append('\n');
        var record = Path.Combine(_folder, FileName);
        // Named afresh by each writer: tasks on several machines may share the folder.
        var temporary = $"{record}.{Path.GetRandomFileName()}.tmp";
        try
        {
            File.WriteAllText(temporary, lines.ToString(), new UTF8Encoding(false));
            File.Move(temporary, record, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            try { File.Delete(temporary); }
            catch (Exception again) when (again is IOException or UnauthorizedAccessException) { }
        }
    }
}

/// <summary>A file's identity on the file system, as Linux's statx gives it; null where it cannot be had.</summary>
internal sealed partial record FileIdentity(string Text, DateTime Changed)
{
    private const int AtFdCwd = -100;
    // STATX_MTIME | STATX_CTIME | STATX_INO | STATX_SIZE
    private const uint Wanted = 0x40 | 0x80 | 0x100 | 0x200;

    [LibraryImport("libc", EntryPoint = "statx", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Statx(int directory, string path, int flags, uint mask, Span<byte> buffer);

    public static FileIdentity? Of(string path)
    {
        if (!OperatingSystem.IsLinux()) return null;
        // struct statx is 256 bytes with the same layout on every architecture.
        var stat = new byte[256];
        try
        {
            if (Statx(AtFdCwd, Path.GetFullPath(path), 0, Wanted, stat) != 0) return null;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return null;
        }
        // The fields are in the machine's own byte order.
        ulong U64(int at) => MemoryMarshal.Read<ulong>(stat.AsSpan(at));
        uint U32(int at) => MemoryMarshal.Read<uint>(stat.AsSpan(at));
        if ((U32(0) & Wanted) != Wanted) return null;
        string Time(int at) => string.Create(CultureInfo.InvariantCulture, $"{(long)U64(at)}.{U32(at + 8):D9}");
        var (inode, size, device) = (U64(32), U64(40), $"{U32(136)}:{U32(140)}");
        const int ctime = 96, mtime = 112;
        var text = string.Create(CultureInfo.InvariantCulture, $"dev={device} ino={inode} size={size} mtime={Time(mtime)} ctime={Time(ctime)}");
        var changed = DateTime.UnixEpoch.AddSeconds((long)U64(ctime)).AddTicks(U32(ctime + 8) / 100);
        return new FileIdentity(text, changed);
    }
}
