using ResearchPipeline.Captures;

namespace ResearchPipeline.Payloads;

/// <summary>
/// Ceilings of the decode stage, so that one hostile body (a gzip or brotli bomb, JSON nested in JSON
/// without end) cannot take the run down: past a ceiling the body becomes an <c>undecoded</c> field.
/// </summary>
public sealed record DecodeLimits
{
    /// <summary>Largest decompressed body, in bytes (the parse stage's body limit by default).</summary>
    public long MaxBodyBytes { get; init; } = ReadLimits.Default.MaxBodyBytes;

    /// <summary>
    /// Largest ratio of decompressed to compressed size. Real request bodies compress 5-50 times; deflate
    /// tops out near 1032:1 and brotli goes far beyond, which only a bomb reaches.
    /// </summary>
    public int MaxCompressionRatio { get; init; } = 250;

    /// <summary>Bodies up to this size are always allowed, whatever the ratio (tiny bodies compress oddly).</summary>
    public long RatioFreeBytes { get; init; } = 1L * 1024 * 1024;

    /// <summary>How many times a string value may contain another encoded document (JSON in JSON in a form...).</summary>
    public int MaxNestingDepth { get; init; } = 6;

    /// <summary>Most fields published for one request; real SDK requests have tens to a few thousand.</summary>
    public int MaxFieldsPerRequest { get; init; } = 50_000;

    public static DecodeLimits Default { get; } = new();

    public static DecodeLimits From(ReadLimits read) => new() { MaxBodyBytes = read.MaxBodyBytes };

    public long MaxDecompressedBytes(long compressedBytes) =>
        Math.Min(MaxBodyBytes, Math.Max(RatioFreeBytes, compressedBytes * MaxCompressionRatio));
}
