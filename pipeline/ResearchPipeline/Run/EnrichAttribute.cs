using ResearchPipeline.Dataset;
using ResearchPipeline.Enrichment;
using ResearchPipeline.Reference;
using ResearchPipeline.Taxonomy;

namespace ResearchPipeline.Run;

/// <summary>What the enrich and attribute stages add to a run.</summary>
public sealed record EnrichmentOutcome(List<Endpoint> Endpoints, List<TrackerAttribution> Trackers, List<TaxonomyConflict> Conflicts, List<QualityRow> Quality);

/// <summary>
/// The enrich and attribute stages over every distinct host and server address the parsed exchanges name.
/// Absent reference data leaves columns null and says so in info quality rows, so a fresh checkout without
/// <c>make reference</c> still runs.
/// </summary>
public static class EnrichAttribute
{
    public const string OverlayFile = "mobile-overlay.csv";
    public const string OrganisationsFile = "organisations.csv";

    /// <summary>The stages over reference data already loaded (a local run loads it while the captures parse).</summary>
    public static EnrichmentOutcome Run(IReadOnlyList<CaptureOutcome> outcomes, EnrichmentReference reference)
    {
        var quality = new List<QualityRow>();
        void Note(string stage, EnrichmentNote n) => quality.Add(new QualityRow
        {
            CaptureId = "",
            FileName = "",
            Sequence = quality.Count,
            Stage = stage,
            Severity = n.Severity,
            Message = n.Message,
            Location = n.Location,
        });

        foreach (var n in reference.Notes) Note(n.Stage, n.Note);
        var sources = reference.Sources;
        var observations = outcomes.SelectMany(o => o.Endpoints);
        var enriched = EndpointEnricher.Enrich(observations, sources, new IpLookup(sources));
        foreach (var n in enriched.Notes) Note("enrich", n);

        foreach (var n in reference.TaxonomyNotes) Note("attribute", n);
        var hosts = enriched.Endpoints
            .GroupBy(e => e.Host, StringComparer.Ordinal)
            .Select(g => (g.Key, g.First().RegistrableDomain ?? (HostName.Parse(g.Key, out _) is { IsIpLiteral: false } h ? sources.Suffixes?.RegistrableDomain(h.Value) : null)));
        var attributed = reference.Taxonomy.Attribute(hosts);
        if (attributed.Conflicts.Count > 0)
            Note("attribute", new EnrichmentNote("info", $"{attributed.Conflicts.Count} disagreements between the overlay and TrackerDB; the overlay's answers are published", "taxonomy_conflicts"));

        return new EnrichmentOutcome(enriched.Endpoints.ToList(), attributed.Trackers.ToList(), attributed.Conflicts.ToList(), quality);
    }

    /// <summary>Where each capture format takes its server address from.</summary>
    public static string IpSource(string format) => format switch
    {
        "har" => "har_server_ip",
        "mitmproxy" => "flow_peer",
        "pcap" or "pcapng" => "packet_peer",
        _ => "none",
    };
}

/// <summary>
/// The reference data enrich and attribute answer from (GeoIP and AS databases, the range table, the suffix list,
/// the taxonomy), with the notes its loading made. Loading it takes the same time whatever the study's size, and
/// needs nothing from the captures, so a local run starts it beside the parse stage.
/// </summary>
public sealed class EnrichmentReference : IDisposable
{
    private EnrichmentReference(EnrichmentSources sources, TrackerTaxonomy taxonomy, IReadOnlyList<FileDigest> taxonomyFiles, IReadOnlyList<(string, EnrichmentNote)> notes,
        IReadOnlyList<EnrichmentNote> taxonomyNotes)
    {
        Sources = sources;
        Taxonomy = taxonomy;
        TaxonomyFiles = taxonomyFiles;
        Notes = notes;
        TaxonomyNotes = taxonomyNotes;
    }

