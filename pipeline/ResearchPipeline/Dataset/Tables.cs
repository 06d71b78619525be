namespace ResearchPipeline.Dataset;

/// <summary>One input file of the study.</summary>
public sealed record CaptureRow
{
    public required string CaptureId { get; init; }
    public required string AppId { get; init; }
    public required string AppIdSource { get; init; }
    public string? Platform { get; init; }
    public string? DeviceId { get; init; }
    public string? AppName { get; init; }
    public string? AppVersion { get; init; }
    public required string Format { get; init; }
    public string? Creator { get; init; }
    public required string FileName { get; init; }
    public long SizeBytes { get; init; }
    public DateTimeOffset? FirstTimeUtc { get; init; }
    public DateTimeOffset? LastTimeUtc { get; init; }
    public int RecordsRead { get; init; }
    public int ExchangeCount { get; init; }
    public int QuarantinedCount { get; init; }
    public int ProblemCount { get; init; }
    /// <summary>apps.csv's session, else the file's own name: captures of one session hold the same traffic.</summary>
    public string SessionId { get; init; } = "";
    /// <summary>True for the one capture of its session that aggregates count (the richest format).</summary>
    public bool PrimaryInSession { get; init; } = true;
    /// <summary>HTTP requests to hosts a taxonomy attributes to a tracker; null when not decoded and attributed.</summary>
    public int? TrackerRequests { get; init; }
    /// <summary>Of those, the requests no adapter decoded.</summary>
    public int? GenericTrackerRequests { get; init; }
}

/// <summary>One request/response, or one non-HTTP flow of a packet capture.</summary>
public sealed record ExchangeRow
{
    public required string ExchangeId { get; init; }
    public required string CaptureId { get; init; }
    public required string AppId { get; init; }
    public required int Ordinal { get; init; }
    public required string Kind { get; init; }
    public DateTimeOffset? TimeUtc { get; init; }
    public double? SecondsSinceStart { get; init; }
    public required string Method { get; init; }
    public required string Scheme { get; init; }
    public required string Host { get; init; }
    public int Port { get; init; }
    public required string Path { get; init; }
    public required string Query { get; init; }
    public string? HttpVersion { get; init; }
    public int? Status { get; init; }
    public long RequestBytes { get; init; }
    public long? ResponseBytes { get; init; }
    public string? RequestContentType { get; init; }
    public string? RequestContentEncoding { get; init; }
    public string? ResponseContentType { get; init; }
    public string? ServerIp { get; init; }
    public string? Sni { get; init; }
    public string? TlsVersion { get; init; }
    public string? CipherSuite { get; init; }
    public string? UserAgent { get; init; }
    public string? Sdk { get; init; }
    public string? GraphApiVersion { get; init; }
    public double? DurationMs { get; init; }
    public string? ClientIp { get; init; }
    public int? ClientPort { get; init; }
    public long? BytesToServer { get; init; }
    public long? BytesToClient { get; init; }
    public DateTimeOffset? LastSeenUtc { get; init; }
    public string? DnsAnswers { get; init; }
}

/// <summary>One problem found while reading or decoding; a quarantined record is one of these.</summary>
public sealed record QualityRow
{
    public required string CaptureId { get; init; }
    public required string FileName { get; init; }
    public required int Sequence { get; init; }
    public required string Stage { get; init; }
    public required string Severity { get; init; }
    public required string Message { get; init; }
    public required string Location { get; init; }
    public bool Quarantined { get; init; }
}

/// <summary>A known device value found in a request (identify stage).</summary>
public sealed record IdentifierMatchRow
{
    public required string ExchangeId { get; init; }
    public required string CaptureId { get; init; }
    public required int Ordinal { get; init; }
    public required string AppId { get; init; }
    public required string Identity { get; init; }
    public required string Location { get; init; }
    public required string KeyPath { get; init; }
    public required string Transform { get; init; }
    public required string Host { get; init; }
}

