namespace ResearchPipeline.Captures.Pcap;

/// <summary>
/// Quality rows for damage that repeats per packet (a capture cut at a small snap length has it on every
/// packet): the first few of each kind are written with their packet, the rest are counted in one summary row.
/// </summary>
internal sealed class ProblemLog(Action<CaptureRecord> emit)
{
    private const int RowsPerKind = 20;
    private readonly Dictionary<string, (int Count, string FirstLocation)> _kinds = new(StringComparer.Ordinal);
    private readonly List<string> _order = [];

    public void Add(Severity severity, string kind, string message, string location)
    {
        if (!_kinds.TryGetValue(kind, out var seen))
        {
            seen = (0, location);
            _order.Add(kind);
        }
        _kinds[kind] = (seen.Count + 1, seen.FirstLocation);
        if (seen.Count < RowsPerKind) emit(new CaptureProblem(severity, message, location));
    }

    public void Summarise()
    {
        foreach (var kind in _order)
        {
            var (count, first) = _kinds[kind];
            if (count > RowsPerKind)
                emit(new CaptureProblem(Severity.Warning, $"{count - RowsPerKind} more like this not listed one by one ({count} in all): {kind}", $"from {first}"));
        }
    }
}