    public EnrichmentSources Sources { get; }
    public TrackerTaxonomy Taxonomy { get; }

    /// <summary>
    /// The curated taxonomy's files that were read (by file name, with their digests): a researcher edits them to
    /// attribute hosts, so the manifest names what the tables were attributed with, committed or not.
    /// </summary>
    public IReadOnlyList<FileDigest> TaxonomyFiles { get; }
    /// <summary>Notes of the enrich stage about the lock file and the databases, in the order they were made.</summary>
    public IReadOnlyList<(string Stage, EnrichmentNote Note)> Notes { get; }
    public IReadOnlyList<EnrichmentNote> TaxonomyNotes { get; }

    public static EnrichmentReference Load(RunOptions options)
    {
        var notes = new List<(string, EnrichmentNote)>();
        var lockFile = File.Exists(options.ReferenceLock) ? ReferenceLock.Load(options.ReferenceLock) : ReferenceLock.Empty;
        if (lockFile == ReferenceLock.Empty)
            notes.Add(("enrich", new EnrichmentNote("info", $"no reference lock file at {options.ReferenceLock}: only a user's own .mmdb files in {options.ExternalFolder} are used", options.ReferenceLock)));
        // The databases and the taxonomy side by side (each a few tens of milliseconds).
        EnrichmentSources? sources = null;
        (TrackerTaxonomy Taxonomy, List<EnrichmentNote> Notes, List<FileDigest> Files) taxonomy = default;
        try
        {
            SideBySide.Invoke(
                () => sources = EnrichmentSources.Open(options.ExternalFolder, lockFile, options.UserDatabases),
                () => taxonomy = LoadTaxonomy(options, lockFile));
        }
        catch
        {
            sources?.Dispose();
            throw;
        }
        notes.AddRange(sources!.Notes.Select(n => ("enrich", n)));
        return new EnrichmentReference(sources, taxonomy.Taxonomy!, taxonomy.Files!, notes, taxonomy.Notes!);
    }

    private static (TrackerTaxonomy, List<EnrichmentNote>, List<FileDigest>) LoadTaxonomy(RunOptions options, ReferenceLock lockFile)
    {
        var files = new[] { EnrichAttribute.OrganisationsFile, OrganisationCatalog.AliasesFile, EnrichAttribute.OverlayFile }
            .Select(name => Path.Combine(options.TaxonomyFolder, name)).Where(File.Exists).Select(path => FileDigest.Of(path, Path.GetFileName(path))).ToList();
        var notes = new List<EnrichmentNote>();
        var organisationsPath = Path.Combine(options.TaxonomyFolder, EnrichAttribute.OrganisationsFile);
        var overlayPath = Path.Combine(options.TaxonomyFolder, EnrichAttribute.OverlayFile);
        var organisations = File.Exists(organisationsPath) ? OrganisationCatalog.Load(organisationsPath) : OrganisationCatalog.Empty;
        var overlay = File.Exists(overlayPath) ? TaxonomyOverlay.Load(overlayPath, organisations) : TaxonomyOverlay.Empty;
        if (overlay.Count == 0)
            notes.Add(new EnrichmentNote("info", $"no curated overlay at {overlayPath}: mobile SDK hosts TrackerDB misses stay unattributed", overlayPath));
        TrackerDb? trackerDb = null;
        if (lockFile.WithRole("trackerdb").FirstOrDefault(a => File.Exists(a.PathUnder(options.ExternalFolder))) is { } db)
            trackerDb = TrackerDb.Load(db.PathUnder(options.ExternalFolder), db.PackageSpec);
        else
            notes.Add(new EnrichmentNote("info", $"no TrackerDB in {options.ExternalFolder}: only the curated overlay attributes hosts (run make reference)", options.ExternalFolder));
        return (new TrackerTaxonomy(overlay, organisations, trackerDb), notes, files);
    }

    public void Dispose() => Sources.Dispose();
}
