namespace ResearchPipeline.Captures;

/// <summary>What a capture reader hands out, one at a time, in file order.</summary>
public abstract record CaptureRecord;

/// <summary>
/// Records whose reading the reader leaves to whoever takes them (a worker thread): the reader has found where
/// they are in the file and kept their bytes. <see cref="Read"/> gives the records, in order, that the reader
/// would have handed out in this one's place, and may run on any thread, in any order relative to other such
/// records, once (the reader may lend the bytes it reads from). Only <see cref="ICaptureReader.ReadForWorkers"/> hands these out.
/// </summary>
public sealed record RecordsToRead(Func<IReadOnlyList<CaptureRecord>> Read, long Bytes) : CaptureRecord;

/// <summary>A record read whole.</summary>
public sealed record ExchangeRead(Exchange Exchange) : CaptureRecord;

/// <summary>
/// A record the reader saw but could not read: it is counted, and published as a quality row, never dropped
/// silently. <paramref name="Location"/> names the place in the file (entry index, byte offset).
/// </summary>
public sealed record RecordQuarantined(int Ordinal, string Reason, string Location) : CaptureRecord;

/// <summary>
/// Every exchange with an ordinal below <paramref name="Ordinal"/> has been handed out. A reader whose exchanges
/// come out of ordinal order (a packet capture gives a flow when it ends, numbered by its first packet) says so
/// as it goes, so that a taker who sorts them need hold only the ones after it, not the whole capture's.
/// </summary>
public sealed record OrderedBelow(int Ordinal) : CaptureRecord;

/// <summary>A problem with the file rather than with one record (truncation, a skipped non-HTTP flow, an unknown version).</summary>
public sealed record CaptureProblem(Severity Severity, string Message, string Location) : CaptureRecord;

/// <summary>The tool that wrote the capture, as the file itself says.</summary>
public sealed record CreatorFound(string Name, string Version) : CaptureRecord
{
    public override string ToString() => Version.Length == 0 ? Name : $"{Name} {Version}";
}

public enum Severity
{
    Info,
    Warning,
    Error,
}

/// <summary>
/// Key material a capture carries for decrypting its own traffic (a pcapng Decryption Secrets Block: a TLS key
/// log, SSH or WireGuard keys); <paramref name="Kind"/> names the secrets type (tls-key-log, ssh-key-log, ...).
/// <paramref name="Secrets"/> lies in the reader's buffer, as a packet does: valid until the next read; empty for a
/// block whose secrets were read ahead, which is passed over. <paramref name="Bytes"/> is the secrets' length.
/// </summary>
internal sealed record DecryptionSecretsFound(string Kind, ReadOnlyMemory<byte> Secrets, int Bytes, string Location) : CaptureRecord;
