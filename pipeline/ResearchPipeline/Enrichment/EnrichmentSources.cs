using ResearchPipeline.Reference;

namespace ResearchPipeline.Enrichment;

/// <summary>A finding about the reference data itself, for the quality table.</summary>
public sealed record EnrichmentNote(string Severity, string Message, string Location);

/// <summary>
/// The reference data the enrich stage answers from, opened once per run: GeoIP and ASN databases, the IP
/// range table and the Public Suffix List. The lock file names the pinned files; any .mmdb placed directly in
/// the external folder is the user's own (a licensed GeoIP2 City, GeoLite2-ASN, GeoIP2-ISP...) and is asked
/// before the pinned ones. Whatever is absent leaves its columns null and says so in a note.
/// </summary>
public sealed class EnrichmentSources : IDisposable
{
    private EnrichmentSources(IReadOnlyList<MmdbDatabase> databases, AsnRanges? ranges, PublicSuffixList? suffixes, IReadOnlyList<EnrichmentNote> notes)
    {
        Databases = databases;
        Ranges = ranges;
        Suffixes = suffixes;
        Notes = notes;
    }

    public IReadOnlyList<MmdbDatabase> Databases { get; }
    public AsnRanges? Ranges { get; }
    public PublicSuffixList? Suffixes { get; }
    public IReadOnlyList<EnrichmentNote> Notes { get; }

    public static EnrichmentSources None { get; } = new([], null, null, []);

    /// <summary>Under the external folder: reference data in a form read faster than the files it was made from.</summary>
    public const string CompiledFolder = ".compiled";

    public static EnrichmentSources Open(string externalFolder, ReferenceLock lockFile, IEnumerable<string>? userDatabases = null)
    {
        var notes = new List<EnrichmentNote>();
        var databases = new List<MmdbDatabase>();

        var user = (userDatabases ?? []).ToList();
        if (Directory.Exists(externalFolder)) user.AddRange(Directory.EnumerateFiles(externalFolder, "*.mmdb").Order(StringComparer.Ordinal));
        foreach (var path in user.Distinct(StringComparer.Ordinal))
        {
            var db = MmdbDatabase.Open(path, Path.GetFileName(path), userSupplied: true, out var problem);
            if (db is null) notes.Add(new EnrichmentNote("warning", problem!, path));
            else databases.Add(db);
        }

        foreach (var a in lockFile.WithRole("geo"))
        {
            var path = a.PathUnder(externalFolder);
            if (!File.Exists(path)) continue;
            var db = MmdbDatabase.Open(path, a.Citation, userSupplied: false, out var problem);
            if (db is null) notes.Add(new EnrichmentNote("error", problem!, path));
            else databases.Add(db);
        }

        // The range table and the suffix list are read side by side.
        AsnRanges? ranges = null;
        PublicSuffixList? suffixes = null;
        var rangeFiles = lockFile.WithRole("asn-ranges").Where(a => File.Exists(a.PathUnder(externalFolder))).ToList();
        var psl = lockFile.WithRole("public-suffix-list").FirstOrDefault(a => File.Exists(a.PathUnder(externalFolder)));
        // The compiled range table is named by its files' digests, as a run's check of the lock has just had them.
        var digests = RememberedDigests.In(externalFolder);
        try
        {
            SideBySide.Invoke(
                () => ranges = rangeFiles.Count > 0
                    ? AsnRanges.Load(rangeFiles.Select(a => a.PathUnder(externalFolder)), $"{rangeFiles[0].PackageSpec}", Path.Combine(externalFolder, CompiledFolder), digests)
                    : null,
                () => suffixes = psl is null ? null : PublicSuffixList.Load(psl.PathUnder(externalFolder), psl.Citation));
        }
        catch
        {
            foreach (var d in databases) d.Dispose();
            // A range table read in place from its compiled file lets the file go.
            ranges?.Dispose();
            throw;
        }
        digests.Save();
        if (ranges is not null)
        {
            if (ranges.RowsRejected > 0)
                notes.Add(new EnrichmentNote("warning", $"{ranges.RowsRejected} rows of the AS range table are not ranges and were skipped", ranges.Source));
            if (ranges.OverlappingRanges > 0)
                notes.Add(new EnrichmentNote("info", $"{ranges.OverlappingRanges} ranges of the AS range table overlap an earlier one; the narrowest range containing an address answers", ranges.Source));
        }

        if (!databases.Any(d => d.AnswersGeo))
            notes.Add(new EnrichmentNote("info", $"no GeoIP database in {externalFolder}: country, city and coordinates are null (run make reference)", externalFolder));
        if (!databases.Any(d => d.AnswersAsn) && ranges is null)
            notes.Add(new EnrichmentNote("info", $"no AS number data in {externalFolder}: asn and as_org are null (run make reference)", externalFolder));
        if (suffixes is null)
            notes.Add(new EnrichmentNote("info", $"no Public Suffix List in {externalFolder}: registrable_domain is null (run make reference)", externalFolder));
        return new EnrichmentSources(databases, ranges, suffixes, notes);
    }

    public void Dispose()
    {
        foreach (var d in Databases) d.Dispose();
        Ranges?.Dispose();
    }
}
