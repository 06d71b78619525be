// Writes the declarations of the trackers TrackHAR covers (pipeline/ResearchPipeline/Decoders/Trackers/<tracker>/
// endpoints.trackhar.csv, semantics.trackhar.csv) from TrackHAR's adapters: each endpoint and each contained data path
// becomes a row citing the TrackHAR source file and line it comes from (read from the package's source map).
// Run from bench/ after `npm ci`: node trackhar-adapters.mjs ../pipeline/ResearchPipeline/Decoders/Trackers
// Meta's adapters are left out: the Facebook adapter has its own, richer dictionary.
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { adapters } from 'trackhar';

const out = process.argv[2];
const version = JSON.parse(readFileSync('node_modules/trackhar/package.json', 'utf-8')).version;
const map = JSON.parse(readFileSync('node_modules/trackhar/dist/index.js.map', 'utf-8'));
const sources = new Map();
map.sources.forEach((s, i) => {
    const m = s.match(/src\/(adapters\/.+\.ts)$/);
    if (m) sources.set(m[1], (map.sourcesContent[i] ?? '').split('\n'));
});
const properties = new Map(
    readFileSync(new URL('../pipeline/ResearchPipeline/Decoders/trackhar-properties.csv', import.meta.url), 'utf-8')
        .split('\n').slice(1).filter((l) => l && !l.startsWith('#')).map((l) => l.split(',')).map(([p, s]) => [p, s]));