/// <summary>The published tables of the foundation: their columns, meanings and orders.</summary>
public static partial class Tables
{
    public static readonly TableDefinition<CaptureRow> Captures = new(
        "captures",
        "one input capture file",
        (a, b) => string.CompareOrdinal(a.CaptureId, b.CaptureId) is var c and not 0 ? c : string.CompareOrdinal(a.FileName, b.FileName),
        Col.Str<CaptureRow>("capture_id", "sha256 of the file's bytes (hex)", r => r.CaptureId, required: true),
        Col.Str<CaptureRow>("app_id", "app the capture belongs to", r => r.AppId, required: true),
        Col.Str<CaptureRow>("app_id_source", "where app_id came from: apps.csv, or folder (the capture's folder name under the raw directory)", r => r.AppIdSource, required: true),
        Col.Str<CaptureRow>("platform", "android, ios, web... from apps.csv; null when not given", r => r.Platform),
        Col.Str<CaptureRow>("device_id", "test device from apps.csv (key of devices.csv)", r => r.DeviceId),
        Col.Str<CaptureRow>("app_name", "app name from apps.csv", r => r.AppName),
        Col.Str<CaptureRow>("app_version", "app version from apps.csv", r => r.AppVersion),
        Col.Str<CaptureRow>("format", "container format detected from the file's bytes: har, mitmproxy, pcap, pcapng, unknown", r => r.Format, required: true),
        Col.Str<CaptureRow>("creator", "tool that wrote the file, as the file says (HAR log.creator)", r => r.Creator),
        Col.Str<CaptureRow>("file_name", "path of the file relative to the raw folder, '/' separated", r => r.FileName, required: true),
        Col.Long<CaptureRow>("size_bytes", "file size in bytes", r => r.SizeBytes, required: true),
        Col.Time<CaptureRow>("first_time_utc", "earliest exchange start in the file", r => r.FirstTimeUtc),
        Col.Time<CaptureRow>("last_time_utc", "latest exchange start in the file", r => r.LastTimeUtc),
        Col.Int<CaptureRow>("records_read", "records the reader saw: exchange_count + quarantined_count", r => r.RecordsRead, required: true),
        Col.Int<CaptureRow>("exchange_count", "records published in exchanges", r => r.ExchangeCount, required: true),
        Col.Int<CaptureRow>("quarantined_count", "records that could not be read, each with a quality row", r => r.QuarantinedCount, required: true),
        Col.Int<CaptureRow>("problem_count", "quality rows of this capture", r => r.ProblemCount, required: true),
        Col.Str<CaptureRow>("session_id", "recording session: apps.csv's session column (captures of the same traffic by several tools share it), else the file name", r => r.SessionId, required: true),
        Col.Bool<CaptureRow>("primary_in_session", "true for the capture of its session that aggregates such as app_facebook_fields count: the richest format (har, then mitmproxy, pcapng, pcap), then the first file name", r => r.PrimaryInSession, required: true),
        Col.Int<CaptureRow>("tracker_requests", "HTTP requests to hosts the taxonomy attributes to a tracker (trackers.tracker not null); null in a parse-only run", r => r.TrackerRequests),
        Col.Int<CaptureRow>("generic_tracker_requests", "of those, requests that no tracker adapter decoded (payload_fields.decoder = generic): the decoding gap of the capture", r => r.GenericTrackerRequests));

