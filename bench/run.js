#!/usr/bin/env node
// eegen benchmarks. Not part of the tests: prints figures and ratios against a
// baseline measured in the same run, on the same disk (tmpfs: /dev/shm).
//
//   npm run bench            all benchmarks
//   node bench/run.js build  one of: build, plan
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { build, compile, plan } from '../dist/index.js';
import { writeBuild } from '../dist/write/index.js';

const SHM = process.env.EEGEN_BENCH_DIR ?? (os.platform() === 'linux' ? '/dev/shm' : os.tmpdir());
const only = process.argv[2];

function ms(t0) {
  return Number(process.hrtime.bigint() - t0) / 1e6;
}
function fmt(x) {
  return `${x.toFixed(0)} ms`;
}

/** The physical limit: a plain Node loop writing the same directories, files and bytes. */
async function plainWrites(root, plan) {
  const t0 = process.hrtime.bigint();
  const queue = [...plan.bundles];
  const worker = async () => {
    for (let b = queue.shift(); b; b = queue.shift()) {
      await mkdir(path.join(root, b.dir), { recursive: true });
      for (const f of b.files) await writeFile(path.join(root, b.dir, f.path), f.content, { mode: f.mode });
    }
  };
  await Promise.all(Array.from({ length: 32 }, worker));
  for (const f of plan.sideFiles) await writeFile(path.join(root, f.path), f.content);
  return ms(t0);
}

async function benchBuild() {
  const work = mkdtempSync(path.join(SHM, 'eegen-bench-'));
  try {
    const config = path.join(work, 'config.yaml');
    // 10,000 bundles: 10 × 10 × 10 × 10, with the cloudmask-style built-in Slurm template.
    writeFileSync(
      config,
      [
        'application:',
        '  name: cloudmask',
        'data: "/scratch/{os.USER}/{application.name}"',
        'scheduler: slurm',
        'resources: {nodes: 1, time: "02:00:00", mem: 32G}',
        'experiment:',
        '  epoch: "[1-10]"',
        '  lr: "[1-10]"',
        '  batch: "[1-10]"',
        '  repeat: "[1-10]"',
        'run:',
        '  command: python train.py --epochs {experiment.epoch} --lr {experiment.lr} --batch {experiment.batch}',
        '',
      ].join('\n'),
    );
    let t0 = process.hrtime.bigint();
    const compiled = await compile({ config });
    const compileMs = ms(t0);
    if (!compiled.plan) throw new Error(JSON.stringify(compiled.diagnostics));
    const files = compiled.plan.bundles.reduce((n, b) => n + b.files.length, 0);
    const bytes = compiled.plan.bundles.reduce((n, b) => n + b.files.reduce((m, f) => m + f.content.length, 0), 0);

    const baseDir = path.join(work, 'baseline');
    mkdirSync(baseDir);
    const baseline = await plainWrites(baseDir, compiled.plan);

    const out = path.join(work, 'out');
    t0 = process.hrtime.bigint();
    const written = await writeBuild(compiled.plan, out);
    const writeMs = ms(t0);

    rmSync(out, { recursive: true });
    t0 = process.hrtime.bigint();
    const full = await build({ config, out });
    const fullMs = ms(t0);
    t0 = process.hrtime.bigint();
    const again = await build({ config, out });
    const rebuildMs = ms(t0);
    if (!full.ok || !again.ok || again.report.unchanged.length !== 10_000) throw new Error('rebuild was not a no-op');

    console.log(`build: ${compiled.plan.bundles.length} bundles, ${files} files, ${(bytes / 1e6).toFixed(1)} MB on ${SHM}`);
    console.log(`  baseline (plain Node loop, same files and bytes): ${fmt(baseline)}`);
    console.log(`  compile only (load, expand, resolve, render, hash): ${fmt(compileMs)}`);
    console.log(`  write only (atomic, incremental): ${fmt(writeMs)}   ratio to baseline ${(writeMs / baseline).toFixed(2)}x`);
    console.log(`  full build (compile + write):     ${fmt(fullMs)}   ratio to baseline ${(fullMs / baseline).toFixed(2)}x  (target <= 2x)`);
    console.log(`  rebuild, nothing changed:         ${fmt(rebuildMs)}   ratio to full build ${(rebuildMs / fullMs).toFixed(2)}x  (target <= 0.3x)`);
    void written;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

async function benchPlan() {
  const work = mkdtempSync(path.join(SHM, 'eegen-bench-'));
  try {
    const config = path.join(work, 'config.yaml');
    writeFileSync(config, ['experiment:', '  a: "[1-100]"', '  b: "[1-100]"', '  c: "[1-100]"', 'sweep:', '  exclude:', '    - "a > 90 and b > 90"', '    - {c: 7}', '  limit: 2000000', ''].join('\n'));
    global.gc?.();
    const heap0 = process.memoryUsage().heapUsed;
    let peak = heap0;
    const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().heapUsed)), 5);
    const t0 = process.hrtime.bigint();
    const result = await plan(config);
    const planMs = ms(t0);
    clearInterval(timer);
    peak = Math.max(peak, process.memoryUsage().heapUsed);
    if (!result.plan) throw new Error(JSON.stringify(result.diagnostics));
    console.log(`plan: ${result.plan.product.toLocaleString('en-US')} combinations, ${result.plan.kept.toLocaleString('en-US')} kept`);
    console.log(`  time ${fmt(planMs)}; heap growth during planning ${((peak - heap0) / 1e6).toFixed(1)} MB (a materialised list would need ~${((result.plan.product * 200) / 1e6).toFixed(0)} MB)`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

const benches = { build: benchBuild, plan: benchPlan };
for (const [name, fn] of Object.entries(benches)) {
  if (!only || only === name) await fn();
}
