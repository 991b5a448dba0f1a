// Child of atomic.real.test.ts: rewrites the output dir between plan B and plan A (with prune)
// until it is killed. Argv: <dir of transpiled src> <outDir> <n>.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { makePlan } from './plans.mjs';

const [mods, out, nText] = process.argv.slice(2);
const n = Number(nText);
const { writeBuild } = await import(pathToFileURL(join(mods, 'write', 'index.js')).href);
const { finalizeBundle } = await import(pathToFileURL(join(mods, 'write', 'manifest.js')).href);
const plans = [makePlan(finalizeBundle, n + 20, 'B'), makePlan(finalizeBundle, n, 'A')];
process.send('ready');
for (let k = 0; ; k++) {
  await writeBuild(plans[k % 2], out, { prune: true });
  process.send('built');
}
