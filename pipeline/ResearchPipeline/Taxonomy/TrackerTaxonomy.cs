namespace ResearchPipeline.Taxonomy;

/// <summary>Who a host belongs to: tracker, category and organisation with its ultimate parent.</summary>
public sealed record TrackerAttribution
{
    public required string Host { get; init; }
    public string? RegistrableDomain { get; init; }
    public string? Tracker { get; init; }
    public string? TrackerName { get; init; }
    public string? Category { get; init; }
    public string? Organisation { get; init; }
    public string? ParentOrganisation { get; init; }
    public string? OrganisationCountry { get; init; }
    public string? TaxonomySource { get; init; }
    public string? TaxonomyVersion { get; init; }
}

/// <summary>A host on which the curated overlay and TrackerDB disagree; the overlay's answer is the one published.</summary>
public sealed record TaxonomyConflict
{
    public required string Host { get; init; }
    /// <summary>organisation or category.</summary>
    public required string Field { get; init; }
    public required string OverlayValue { get; init; }
    public string? TrackerDbValue { get; init; }
    public required string OverlayTracker { get; init; }
    public required string TrackerDbPattern { get; init; }
    public required string OverlaySource { get; init; }
}

public sealed record AttributionResult(IReadOnlyList<TrackerAttribution> Trackers, IReadOnlyList<TaxonomyConflict> Conflicts);

/// <summary>
/// The attribute stage: host -> tracker -> organisation -> parent organisation. The curated overlay answers
/// first; TrackerDB answers the rest. Both name organisations the hierarchy of organisations.csv knows, so
/// a TrackerDB organisation that is the overlay's organisation or one of its parents is agreement, not conflict.
/// </summary>
public sealed class TrackerTaxonomy(TaxonomyOverlay overlay, OrganisationCatalog organisations, TrackerDb? trackerDb)
{
    public const string OverlaySource = "overlay";
    public const string TrackerDbSource = "trackerdb";

    public AttributionResult Attribute(IEnumerable<(string Host, string? RegistrableDomain)> hosts)
    {
        var rows = new List<TrackerAttribution>();
        var conflicts = new List<TaxonomyConflict>();
        foreach (var (host, registrable) in hosts)
        {
            var curated = overlay.Find(host);
            var pattern = trackerDb?.Find(host);
            if (curated is not null)
            {
                var org = organisations.Find(curated.OrganisationId)!;
                rows.Add(Row(host, registrable, curated.Tracker, curated.TrackerName, curated.Category, org, null, OverlaySource, overlay.Version));
                if (pattern is not null) conflicts.AddRange(Disagreements(host, curated, org, pattern));
            }
            else if (pattern is not null)
            {
                var dbOrg = trackerDb!.Organisation(pattern.OrganisationId);
                // TrackerDB's organisation by the id the hierarchy records for it, else by its name or an alias of it.
                var org = pattern.OrganisationId is null ? null
                    : organisations.FindByTrackerDbId(pattern.OrganisationId) ?? (dbOrg is null ? null : organisations.FindByName(dbOrg.Name));
                rows.Add(Row(host, registrable, pattern.Id, pattern.Name, pattern.Category, org, dbOrg, TrackerDbSource, trackerDb.Version));
            }
            else
            {
                rows.Add(new TrackerAttribution { Host = host, RegistrableDomain = registrable });
            }
        }
        return new AttributionResult(rows, conflicts);
    }

    private TrackerAttribution Row(string host, string? registrable, string tracker, string name, string? category, Organisation? org, TrackerDbOrganisation? dbOrg, string source, string version) => new()
    {
        Host = host,
        RegistrableDomain = registrable,
        Tracker = tracker,
        TrackerName = name,
        Category = category,
        Organisation = org?.Name ?? dbOrg?.Name,
        ParentOrganisation = org is not null ? organisations.Ultimate(org).Name : dbOrg?.Name,
        OrganisationCountry = org is not null ? organisations.Chain(org).Select(o => o.Country).FirstOrDefault(c => c is not null) ?? dbOrg?.Country : dbOrg?.Country,
        TaxonomySource = source,
        TaxonomyVersion = version,
    };

    private IEnumerable<TaxonomyConflict> Disagreements(string host, OverlayEntry curated, Organisation org, TrackerPattern pattern)
    {
        var chain = organisations.Chain(org);
        var byName = pattern.OrganisationId is null || trackerDb!.Organisation(pattern.OrganisationId) is not { } dbOrg ? null : organisations.FindByName(dbOrg.Name);
        if (pattern.OrganisationId is not null && !chain.Any(o => o.TrackerDbId == pattern.OrganisationId || ReferenceEquals(o, byName)))
        {
            yield return new TaxonomyConflict
            {
                Host = host,
                Field = "organisation",
                OverlayValue = org.Name,
                TrackerDbValue = trackerDb!.Organisation(pattern.OrganisationId)?.Name ?? pattern.OrganisationId,
                OverlayTracker = curated.Tracker,
                TrackerDbPattern = pattern.Id,
                OverlaySource = curated.Source,
            };
        }
        if (pattern.Category is not null && pattern.Category != curated.Category)
        {
            yield return new TaxonomyConflict
            {
                Host = host,
                Field = "category",
                OverlayValue = curated.Category,
                TrackerDbValue = pattern.Category,
                OverlayTracker = curated.Tracker,
                TrackerDbPattern = pattern.Id,
                OverlaySource = curated.Source,
            };
        }
    }
}
