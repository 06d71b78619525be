namespace ResearchPipeline.Captures;

/// <summary>
/// Ceilings that keep one hostile record from taking the run down. A record over a limit is quarantined
/// with a quality row naming the limit; the run goes on.
/// </summary>
public sealed record ReadLimits
{
    /// <summary>Largest body kept, in bytes, after any decoding a reader does itself (HAR base64).</summary>
    public long MaxBodyBytes { get; init; } = 64L * 1024 * 1024;

    /// <summary>
    /// Largest single record (one HAR entry's JSON, one flow) a reader will buffer: room for a body at
    /// <see cref="MaxBodyBytes"/> written as base64 (4/3 larger) and the rest of the entry.
    /// </summary>
    public long MaxRecordBytes { get; init; } = 96L * 1024 * 1024;

    /// <summary>Deepest JSON nesting a reader or decoder follows; deeper input is reported, not recursed into.</summary>
    public int MaxJsonDepth { get; init; } = 256;

    /// <summary>
    /// Out-of-order bytes a packet-capture reader holds per TCP direction while it waits for a hole to be filled;
    /// past this the hole is given up as a gap (a quality row) so memory stays bounded.
    /// </summary>
    public int MaxReassemblyBytes { get; init; } = 4 * 1024 * 1024;

    /// <summary>Connections and UDP flows a packet-capture reader keeps open at once; past this the least recently seen are closed.</summary>
    public int MaxOpenFlows { get; init; } = 65_536;

    public static ReadLimits Default { get; } = new();
}