    public static readonly TableDefinition<ExchangeRow> Exchanges = new(
        "exchanges",
        "one HTTP request and its response (or one non-HTTP flow of a packet capture)",
        (a, b) => string.CompareOrdinal(a.CaptureId, b.CaptureId) is var c and not 0 ? c : a.Ordinal.CompareTo(b.Ordinal),
        Col.Str<ExchangeRow>("exchange_id", "capture_id's first 16 hex digits, ':' and the ordinal", r => r.ExchangeId, required: true),
        Col.Str<ExchangeRow>("capture_id", "capture the exchange was read from", r => r.CaptureId, required: true),
        Col.Str<ExchangeRow>("app_id", "app of the capture", r => r.AppId, required: true),
        Col.Int<ExchangeRow>("ordinal", "0-based position of the record in its capture file (HAR entry index, flow index)", r => r.Ordinal, required: true),
        Col.Str<ExchangeRow>("kind", "http, tls_flow, dns_query, tcp_flow or udp_flow", r => r.Kind, required: true),
        Col.Time<ExchangeRow>("time_utc", "when the request started", r => r.TimeUtc),
        Col.Double<ExchangeRow>("seconds_since_start", "seconds since the earliest exchange of the capture", r => r.SecondsSinceStart),
        Col.Str<ExchangeRow>("method", "HTTP method, upper case; null on rows that are not HTTP (tls_flow, dns_query, tcp_flow, udp_flow)", r => r.Method),
        Col.Str<ExchangeRow>("scheme", "URL scheme, lower case (dns for dns_query rows); null where the capture does not say", r => r.Scheme),
        Col.Str<ExchangeRow>("host", "host name of the URL (the server name of a flow, the name asked for in a DNS query), lower case; null where the capture names none", r => r.Host),
        Col.Int<ExchangeRow>("port", "port of the URL (the scheme's default when not written)", r => r.Port, required: true),
        Col.Str<ExchangeRow>("path", "URL path as sent; null on rows that are not HTTP", r => r.Path),
        Col.Str<ExchangeRow>("query", "URL query as sent, without '?', with secrets (access tokens, passwords) replaced by a marker; null when the URL has none (and on rows that are not HTTP)", r => r.Query),
        Col.Str<ExchangeRow>("http_version", "HTTP/1.1, HTTP/2, HTTP/3 ...", r => r.HttpVersion),
        Col.Int<ExchangeRow>("status", "response status; null when no response was recorded", r => r.Status),
        Col.Long<ExchangeRow>("request_bytes", "request body size in bytes as captured", r => r.RequestBytes, required: true),
        Col.Long<ExchangeRow>("response_bytes", "response body size in bytes as captured (or as the tool reported when it dropped the body)", r => r.ResponseBytes),
        Col.Str<ExchangeRow>("request_content_type", "request Content-Type header", r => r.RequestContentType),
        Col.Str<ExchangeRow>("request_content_encoding", "request Content-Encoding header", r => r.RequestContentEncoding),
        Col.Str<ExchangeRow>("response_content_type", "response Content-Type header", r => r.ResponseContentType),
        Col.Str<ExchangeRow>("server_ip", "address actually contacted, as recorded at capture time", r => r.ServerIp),
        Col.Str<ExchangeRow>("sni", "TLS server name, where recorded", r => r.Sni),
        Col.Str<ExchangeRow>("tls_version", "TLS version, where recorded", r => r.TlsVersion),
        Col.Str<ExchangeRow>("cipher_suite", "TLS cipher suite the server chose, by its IANA name (e.g. TLS_AES_128_GCM_SHA256), where recorded; null where not TLS", r => r.CipherSuite),
        Col.Str<ExchangeRow>("user_agent", "request User-Agent header", r => r.UserAgent),
        Col.Str<ExchangeRow>("sdk", "tracker SDK named by the request (e.g. FBAndroidSDK 16.0.1); null when none", r => r.Sdk),
        Col.Str<ExchangeRow>("graph_api_version", "Facebook Graph API version from the path (e.g. v16.0)", r => r.GraphApiVersion),
        Col.Double<ExchangeRow>("duration_ms", "total time of the exchange in milliseconds, where the tool recorded it", r => r.DurationMs),
        Col.Str<ExchangeRow>("client_ip", "address of the client end (packet captures)", r => r.ClientIp),
        Col.Int<ExchangeRow>("client_port", "port of the client end (packet captures)", r => r.ClientPort),
        Col.Long<ExchangeRow>("bytes_to_server", "bytes the client sent in the exchange or flow (packet captures: TCP stream or UDP payload bytes; for HTTP the request's head and body)", r => r.BytesToServer),
        Col.Long<ExchangeRow>("bytes_to_client", "bytes the server sent in the exchange or flow, counted like bytes_to_server", r => r.BytesToClient),
        Col.Time<ExchangeRow>("last_seen_utc", "time of the last packet of the exchange or flow (packet captures)", r => r.LastSeenUtc),
        Col.Str<ExchangeRow>("dns_answers", "for dns_query rows: the answer's addresses and CNAME targets, space separated, in answer order", r => r.DnsAnswers));