const csv = (v) => (/[",\n]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v);

/** File and 1-based line of `needle` in the tracker's adapter file at or after the adapter's slug, else anywhere. */
function cite(trackerSlug, adapterSlug, needle) {
    const own = `adapters/${trackerSlug}.ts`;
    const order = [own, ...[...sources.keys()].filter((k) => k !== own)];
    for (const file of order) {
        const lines = sources.get(file);
        if (!lines) continue;
        const start = file === own ? Math.max(0, lines.findIndex((l) => l.includes(`slug: '${adapterSlug}'`))) : 0;
        for (const from of [start, 0]) {
            const at = lines.findIndex((l, i) => i >= from && l.includes(needle));
            if (at >= 0) return `${file.replace('adapters/', 'src/adapters/')} L${at + 1}`;
        }
    }
    return null;
}

/** A JS regular expression, or a string TrackHAR compares whole, as a .NET pattern. */
const valuePattern = (v) => (v === undefined ? '' : v instanceof RegExp ? (v.flags.includes('i') ? '(?i)' : '') + v.source : '^' + v.replace(/[.*+?^${}()|[\]\\]/g, '\\$&') + '$');

/**
 * TrackHAR's JSONPath (relative to the decoded context) as our key pattern and value filters, or null where it has
 * no equivalent. Property filters become key patterns: startsWith("X") is X*, match(/^a_.*_b$/) is a_*_b, and a
 * value test beside a property name (=== "udid" && @.match(/ifa:/i)) becomes an only_if or not_if.
 */
function keyPattern(context, path) {
    const filter = path.match(/^\$\[\?\(@property(?:\.startsWith\("([^"]+)"\)|\.match\(\/\^([A-Za-z0-9_]+(?:\.\*[A-Za-z0-9_]*)*)\$\/i?\)| === "([^"]+)"(?: && (!?)@\.match\((\/.+\/i?)\))?)\)\]$/);
    if (filter) {
        const [, starts, shape, exact, negated, test] = filter;
        const key = starts !== undefined ? starts + '*' : shape !== undefined ? shape.replaceAll('.*', '*') : exact;
        if (test === undefined) return { key };
        const [, source, flags] = test.match(/^\/(.+)\/(i?)$/);
        const pattern = (flags ? '(?i)' : '') + source;
        return negated ? { key, notIf: pattern } : { key, onlyIf: pattern };
    }
    const key = plainKey(context, path);
    return key === null ? null : { key };
}

function plainKey(context, path) {
    if (context === 'header') return /^[A-Za-z0-9_-]+$/.test(path) ? path.toLowerCase() : null;
    if (context === 'cookie') return /^[^.$\[\]*?]+$/.test(path) ? path : null;
    let p = path.replace(/^\$\.?/, '');
    if (p === '' || /[?()@]|\.\./.test(p)) return null;
    const quoted = p.match(/^\["([^"]+)"\]$/);
    // A query or form key is kept as sent (our key paths quote only JSON keys that hold path syntax).
    if (quoted) return context === 'query' ? quoted[1] : `["${quoted[1]}"]`;
    const parts = p.split('.');
    return parts.map((s, i) => (s === '*' ? '{*}' : /^\d+$/.test(s) && i > 0 ? `{${s}}` : i === 0 ? s : '.' + s)).join('').replaceAll('.{', '{');
}

function urlPattern(u) {
    if (u instanceof RegExp) {
        let s = u.source;
        if (!s.startsWith('^')) s = '^' + s;
        if (!s.endsWith('$')) s = s + '$';
        return s;
    }
    return '^' + u.replace(/[.*+?^${}()|[\]\\\/]/g, (c) => (c === '/' ? '/' : '\\' + c)) + '$';
}

const byTracker = new Map();
for (const a of adapters) {
    if (a.tracker.slug === 'facebook') continue;
    if (!byTracker.has(a.tracker.slug)) byTracker.set(a.tracker.slug, []);
    byTracker.get(a.tracker.slug).push(a);
}

let skipped = 0, written = 0;
for (const [slug, list] of byTracker) {
    const dir = `${out}/${slug}`;
    mkdirSync(dir, { recursive: true });
    // Adapters of one tracker that read the same URLs in different formats are one endpoint of ours: the
    // generic decoder reads either format.
    const endpointOf = new Map();
    const endpoints = [];
    for (const a of list) {
        const key = a.endpointUrls.map(String).sort().join(' ');
        if (!endpointOf.has(key)) {
            endpointOf.set(key, a.slug);
            endpoints.push([a.slug, '*', a.endpointUrls.map(urlPattern).join('|'), `TrackHAR ${version} ${cite(slug, a.slug, `slug: '${a.slug}'`)}: ${a.name}`]);
        }
    }
    writeFileSync(`${dir}/endpoints.trackhar.csv`, '# Generated by bench/trackhar-adapters.mjs from TrackHAR; do not edit by hand.\nendpoint,method,url,source\n'
        + endpoints.map((r) => r.map(csv).join(',')).join('\n') + '\n');

    const rows = [];
    const seen = new Set();
    for (const a of list) {
        const endpoint = endpointOf.get(a.endpointUrls.map(String).sort().join(' '));
        for (const [property, value] of Object.entries(a.containedDataPaths)) {
            const semantic = properties.get(property);
            if (!semantic) throw new Error(`TrackHAR property ${property} has no semantic in trackhar-properties.csv`);
            for (const d of [value].flat()) {
                const found = d.context === 'path' ? null : keyPattern(d.context, d.path);
                if (found === null || (found.onlyIf || found.notIf) && (d.onlyIf || d.notIf)) { skipped++; continue; }
                const pattern = found.key;
                const onlyIf = found.onlyIf ?? valuePattern(d.onlyIf);
                const notIf = found.notIf ?? valuePattern(d.notIf);
                const location = d.context === 'header' ? 'header' : d.context === 'cookie' ? 'cookie' : 'param';
                const k = `${endpoint}|${location}|${pattern}|${onlyIf}|${notIf}`;
                if (seen.has(k)) continue;
                seen.add(k);
                const where = cite(slug, a.slug, `path: '${d.path}'`) ?? cite(slug, a.slug, `path: "${d.path}"`) ?? cite(slug, a.slug, d.path) ?? cite(slug, a.slug, `slug: '${a.slug}'`);
                rows.push([endpoint, location, pattern, '', onlyIf, notIf, semantic, '', '', '', `TrackHAR ${version} ${where}: ${property} (${d.reasoning})`]);
                written++;
            }
        }
    }
    writeFileSync(`${dir}/semantics.trackhar.csv`, '# Generated by bench/trackhar-adapters.mjs from TrackHAR; do not edit by hand. Category and personal_data come from the vocabulary.\n'
        + 'endpoint,location,key_pattern,when,only_if,not_if,semantic,category,personal_data,not_sent,source\n' + rows.map((r) => r.map(csv).join(',')).join('\n') + '\n');
}
console.log(`${byTracker.size} trackers, ${written} semantics rows, ${skipped} data paths without an equivalent key pattern (path context, filters, TrackHAR-internal variables)`);
