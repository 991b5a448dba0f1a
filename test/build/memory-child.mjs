// Child of memory.real.test.ts (run with --expose-gc): one plain build of CONFIG into OUT
// through the package entry at DIST, printing the live heap (after a full GC) when a
// third of the bundles and when all of them are compiled and staged (nothing committed
// yet): what grows between the two is what a build holds per bundle.
// Argv: <dist/index.js> <config> <out>.
import { pathToFileURL } from 'node:url';

const [dist, config, out] = process.argv.slice(2);
const { build } = await import(pathToFileURL(dist).href);
const live = {};
const r = await build({
  config,
  out,
  force: true,
  keepBundles: false,
  onEvent: (e) => {
    if (e.type !== 'compile' || live[e.done] !== undefined) return;
    if (e.done === Math.floor(e.total / 3) || e.done === e.total) {
      globalThis.gc();
      live[e.done] = process.memoryUsage().heapUsed;
    }
  },
});
process.stdout.write(`${JSON.stringify({ ok: r.ok, live, count: r.count ?? r.plan?.bundles.length, diagnostics: r.diagnostics.map((d) => d.message) })}\n`);