    public static readonly TableDefinition<QualityRow> Quality = new(
        "quality",
        "one problem found in an input; quarantined records each have one",
        (a, b) => string.CompareOrdinal(a.CaptureId, b.CaptureId) is var c and not 0 ? c
            : string.CompareOrdinal(a.FileName, b.FileName) is var f and not 0 ? f
            : a.Sequence.CompareTo(b.Sequence),
        Col.Str<QualityRow>("capture_id", "capture the problem is in; null for a problem of the study rather than of one capture (reference data, taxonomy)", r => r.CaptureId),
        Col.Str<QualityRow>("file_name", "path of the file relative to the raw folder; null for a problem of the study rather than of one file", r => r.FileName),
        Col.Int<QualityRow>("sequence", "order of the problem within its capture", r => r.Sequence, required: true),
        Col.Str<QualityRow>("stage", "stage that found it: parse, decode, enrich, attribute, identify, emit", r => r.Stage, required: true),
        Col.Str<QualityRow>("severity", "info, warning or error", r => r.Severity, required: true),
        Col.Str<QualityRow>("message", "what is wrong", r => r.Message, required: true),
        Col.Str<QualityRow>("location", "where in the file: entry index, byte offset, flow", r => r.Location),
        Col.Bool<QualityRow>("quarantined", "true when a record was not published because of this problem", r => r.Quarantined, required: true));

    public static readonly TableDefinition<PayloadFieldRow> PayloadFields = PayloadFieldsOf<PayloadFieldRow>();

    /// <summary>
    /// payload_fields over any row that gives what it publishes: the rows held in lists, or the parse's view of an
    /// exchange's decoded fields, which it spools with no object per field (<see cref="IPayloadFieldRow"/>).
    /// </summary>
    public static TableDefinition<TRow> PayloadFieldsOf<TRow>() where TRow : IPayloadFieldRow => new(
        "payload_fields",
        "one decoded field of a request (query parameter, header, cookie, or flattened body key)",
        (a, b) => string.CompareOrdinal(a.CaptureId, b.CaptureId) is var c and not 0 ? c
            : a.ExchangeOrdinal.CompareTo(b.ExchangeOrdinal) is var e and not 0 ? e
            : a.Ordinal.CompareTo(b.Ordinal),
        Col.Str<TRow>("exchange_id", "exchange the field was sent in", r => r.ExchangeId, required: true),
        Col.Str<TRow>("app_id", "app of the capture", r => r.AppId, required: true),
        Col.Int<TRow>("ordinal", "0-based position of the field within its exchange, in the order decoded: query, headers, cookies, body", r => r.Ordinal, required: true),
        Col.Str<TRow>("location", "query, header, cookie or body", r => r.Location, required: true),
        Col.Str<TRow>("key_path", "flattened key: objects joined by '.', array items as [i], form keys as sent (extinfo[5], custom_events[0]._eventName, batch[1].relative_url.query.fields); headers lower case; $body for a whole body; [\"\"] for a key sent with an empty name", r => r.KeyPath, required: true),
        Col.Str<TRow>("value", "decoded value as text; identifiers (category identifier or user_data, or an identifier parameter name) as their keyed pseudonym hmac:...; secrets (access tokens, client tokens, passwords) replaced by a marker; \"\" for a field sent empty, null where the field has no value as text (value_type null, object/array, undecoded)", r => r.Value, empty: EmptyText.IsValue),
        Col.Str<TRow>("value_type", "string, number, bool, null, object/array (sent empty), binary, undecoded (a quality row says why), not_sent (a placeholder such as iOS SDK >= 17 disk -1)", r => r.ValueType, required: true),
        Col.Str<TRow>("semantic", "meaning of the field from the decoder's semantic dictionary (device.model, device.advertising_id...); null when unknown", r => r.Semantic),
        Col.Str<TRow>("category", "data category of the semantic: device, network, locale, identifier, app, event, consent, user_data, account, ad, sensor, sdk, config, transport, credential, diagnostics", r => r.Category),
        Col.Bool<TRow>("personal_data", "true when the semantic is personal data or an identifier (our reading, see the dictionary's source)", r => r.PersonalData),
        Col.Str<TRow>("semantic_source", "why the field means this: SDK source line or observation, from the semantic dictionary", r => r.SemanticSource),
        Col.Str<TRow>("decoder", "adapter that read the request (facebook) or generic", r => r.Decoder, required: true),
        Col.Str<TRow>("endpoint", "request kind the adapter recognised (activities, app_settings, gatekeepers...; a batch item's own kind)", r => r.Endpoint),
        Col.Str<TRow>("transforms", "decoding steps from the wire to the value, '>' separated (gzip>form>json); null for a plain header", r => r.Transforms));

