using ResearchPipeline.Dataset;

namespace ResearchPipeline.Dataset;

/// <summary>
/// One recording session may be captured by several tools at once (the lab writes a HAR, a mitmproxy flow
/// file and a pcapng of the same traffic). Every capture is published, but aggregates must count the traffic
/// once: per session, the capture in the richest format is the primary one.
/// </summary>
public static class Sessions
{
    /// <summary>Richest first: HAR and flow files carry decrypted bodies; a pcap of TLS only carries endpoints.</summary>
    private static int Rank(string format) => format switch
    {
        "har" => 0,
        "mitmproxy" => 1,
        "pcapng" => 2,
        "pcap" => 3,
        _ => 4,
    };

    public static IEnumerable<CaptureRow> MarkPrimary(IEnumerable<CaptureRow> captures)
    {
        var list = captures.ToList();
        var primary = list
            .GroupBy(c => (c.AppId, c.SessionId))
            .Select(g => g.OrderBy(c => Rank(c.Format)).ThenBy(c => c.FileName, StringComparer.Ordinal).First())
            .ToHashSet();
        return list.Select(c => c with { PrimaryInSession = primary.Contains(c) });
    }
}
