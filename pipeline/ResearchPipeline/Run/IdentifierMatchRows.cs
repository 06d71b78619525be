using ResearchPipeline.Dataset;

namespace ResearchPipeline.Run;

/// <summary>Turns what the identify stage found into published <c>identifier_matches</c> rows.</summary>
public static class IdentifierMatchRows
{
    public static IdentifierMatchRow From(Identity.IdentifierMatch m, string captureId, string appId) => new()
    {
        ExchangeId = ExchangeRows.ExchangeId(captureId, m.Ordinal),
        CaptureId = captureId,
        Ordinal = m.Ordinal,
        AppId = appId,
        Identity = m.Identity,
        Location = m.Location,
        KeyPath = m.KeyPath,
        Transform = m.Transform,
        Host = m.Host,
    };
}