    public static readonly TableDefinition<AppFacebookFieldRow> AppFacebookFields = new(
        "app_facebook_fields",
        "one kind of data (semantic field) an app sent to a Meta host",
        (a, b) => string.CompareOrdinal(a.AppId, b.AppId) is var c and not 0 ? c : string.CompareOrdinal(a.Semantic, b.Semantic),
        Col.Str<AppFacebookFieldRow>("app_id", "app", r => r.AppId, required: true),
        Col.Str<AppFacebookFieldRow>("platform", "platform from apps.csv, else from the SDK identity (android, ios, tvos); ',' joined when several", r => r.Platform),
        Col.Str<AppFacebookFieldRow>("semantic", "semantic field (payload_fields.semantic)", r => r.Semantic, required: true),
        Col.Str<AppFacebookFieldRow>("category", "data category of the semantic", r => r.Category, required: true),
        Col.Bool<AppFacebookFieldRow>("personal_data", "true when any row of it is personal data", r => r.PersonalData, required: true),
        Col.Double<AppFacebookFieldRow>("first_seen_seconds", "earliest seconds_since_start of an exchange that sent it", r => r.FirstSeenSeconds),
        Col.Int<AppFacebookFieldRow>("request_count", "distinct exchanges that sent it", r => r.RequestCount, required: true),
        Col.Str<AppFacebookFieldRow>("endpoints", "endpoints it was sent to, sorted, ',' joined", r => r.Endpoints, required: true),
        Col.Str<AppFacebookFieldRow>("sdk", "SDK identities of those exchanges (FBAndroidSDK 17.0.0), ',' joined", r => r.Sdk),
        Col.Str<AppFacebookFieldRow>("example_value", "value of its first occurrence (secrets redacted)", r => r.ExampleValue, empty: EmptyText.IsValue),
        Col.Str<AppFacebookFieldRow>("example_key_path", "key path of that occurrence", r => r.ExampleKeyPath));

