using ResearchPipeline.Enrichment;
using ResearchPipeline.Taxonomy;

namespace ResearchPipeline.Dataset;

/// <summary>The tables of the enrich and attribute stages: their columns, meanings and orders.</summary>
public static partial class Tables
{
    public static readonly TableDefinition<Endpoint> Endpoints = new(
        "endpoints",
        "one distinct host and server address the captures recorded, with where it is and who operates its network",
        (a, b) => string.CompareOrdinal(a.Host, b.Host) is var c and not 0 ? c : string.CompareOrdinal(a.ServerIp, b.ServerIp),
        Col.Str<Endpoint>("host", "host name as contacted: lower case, IDN in xn-- form, no trailing dot or port (IP literals as canonical address text)", r => r.Host),
        Col.Str<Endpoint>("server_ip", "address actually contacted, as recorded at capture time; null when the capture did not record one", r => r.ServerIp),
        Col.Str<Endpoint>("registrable_domain", "public suffix plus one label (Public Suffix List, ICANN and private rules); null for IP literals and public suffixes", r => r.RegistrableDomain),
        Col.Str<Endpoint>("country", "ISO 3166-1 alpha-2 country of server_ip per the GeoIP database named in geo_source", r => r.Country),
        Col.Str<Endpoint>("city", "city of server_ip (English name), where the database has one", r => r.City),
        Col.Double<Endpoint>("latitude", "latitude of server_ip's location", r => r.Latitude),
        Col.Double<Endpoint>("longitude", "longitude of server_ip's location", r => r.Longitude),
        Col.Int<Endpoint>("accuracy_km", "radius in km around latitude/longitude the address is likely within (MaxMind accuracy_radius)", r => r.AccuracyKm),
        Col.UInt<Endpoint>("asn", "autonomous system number announcing server_ip (unsigned 32-bit)", r => r.Asn),
        Col.Str<Endpoint>("as_org", "organisation of the autonomous system", r => r.AsOrg),
        Col.Str<Endpoint>("geo_source", "GeoIP database that answered: type, build date and package@version/file (or file name for a user's own)", r => r.GeoSource),
        Col.Int<Endpoint>("geo_build_age_days", "days from the GeoIP database's build to first_seen_utc (negative: the database was built after the capture)", r => r.GeoBuildAgeDays),
        Col.Str<Endpoint>("asn_source", "AS data that answered: an ASN/ISP database with its build date, or the range table's package@version", r => r.AsnSource),
        Col.Str<Endpoint>("ip_source", "where server_ip came from: har_server_ip, flow_peer, packet_peer, dns_answer, or none", r => r.IpSource, required: true),
        Col.Str<Endpoint>("address_class", "public, private, loopback, link_local or bogon; only public addresses are looked up", r => r.AddressClass),
        Col.Time<Endpoint>("first_seen_utc", "earliest exchange with this host and address; the date the databases are chosen for", r => r.FirstSeenUtc));

    public static readonly TableDefinition<TrackerAttribution> Trackers = new(
        "trackers",
        "one distinct host, with the tracker, category and organisation it belongs to (nulls when no taxonomy knows it)",
        (a, b) => string.CompareOrdinal(a.Host, b.Host),
        Col.Str<TrackerAttribution>("host", "host name as in endpoints.host", r => r.Host),
        Col.Str<TrackerAttribution>("registrable_domain", "public suffix plus one label", r => r.RegistrableDomain),
        Col.Str<TrackerAttribution>("tracker", "tracker id: the overlay's, or TrackerDB's pattern id", r => r.Tracker),
        Col.Str<TrackerAttribution>("tracker_name", "tracker's display name", r => r.TrackerName),
        Col.Str<TrackerAttribution>("category", "TrackerDB category id: advertising, site_analytics, social_media, utilities, hosting, customer_interaction...", r => r.Category),
        Col.Str<TrackerAttribution>("organisation", "organisation operating the tracker", r => r.Organisation),
        Col.Str<TrackerAttribution>("parent_organisation", "ultimate parent of the organisation (the organisation itself when it has none): Meta Platforms, Alphabet...", r => r.ParentOrganisation),
        Col.Str<TrackerAttribution>("organisation_country", "country of the organisation (its own, else its nearest parent's, else TrackerDB's)", r => r.OrganisationCountry),
        Col.Str<TrackerAttribution>("taxonomy_source", "overlay (data/taxonomy/mobile-overlay.csv) or trackerdb (Ghostery TrackerDB)", r => r.TaxonomySource),
        Col.Str<TrackerAttribution>("taxonomy_version", "overlay file and sha256 prefix, or TrackerDB package@version", r => r.TaxonomyVersion));

    public static readonly TableDefinition<TaxonomyConflict> TaxonomyConflicts = new(
        "taxonomy_conflicts",
        "one disagreement between the curated overlay and TrackerDB about a host; the overlay's answer is published",
        (a, b) => string.CompareOrdinal(a.Host, b.Host) is var c and not 0 ? c : string.CompareOrdinal(a.Field, b.Field),
        Col.Str<TaxonomyConflict>("host", "host both sources match", r => r.Host, required: true),
        Col.Str<TaxonomyConflict>("field", "organisation or category", r => r.Field, required: true),
        Col.Str<TaxonomyConflict>("overlay_value", "what the overlay says (published)", r => r.OverlayValue, required: true),
        Col.Str<TaxonomyConflict>("trackerdb_value", "what TrackerDB says", r => r.TrackerDbValue),
        Col.Str<TaxonomyConflict>("overlay_tracker", "overlay tracker id", r => r.OverlayTracker, required: true),
        Col.Str<TaxonomyConflict>("trackerdb_pattern", "TrackerDB pattern id", r => r.TrackerDbPattern, required: true),
        Col.Str<TaxonomyConflict>("overlay_source", "the overlay row's source", r => r.OverlaySource, required: true));
}
