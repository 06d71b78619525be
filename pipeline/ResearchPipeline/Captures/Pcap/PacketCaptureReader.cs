using System.Buffers;
using ResearchPipeline.Captures.Pcap.Tls;

namespace ResearchPipeline.Captures.Pcap;

/// <summary>
/// Reads a packet capture (the container is the subclass's business) through the shared packet pipeline.
/// Damage anywhere becomes a quality record; records read before it are kept. TLS is decrypted with the key
/// logs kept beside the capture file (<c>session.keylog</c> beside <c>session.pcapng</c>, see
/// <see cref="TlsKeyLog.BesideCapture"/>) and the capture's own Decryption Secrets Blocks, wherever they lie.
/// </summary>
public abstract class PacketCaptureReader : ICaptureReader
{
    // A file up to this size is read into memory once: its secrets blocks are found there and its packets read
    // from the same bytes. A larger one is read twice, first its block headers for the secrets, so that memory
    // stays bounded whatever the file's size.
    private const int WholeFileBytes = 16 << 20;

    public abstract string Format { get; }

    public abstract bool Recognises(ReadOnlySpan<byte> head);

    public bool ReadsKeyLogs => true;

    /// <param name="secretsKnownAhead">TLS key logs already read ahead (<see cref="SecretsAhead(Stream, TlsKeyLog)"/>): their blocks, the first ones, are passed over.</param>
    private protected abstract IEnumerable<ContainerItem> Container(ContainerInput input, int secretsKnownAhead);

    /// <summary>Adds the TLS key logs the container holds anywhere in it; returns how many blocks it added.</summary>
    private protected virtual int SecretsAhead(Stream input, TlsKeyLog keys) => 0;

    /// <inheritdoc cref="SecretsAhead(Stream, TlsKeyLog)"/>
    private protected virtual int SecretsAhead(ReadOnlyMemory<byte> file, TlsKeyLog keys) => 0;

    public IEnumerable<CaptureRecord> Read(Stream input, ReadLimits limits) => Read(input, limits, null);

    /// <summary>Reads with <paramref name="keys"/> besides the key logs found beside the file the stream reads.</summary>
    public IEnumerable<CaptureRecord> Read(Stream input, ReadLimits limits, TlsKeyLog? keys)
    {
        keys ??= new TlsKeyLog();
        var problems = KeyLogsBeside(input, keys);
        var whole = WholeFile(input, out var rented);
        try
        {
            ContainerInput container;
            int? secretsBlocksAhead = null;
            if (whole is { } bytes)
            {
                secretsBlocksAhead = SecretsAhead(bytes, keys);
                container = new ContainerInput(bytes);
            }
            else
            {
                if (input.CanSeek)
                {
                    var start = input.Position;
                    try
                    {
                        secretsBlocksAhead = SecretsAhead(input, keys);
                    }
                    catch (IOException)
                    {
                        // The pass over the file proper reports damage where it lies, and adds the secrets it finds.
                    }
                    finally
                    {
                        input.Position = start;
                    }
                }
                container = new ContainerInput(input);
            }
            foreach (var p in problems) yield return p;
            var pipeline = new PacketPipeline(limits, keys, secretsBlocksAhead ?? 0);
            foreach (var item in Container(container, secretsBlocksAhead ?? 0))
            {
                var failure = Process(pipeline, item);
                if (failure is not null) pipeline.Emit(failure);
                while (pipeline.TryTake(out var record)) yield return record;
            }
            var last = Finish(pipeline);
            if (last is not null) pipeline.Emit(last);
            while (pipeline.TryTake(out var record)) yield return record;
        }
        finally
        {
            if (rented is not null) ArrayPool<byte>.Shared.Return(rented);
        }
    }