    public static readonly TableDefinition<AppTrackerFieldRow> AppTrackerFields = new(
        "app_tracker_fields",
        "one kind of data (semantic field of the shared vocabulary) an app sent to one tracker, whoever it is",
        (a, b) => string.CompareOrdinal(a.AppId, b.AppId) is var c and not 0 ? c
            : string.CompareOrdinal(a.Organisation, b.Organisation) is var o and not 0 ? o
            : string.CompareOrdinal(a.ParentOrganisation, b.ParentOrganisation) is var p and not 0 ? p
            : string.CompareOrdinal(a.Tracker, b.Tracker) is var t and not 0 ? t
            : string.CompareOrdinal(a.Adapter, b.Adapter) is var d and not 0 ? d
            : string.CompareOrdinal(a.Semantic, b.Semantic),
        Col.Str<AppTrackerFieldRow>("app_id", "app", r => r.AppId, required: true),
        Col.Str<AppTrackerFieldRow>("organisation", "organisation that received it: trackers.organisation of the request's host; null when no taxonomy knows the host", r => r.Organisation),
        Col.Str<AppTrackerFieldRow>("parent_organisation", "ultimate parent of that organisation (trackers.parent_organisation)", r => r.ParentOrganisation),
        Col.Str<AppTrackerFieldRow>("tracker", "tracker id of the request's host (trackers.tracker)", r => r.Tracker),
        Col.Str<AppTrackerFieldRow>("adapter", "adapter that decoded the requests (payload_fields.decoder): facebook, google, adjust, appsflyer...", r => r.Adapter, required: true),
        Col.Str<AppTrackerFieldRow>("semantic", "semantic field of the shared vocabulary (payload_fields.semantic; the vocabulary is listed at the end of this dictionary)", r => r.Semantic, required: true),
        Col.Str<AppTrackerFieldRow>("category", "data category of the semantic", r => r.Category, required: true),
        Col.Bool<AppTrackerFieldRow>("personal_data", "true when the semantic is personal data", r => r.PersonalData, required: true),
        Col.Int<AppTrackerFieldRow>("request_count", "distinct exchanges that sent it (captures primary in their session)", r => r.RequestCount, required: true),
        Col.Str<AppTrackerFieldRow>("endpoints", "adapter endpoints it was sent to, sorted, ',' joined", r => r.Endpoints, required: true),
        Col.Str<AppTrackerFieldRow>("example_value", "value of its first non-empty occurrence as published in payload_fields (identifiers pseudonymised, secrets redacted)", r => r.ExampleValue, empty: EmptyText.IsValue),
        Col.Str<AppTrackerFieldRow>("example_key_path", "key path of that occurrence", r => r.ExampleKeyPath),
        Col.Double<AppTrackerFieldRow>("first_seen_seconds", "earliest seconds_since_start of an exchange that sent it", r => r.FirstSeenSeconds));

    public static readonly TableDefinition<IdentifierMatchRow> IdentifierMatches = new(
        "identifier_matches",
        "one known value of the test device (devices.csv) found in a request, per place and transform",
        (a, b) => string.CompareOrdinal(a.CaptureId, b.CaptureId) is var c and not 0 ? c
            : a.Ordinal.CompareTo(b.Ordinal) is var o and not 0 ? o
            : string.CompareOrdinal(a.Identity, b.Identity) is var i and not 0 ? i
            : string.CompareOrdinal(a.Location, b.Location) is var l and not 0 ? l
            : string.CompareOrdinal(a.KeyPath, b.KeyPath) is var k and not 0 ? k
            : string.CompareOrdinal(a.Transform, b.Transform),
        Col.Str<IdentifierMatchRow>("exchange_id", "exchange the request belongs to", r => r.ExchangeId, required: true),
        Col.Str<IdentifierMatchRow>("app_id", "app of the capture", r => r.AppId, required: true),
        Col.Str<IdentifierMatchRow>("identity", "which known value: advertising_id, idfv, android_id, model, os_version, carrier, locale, time_zone, email, phone, latitude, longitude", r => r.Identity, required: true),
        Col.Str<IdentifierMatchRow>("location", "part of the request: query, path, header, cookie or body", r => r.Location, required: true),
        Col.Str<IdentifierMatchRow>("key_path", "the payload_fields key_path of the field the value was found in (extinfo[4], ud.em, accept-language), as decode names it; 'offset N' (bytes) for a value in the URL path", r => r.KeyPath),
        Col.Str<IdentifierMatchRow>("transform", "how the value was sent: plain, upper, lower, mixed_case, no_dashes, digits, url, base64, base64url, md5, sha1, sha256 (hex of the normalised value), md5_base64, sha1_base64, sha256_base64...; '>case' after a hash gives the hex letter case, 'gzip>' etc. before it the content coding undone", r => r.Transform, required: true),
        Col.Str<IdentifierMatchRow>("host", "host the request went to", r => r.Host, required: true));

    /// <summary>Every published table, in the order the data dictionary lists them.</summary>
    public static IReadOnlyList<ITableDefinition> All => [Captures, Exchanges, Quality, PayloadFields, AppFacebookFields, AppTrackerFields, IdentifierMatches, Endpoints, Trackers, TaxonomyConflicts];
}
