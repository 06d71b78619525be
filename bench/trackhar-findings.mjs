// TrackHAR's findings on HAR files, one CSV row per transmitted datum, for the parity test
// (tests/ResearchPipeline.Tests/Decoders/trackhar-findings.csv). Run from bench/ after `npm ci`:
//   node trackhar-findings.mjs ../tests/fixtures/captures $(cd ../tests/fixtures/captures && ls har/*.har) > ../tests/ResearchPipeline.Tests/Decoders/trackhar-findings.csv
// The first argument is the folder the HAR paths are relative to; the CSV names them as given.
import { readFile } from 'node:fs/promises';
import { process as processHar } from 'trackhar';

const [root, ...hars] = process.argv.slice(2);
const csv = (v) => (/[",\n\r]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v);
const lines = ['har,entry,adapter,property,context,path,value'];
for (const har of hars) {
    const found = await processHar(JSON.parse(await readFile(`${root}/${har}`, 'utf-8')));
    found.forEach((transmissions, entry) => {
        for (const t of transmissions ?? []) {
            const value = typeof t.value === 'string' ? t.value : JSON.stringify(t.value);
            lines.push([har, String(entry), t.adapter, t.property, t.context, t.path, value].map(csv).join(','));
        }
    });
}
console.log(lines.join('\n'));
