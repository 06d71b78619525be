// TrackHAR over HAR files, for bench/run.sh: node bench/trackhar.mjs <file-with-one-har-path-per-line>
// Prints "hars entries requests_decoded transmissions" so the run can be checked against ours.
import { readFile } from 'node:fs/promises';
import { process as processHar } from 'trackhar';

const list = (await readFile(process.argv[2], 'utf-8')).split('\n').filter((l) => l.length > 0);
let entries = 0, matched = 0, transmissions = 0;
for (const path of list) {
    const har = JSON.parse(await readFile(path, 'utf-8'));
    entries += har.log.entries.length;
    const found = await processHar(har);
    for (const r of found) if (r) { matched++; transmissions += r.length; }
}
console.log(`${list.length} ${entries} ${matched} ${transmissions}`);
