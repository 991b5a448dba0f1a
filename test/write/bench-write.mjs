// Write-stage benchmark: node test/write/bench-write.mjs [bundles] (after `npm run build`;
// EEGEN_DIST overrides the compiled tree). Compares writeBuild with a plain Node loop
// writing the same files; prints medians of a few runs.
import { mkdirSync, writeFileSync, rmSync, mkdtempSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { pathToFileURL, fileURLToPath } from 'node:url';

const dist = process.env.EEGEN_DIST ?? join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'dist');
const { writeBuild, finalizeBundle } = await import(pathToFileURL(join(dist, 'write', 'index.js')).href);
const N = Number(process.argv[2] ?? 10000);
const RUNS = Number(process.env.RUNS ?? 3);

function draft(i, v) {
  const pad = (n, c) => c.repeat(n);
  return {
    id: `lr-${i}_ep-${i % 7}`, dir: `lr-${i}_ep-${i % 7}`, index: i, params: { lr: i / 1000, epochs: i % 7, v },
    script: 'run.sbatch', scheduler: 'slurm',
    files: [
      { path: 'run.sbatch', content: Buffer.from(`#!/bin/bash\n#SBATCH --job-name=b${i}\n# ${v}\n${pad(1500, '#')}\n`), mode: 0o755 },
      { path: 'config.yaml', content: Buffer.from(`lr: ${i / 1000}\nv: ${v}\n${pad(2000, 'c')}\n`), mode: 0o644 },
      { path: 'env.sh', content: Buffer.from(`export A=${i}\n${pad(800, 'e')}\n`), mode: 0o644 },
      { path: 'inputs/params.json', content: Buffer.from(JSON.stringify({ i, v, pad: pad(1000, 'p') })), mode: 0o644 },
    ],
    inputs: { template: 'a'.repeat(64) }, env: { used: ['HOME'], deferred: [] }, eegenVersion: '0.1.0', schemaVersion: '1',
  };
}
function plan(v) {
  const bundles = [];
  for (let i = 0; i < N; i++) bundles.push(finalizeBundle(draft(i, v)));
  return { bundles, sideFiles: [{ path: 'index.json', content: Buffer.from(JSON.stringify(bundles.map((b) => b.id))), mode: 0o644 }], diagnostics: [] };
}

async function time(fn) { const t = performance.now(); await fn(); return performance.now() - t; }
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fresh = () => mkdtempSync(join(tmpdir(), 'eegen-bench-'));

let t0 = performance.now();
const A = plan('A');
const finalizeMs = performance.now() - t0;
const B = plan('B');

function plainSync(p, out) {
  for (const b of p.bundles) {
    mkdirSync(join(out, b.dir, 'inputs'), { recursive: true });
    for (const f of b.files) writeFileSync(join(out, b.dir, f.path), f.content, { mode: f.mode });
  }
}
async function plainAsync(p, out) {
  let next = 0;
  const worker = async () => {
    while (next < p.bundles.length) {
      const b = p.bundles[next++];
      await mkdir(join(out, b.dir, 'inputs'), { recursive: true });
      await Promise.all(b.files.map((f) => writeFile(join(out, b.dir, f.path), f.content, { mode: f.mode })));
    }
  };
  await Promise.all(Array.from({ length: 48 }, worker));
}

const res = { plainSync: [], plainAsync: [], full: [], noop: [], allChanged: [] };
for (let r = 0; r < RUNS; r++) {
  let d = fresh(); res.plainSync.push(await time(() => plainSync(A, d))); rmSync(d, { recursive: true });
  d = fresh(); res.plainAsync.push(await time(() => plainAsync(A, d))); rmSync(d, { recursive: true });
  d = fresh();
  res.full.push(await time(() => writeBuild(A, d)));
  res.noop.push(await time(() => writeBuild(A, d)));
  res.allChanged.push(await time(() => writeBuild(B, d)));
  rmSync(d, { recursive: true });
}
const m = Object.fromEntries(Object.entries(res).map(([k, v]) => [k, Math.round(median(v))]));
const plain = Math.min(m.plainSync, m.plainAsync);
console.log(`${N} bundles x ${A.bundles[0].files.length} files (${RUNS} runs, median ms):`, m, `finalize ${Math.round(finalizeMs)} ms`);
console.log(`full/plain = ${(m.full / plain).toFixed(2)}  noop/full = ${(m.noop / m.full).toFixed(2)}  allChanged/full = ${(m.allChanged / m.full).toFixed(2)}`);