    private static List<CaptureRecord> KeyLogsBeside(Stream input, TlsKeyLog keys)
    {
        var problems = new List<CaptureRecord>();
        if (input is not FileStream file) return problems;
        foreach (var path in TlsKeyLog.BesideCapture(file.Name))
        {
            var before = (keys.SecretLines, keys.UnreadableLines);
            try
            {
                keys.Add(File.ReadAllBytes(path));
                problems.Add(new CaptureProblem(keys.UnreadableLines > before.UnreadableLines ? Severity.Warning : Severity.Info,
                    $"key log {Path.GetFileName(path)} read: {keys.SecretLines - before.SecretLines} TLS secrets{(keys.UnreadableLines > before.UnreadableLines ? $", {keys.UnreadableLines - before.UnreadableLines} lines not in the NSS key log format skipped" : "")}", Path.GetFileName(path)));
            }
            catch (IOException e)
            {
                problems.Add(new CaptureProblem(Severity.Warning, $"key log {Path.GetFileName(path)} could not be read: {e.Message}", Path.GetFileName(path)));
            }
        }
        return problems;
    }

    /// <summary>
    /// The rest of a capture file not over <see cref="WholeFileBytes"/>, read straight from the file handle into a
    /// pooled array (no stream buffer of its own); null for a larger file, a stream that is not a file, or a failed read.
    /// </summary>
    private static ReadOnlyMemory<byte>? WholeFile(Stream input, out byte[]? rented)
    {
        rented = null;
        if (input is not FileStream { CanSeek: true } file) return null;
        try
        {
            var start = file.Position;
            var length = file.Length - start;
            if (length > WholeFileBytes) return null;
            rented = ArrayPool<byte>.Shared.Rent((int)Math.Max(1, length));
            var n = 0;
            while (n < length)
            {
                var read = RandomAccess.Read(file.SafeFileHandle, rented.AsSpan(n, (int)length - n), start + n);
                if (read == 0) break;
                n += read;
            }
            return rented.AsMemory(0, n);
        }
        catch (IOException)
        {
            if (rented is not null) ArrayPool<byte>.Shared.Return(rented);
            rented = null;
            return null;
        }
    }

    // A defect in one packet's parsing must cost that packet, not the capture: the reader promises never to throw.
    private static CaptureProblem? Process(PacketPipeline pipeline, ContainerItem item)
    {
        try
        {
            pipeline.Process(item);
            return null;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return Unreadable(e, item.Frame?.Location ?? "container");
        }
    }

    private static CaptureProblem? Finish(PacketPipeline pipeline)
    {
        try
        {
            pipeline.Finish();
            return null;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return Unreadable(e, "end of capture");
        }
    }

    private static CaptureProblem Unreadable(Exception e, string location) =>
        new(Severity.Error, $"packet could not be read: {e.GetType().Name}: {e.Message}", location);
}

/// <summary>libpcap files, either byte order, micro- or nanosecond timestamps.</summary>
public sealed class PcapReader : PacketCaptureReader
{
    public override string Format => "pcap";
    public override bool Recognises(ReadOnlySpan<byte> head) => PcapContainer.Recognises(head);
    private protected override IEnumerable<ContainerItem> Container(ContainerInput input, int secretsKnownAhead) => PcapContainer.Read(input);
}

/// <summary>pcapng files: any number of sections and interfaces, each section in its own byte order.</summary>
public sealed class PcapNgReader : PacketCaptureReader
{
    public override string Format => "pcapng";
    public override bool Recognises(ReadOnlySpan<byte> head) => PcapNgContainer.Recognises(head);
    private protected override IEnumerable<ContainerItem> Container(ContainerInput input, int secretsKnownAhead) => PcapNgContainer.Read(input, secretsKnownAhead);

    // Secrets blocks may follow the packets they decrypt (tools append them): they are gathered before reading.
    private protected override int SecretsAhead(Stream input, TlsKeyLog keys)
    {
        var blocks = 0;
        foreach (var secrets in PcapNgContainer.TlsSecrets(input))
        {
            // As a span: the key log of a file beside the capture is kept to be told apart if it comes again, and a
            // secrets block's would be kept with it to the end of the capture. A long block comes in parts of whole lines.
            keys.Add(secrets.Text.Span);
            if (secrets.EndsBlock) blocks++;
        }
        return blocks;
    }

    private protected override int SecretsAhead(ReadOnlyMemory<byte> file, TlsKeyLog keys)
    {
        var found = PcapNgContainer.TlsSecrets(file);
        foreach (var secrets in found) keys.Add(secrets.Span);
        return found.Count;
    }
}
