#!/usr/bin/env node
// eegen benchmarks. Not part of the tests: prints figures and ratios against a
// baseline measured in the same run, on the same disk (tmpfs: /dev/shm).
//
//   npm run bench            all benchmarks
//   node bench/run.js build  one of: build, templates, plan, status, unsubmitted, arrays, predict, report, workflow, memory
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { build, cancel, compile, loadInventory, loadWorkflow, plan, predict, realRunner, runWorkflow, status, submit, workflowStatus, writeBuild } from '../dist/index.js';
import { execSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const SHM = process.env.EEGEN_BENCH_DIR ?? (os.platform() === 'linux' ? '/dev/shm' : os.tmpdir());
const only = process.argv[2];

function ms(t0) {
  return Number(process.hrtime.bigint() - t0) / 1e6;
}
function fmt(x) {
  return `${x.toFixed(0)} ms`;
}

/**
 * The physical limit: a plain Node loop writing the same directories, files and bytes.
 * Synchronous calls: on tmpfs they are the fastest way Node has (fs/promises costs a
 * thread-pool round trip per call).
 */
async function plainWrites(root, plan) {
  const t0 = process.hrtime.bigint();
  for (const b of plan.bundles) {
    mkdirSync(path.join(root, b.dir), { recursive: true });
    for (const f of b.files) writeFileSync(path.join(root, b.dir, f.path), f.content, { mode: f.mode });
  }
  for (const f of plan.sideFiles) writeFileSync(path.join(root, f.path), f.content);
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
    let compiled = await compile({ config });
    const compileMs = ms(t0);
    if (!compiled.plan) throw new Error(JSON.stringify(compiled.diagnostics));
    const count = compiled.plan.bundles.length;
    const files = compiled.plan.bundles.reduce((n, b) => n + b.files.length, 0);
    const bytes = compiled.plan.bundles.reduce((n, b) => n + b.files.reduce((m, f) => m + f.content.length, 0), 0);

    const baseDir = path.join(work, 'baseline');
    mkdirSync(baseDir);
    const baseline = await plainWrites(baseDir, compiled.plan);

    const out = path.join(work, 'out');
    t0 = process.hrtime.bigint();
    await writeBuild(compiled.plan, out);
    const writeMs = ms(t0);
    compiled = undefined; // each phase below starts without the others' data in memory

    rmSync(out, { recursive: true });
    t0 = process.hrtime.bigint();
    let full = await build({ config, out });
    const fullMs = ms(t0);
    const stats = full.stats;
    if (!full.ok) throw new Error('full build failed');
    full = undefined;
    t0 = process.hrtime.bigint();
    const again = await build({ config, out });
    const rebuildMs = ms(t0);
    if (!again.ok || again.report.unchanged.length !== 10_000) throw new Error('rebuild was not a no-op');

    console.log(`build: ${count} bundles, ${files} files, ${(bytes / 1e6).toFixed(1)} MB on ${SHM}`);
    console.log(`  baseline (plain Node loop, same files and bytes): ${fmt(baseline)}`);
    console.log(`  compile only (load, expand, resolve, render, hash): ${fmt(compileMs)}`);
    console.log(`  write only (atomic, incremental): ${fmt(writeMs)}   ratio to baseline ${(writeMs / baseline).toFixed(2)}x`);
    console.log(`  full build (compile + write):     ${fmt(fullMs)}   ratio to baseline ${(fullMs / baseline).toFixed(2)}x  (target <= 2x; ${stats.renderedHere} rendered on the main thread, ${stats.renderedOnWorkers} on ${stats.workers} worker(s), files written by a staging thread)`);
    console.log(`  rebuild, nothing changed:         ${fmt(rebuildMs)}   ratio to full build ${(rebuildMs / fullMs).toFixed(2)}x  (target <= 0.3x)`);
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

/** A config with N tiny bundles (bash or slurm), built into `work/out`. */
async function tinySweep(work, n, scheduler, command = 'true') {
  const config = path.join(work, 'config.yaml');
  writeFileSync(config, ['experiment:', `  i: "[1-${n}]"`, `scheduler: ${scheduler}`, 'run:', `  command: "${command}"`, 'sweep:', '  limit: 100000', ''].join('\n'));
  const out = path.join(work, 'out');
  const r = await build({ config, out });
  if (!r.ok) throw new Error(JSON.stringify(r.diagnostics));
  return out;
}

const SSH_CONFIG = '/var/lib/eegen-test/ssh_config';

/** Status of 1,000 submitted bundles on one ssh host: one round trip. */
async function benchStatus() {
  if (!existsSync(SSH_CONFIG)) return console.log('status: skipped (no test sshd; run bash scripts/setup-test-env.sh)');
  const work = mkdtempSync(path.join(os.tmpdir(), 'eegen-bench-'));
  try {
    const out = await tinySweep(work, 1000, 'bash', 'sleep 300');
    writeFileSync(path.join(work, 'hosts.yaml'), `hosts:\n  box: {kind: ssh, hostname: eegen-test, ssh_config: ${SSH_CONFIG}, workdir: ${work}/remote, slots: 2}\n`);
    const { inventory } = await loadInventory(path.join(work, 'hosts.yaml'));
    const box = inventory.hosts.get('box');
    let t0 = process.hrtime.bigint();
    const sub = await submit({ out, hosts: [box] });
    const submitMs = ms(t0);
    // 1,000 runs start at once and queue behind the slot limit; let that burst settle
    // (queued runs wait in the kernel), so status is timed on a quiet host.
    for (let i = 0; i < 60; i++) {
      const t = process.hrtime.bigint();
      execSync(`ssh -F ${SSH_CONFIG} eegen-test true`);
      if (ms(t) < 300) break;
      await new Promise((r) => setTimeout(r, 1000));
    }
    const runs = [];
    for (let i = 0; i < 3; i++) {
      t0 = process.hrtime.bigint();
      const st = await status({ out, hosts: [box] });
      runs.push(ms(t0));
      if (st.bundles.length !== 1000) throw new Error('status lost bundles');
    }
    const t1 = process.hrtime.bigint();
    execSync(`ssh -F ${SSH_CONFIG} eegen-test true`);
    const rtt = ms(t1);
    await cancel({ out, hosts: [box] });
    console.log(`status: 1,000 bundles on one ssh host (${sub.hosts[0].submitted.length} submitted in ${fmt(submitMs)}, 3 round trips)`);
    console.log(`  status: ${runs.map(fmt).join(', ')} (target well under 2 s); a bare ssh round trip: ${fmt(rtt)}; ratio ${(Math.min(...runs) / rtt).toFixed(1)}x`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/**
 * `eegen status` (the whole CLI process) of 10,000 built, unsubmitted bundles (issue 10 §3:
 * 22 s before): nobody to ask; and with the local host named, one round trip that reads
 * nothing more of a bundle without a job id.
 */
async function benchUnsubmitted() {
  const work = mkdtempSync(path.join(SHM, 'eegen-bench-'));
  const bin = path.join(import.meta.dirname, '..', 'bin', 'eegen.js');
  const cli = (args) => {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', cwd: work });
    if (r.status !== 0) throw new Error(`eegen ${args.join(' ')}: ${r.stderr}`);
    return ms(t0);
  };
  try {
    const out = await tinySweep(work, 10_000, 'bash');
    const plain = [0, 1, 2].map(() => cli(['status', out]));
    const named = [0, 1, 2].map(() => cli(['status', out, '--host', 'local']));
    console.log('unsubmitted: eegen status of 10,000 built, unsubmitted bundles (the whole CLI process)');
    console.log(`  no host asked: ${plain.map(fmt).join(', ')}; --host local (one round trip): ${named.map(fmt).join(', ')} (target well under 2 s; was 22 s)`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** 1,000 bundles to the local Slurm: job arrays versus one sbatch per bundle. */
async function benchArrays() {
  try {
    execSync('scontrol ping', { stdio: 'ignore' });
  } catch {
    return console.log('arrays: skipped (no Slurm; run bash scripts/setup-test-env.sh)');
  }
  const work = mkdtempSync(path.join(os.tmpdir(), 'eegen-bench-'));
  // Submit held (sbatch reads SBATCH_HOLD), so jobs running meanwhile do not skew the timing.
  process.env.SBATCH_HOLD = '1';
  try {
    const host = { name: 'cluster', kind: 'slurm', scheduler: 'slurm', slots: 50 };
    // Time the submission step itself (verify + sbatch) apart from the status and copy steps.
    const phases = {};
    const timed = {
      async run(cmd, o) {
        const t = process.hrtime.bigint();
        const r = await realRunner.run(cmd, o);
        const key = cmd.purpose.split(' ')[0];
        phases[key] = (phases[key] ?? 0) + ms(t);
        return r;
      },
    };
    const outA = await tinySweep(path.join(work), 1000, 'slurm');
    let t0 = process.hrtime.bigint();
    const a = await submit({ out: outA, hosts: [{ ...host, workdir: path.join(work, 'wa') }], array: true, runner: timed });
    const arraySubmitMs = phases.verify;
    delete phases.verify;
    const arrayMs = ms(t0);
    execSync(`scancel ${[...new Set(a.hosts[0].submitted.map((s) => s.jobId.replace(/^slurm:/, '').replace(/_.*/, '')))].join(' ')}`);
    const work2 = mkdtempSync(path.join(os.tmpdir(), 'eegen-bench-'));
    const outB = await tinySweep(work2, 1000, 'slurm');
    t0 = process.hrtime.bigint();
    const b = await submit({ out: outB, hosts: [{ ...host, workdir: path.join(work2, 'wb') }], runner: timed });
    const singleMs = ms(t0);
    const singleSubmitMs = phases.verify;
    execSync(`scancel ${b.hosts[0].submitted.map((s) => s.jobId.replace(/^slurm:/, '')).join(' ')}`);
    rmSync(work2, { recursive: true, force: true });
    delete process.env.SBATCH_HOLD;
    console.log(`arrays: 1,000 bundles to the local Slurm, submitted held (submit includes status, copy and checksum verification)`);
    console.log(`  whole submit: as arrays ${fmt(arrayMs)} (${new Set(a.hosts[0].submitted.map((s) => s.jobId.replace(/_.*/, ''))).size} arrays); one sbatch per bundle ${fmt(singleMs)}; ratio ${(singleMs / arrayMs).toFixed(1)}x`);
    console.log(`  submission step (verify + sbatch): arrays ${fmt(arraySubmitMs)}; per bundle ${fmt(singleSubmitMs)}; ratio ${(singleSubmitMs / arraySubmitMs).toFixed(1)}x (target >= 20x)`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/**
 * The whole CLI process (`node bin/eegen.js build`), for each kind of template users have:
 * the built-in Eta template, a user's own Eta template, and a cloudmesh-style one (the
 * Cloudmask fixture's). Baseline, measured in the same run: starting Node (`node -e 0`)
 * plus a plain Node loop writing the same files.
 */
async function benchTemplates() {
  const work = mkdtempSync(path.join(SHM, 'eegen-bench-'));
  const bin = path.join(import.meta.dirname, '..', 'bin', 'eegen.js');
  const cli = (args) => {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`eegen ${args.join(' ')}: ${r.stderr}`);
    return ms(t0);
  };
  try {
    const n = Number(process.env.EEGEN_BENCH_BUNDLES ?? 10_000);
    const sweep = ['experiment:', '  epoch: "[1-10]"', '  lr: "[1-10]"', `  repeat: "[1-${Math.max(1, Math.round(n / 100))}]"`];
    const own = ['application:', '  name: bench', 'scheduler: slurm', 'resources: {nodes: 1, time: "02:00:00", mem: 32G}', ...sweep, 'run:', '  command: python train.py --epochs {experiment.epoch} --lr {experiment.lr}', ''].join('\n');
    writeFileSync(path.join(work, 'own.yaml'), own);
    writeFileSync(path.join(work, 'job.slurm.eta'), readFileSync(path.join(import.meta.dirname, '..', 'templates', 'slurm.eta')));
    const cm = readFileSync(path.join(import.meta.dirname, '..', 'fixtures', 'cloudmask', 'config.yaml'), 'utf8')
      .replace('epoch: "1,30,60"', `epoch: "[1-${Math.round(n / 100)}]"`)
      .replace('repeat: "1,2,3,4,5"', 'repeat: "[1-50]"');
    // The shape issue 9 measured: a 30-line cloudmesh template with placeholders on every
    // line and a config value holding a deferred {os.USER}.
    const dense = ['application:', '  name: dense', 'data:', '  root: "/scratch/{os.USER}/{application.name}"', '  out: "{data.root}/out"', ...sweep, ''].join('\n');
    writeFileSync(path.join(work, 'dense.yaml'), dense);
    const lines = ['#!/bin/bash', '#SBATCH --job-name={application.name}-{experiment.epoch}-{experiment.lr}-{experiment.repeat}', '#SBATCH --time=01:00:00'];
    for (let i = lines.length; i < 30; i++) lines.push(`echo "step ${i}: {data.out}/{experiment.epoch}/{experiment.lr} repeat {experiment.repeat} on {application.name}"`);
    writeFileSync(path.join(work, 'dense.in.slurm'), `${lines.join('\n')}\n`);
    for (const f of ['cloudmask.in.slurm', 'cloudmask_v2.py']) writeFileSync(path.join(work, f), readFileSync(path.join(import.meta.dirname, '..', 'fixtures', 'cloudmask', f)));
    writeFileSync(path.join(work, 'cloudmask.yaml'), cm);
    const kinds = [
      ['built-in Eta (templates/slurm.eta)', 'own.yaml', []],
      ['user Eta template (job.slurm.eta)', 'own.yaml', ['--template', 'job.slurm.eta']],
      ['cloudmesh (cloudmask.in.slurm)', 'cloudmask.yaml', ['--template', 'cloudmask.in.slurm']],
      ['cloudmesh, 30 lines, placeholders on every line, deferred {os.USER}', 'dense.yaml', ['--template', 'dense.in.slurm']],
    ];
    const start = [0, 1, 2].map(() => {
      const t0 = process.hrtime.bigint();
      spawnSync(process.execPath, ['-e', '0']);
      return ms(t0);
    });
    const nodeStart = Math.min(...start);
    console.log(`templates: the whole CLI process (eegen build), ${n.toLocaleString('en-US')} bundles per kind (EEGEN_BENCH_BUNDLES), on ${SHM}; node start ${fmt(nodeStart)}`);
    for (const [name, config, extra] of kinds) {
      const planned = await compile({ config: path.join(work, config), ...(extra.length ? { template: path.join(work, extra[1]) } : {}) });
      if (!planned.plan) throw new Error(JSON.stringify(planned.diagnostics));
      // The plain loop twice, into fresh folders, the faster counting (tmpfs timings wander).
      const loops = [];
      for (let k = 0; k < 2; k++) {
        const baseDir = path.join(work, `base-${k}`);
        mkdirSync(baseDir);
        loops.push(await plainWrites(baseDir, planned.plan));
        rmSync(baseDir, { recursive: true, force: true });
      }
      const baseline = nodeStart + Math.min(...loops);
      const out = path.join(work, `out-${kinds.findIndex((k) => k[0] === name)}`);
      const args = ['build', path.join(work, config), ...extra.map((a) => (a.startsWith('--') ? a : path.join(work, a))), '--out', out];
      const dry = cli([...args, '--dry-run']);
      const full = cli(args);
      const again = cli(args);
      rmSync(out, { recursive: true, force: true });
      console.log(`  ${name}: ${planned.plan.bundles.length} bundles; CLI build ${fmt(full)} (${(full / baseline).toFixed(2)}x the baseline ${fmt(baseline)}; target <= 2x); --dry-run ${fmt(dry)}; no-op rebuild ${fmt(again)} (${(again / full).toFixed(2)}x the build)`);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** eegen predict on a 10,000-row study (target: under 1 s): 2 GPUs x 50 epochs x 100 repeats, 40% finished. */
async function benchPredict() {
  const work = mkdtempSync(path.join(SHM, 'eegen-bench-'));
  try {
    const bundles = [];
    const rows = [];
    let i = 0;
    for (const gpu of ['a100', 'v100'])
      for (let epoch = 1; epoch <= 50; epoch++)
        for (let repeat = 1; repeat <= 100; repeat++) {
          const id = `gpu-${gpu}_epoch-${epoch}_repeat-${repeat}`;
          bundles.push({ id, dir: id, index: i++, script: 'job.slurm', scheduler: 'slurm', hash: '0'.repeat(64), params: { gpu, epoch, repeat } });
          const done = epoch <= 20;
          rows.push(done ? { id, gpu, epoch, repeat, host: gpu === 'a100' ? 'rivanna' : 'greene', state: 'done', duration_s: (gpu === 'a100' ? 20 : 40) + 7 * epoch + (i % 13) / 3, energy_j: 900 * epoch } : { id, gpu, epoch, repeat, state: 'unsubmitted' });
        }
    writeFileSync(path.join(work, 'index.json'), JSON.stringify({ eegen: 'bench', schema: 'x', varying: ['gpu', 'epoch', 'repeat'], count: bundles.length, bundles }));
    writeFileSync(path.join(work, 'results.jsonl'), rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
    const times = [];
    for (let k = 0; k < 3; k++) {
      const t0 = process.hrtime.bigint();
      const r = await predict({ out: work });
      times.push(ms(t0));
      if (r.total.bundles !== 6000) throw new Error(`predict: ${r.total.bundles} predicted`);
    }
    console.log(`predict: 10,000-row study (4,000 finished, 6,000 predicted), ${times.map(fmt).join(', ')} (target < 1000 ms)`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/**
 * eegen report of a 10,000-row study in the shape of fixtures/report/cloudmask-study
 * (MLLOG histories, timers, energy, fingerprints; 2% failed, 1% timed out): 10 epochs x
 * 4 GPUs x 250 repeats. The whole CLI process, start-up included (target: under 5 s).
 */
async function benchReport() {
  const work = mkdtempSync(path.join(SHM, 'eegen-bench-'));
  try {
    let seed = 7;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    const gpus = { a100: 95, v100: 170, h100: 60, rtx3090: 210 };
    const bundles = [];
    const rows = [];
    let index = 0;
    for (let epoch = 1; epoch <= 10; epoch++)
      for (const [gpu, perEpoch] of Object.entries(gpus))
        for (let repeat = 1; repeat <= 250; repeat++) {
          const id = `epoch-${epoch}_gpu-${gpu}_repeat-${repeat}`;
          const hash = String(index).padStart(64, '0');
          bundles.push({ id, dir: id, index: index++, script: 'cloudmask.slurm', scheduler: 'slurm', hash, params: { epoch, gpu, repeat } });
          const base = { id, epoch, gpu, repeat, host: gpu === 'v100' ? 'greene' : 'rivanna', jobId: `slurm:${4000 + index}`, run: 1, bundleHash: hash, runHash: hash, eegen: '0.1.0', 'fp.gpu': gpu, 'fp.cpu': 'AMD EPYC 7742' };
          const start = Date.UTC(2026, 10, 20) + index * 60_000;
          const iso = (t) => new Date(t).toISOString().replace(/\.\d+Z$/, 'Z');
          const duration = Math.round((40 + perEpoch * epoch) * (0.95 + 0.1 * rand()) * 10) / 10;
          const r = rand();
          if (r < 0.02) {
            rows.push({ ...base, state: 'failed', exitCode: 1, start: iso(start), end: iso(start + 61_000), duration_s: 61 });
            continue;
          }
          if (r < 0.03) {
            rows.push({ ...base, state: 'timeout', exitCode: null, start: iso(start), end: iso(start + 3_600_000), duration_s: 3600 });
            continue;
          }
          const history = [];
          let acc = 0.62 + 0.03 * rand();
          let loss = 0.7;
          for (let e = 1; e <= epoch; e++) {
            acc = Math.round(Math.min(0.95, acc + (0.12 / e) * (0.8 + 0.4 * rand())) * 1000) / 1000;
            loss = Math.round(Math.max(0.1, loss * (0.7 + 0.1 * rand())) * 1000) / 1000;
            history.push({ epoch: e, accuracy: acc, val_accuracy: Math.round((acc - 0.02) * 1000) / 1000, loss, val_loss: Math.round((loss + 0.03) * 1000) / 1000 });
          }
          const training = Math.round(duration * 0.8 * 10) / 10;
          rows.push({ ...base, state: 'done', exitCode: 0, start: iso(start), end: iso(start + duration * 1000), duration_s: duration, 'timer.total': duration, 'timer.training': training, accuracy: acc, loss, history, 'result.inference_accuracy': Math.round((acc - 0.01) * 1000) / 1000, energy_j: Math.round(300 * training), energy_method: 'nvml-counter' });
        }
    writeFileSync(path.join(work, 'index.json'), JSON.stringify({ eegen: '0.1.0', schema: 'https://eegen.dev/schemas/config/1', name: 'cloudmask', varying: ['epoch', 'gpu', 'repeat'], count: bundles.length, bundles }));
    writeFileSync(path.join(work, 'results.jsonl'), rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
    const bin = path.join(import.meta.dirname, '..', 'bin', 'eegen.js');
    const times = [];
    for (let k = 0; k < Number(process.env.EEGEN_BENCH_RUNS ?? 3); k++) {
      rmSync(path.join(work, 'report'), { recursive: true, force: true });
      const t0 = process.hrtime.bigint();
      const r = spawnSync(process.execPath, [...(process.env.EEGEN_BENCH_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.EEGEN_BENCH_PROF}`] : []), bin, 'report', work], { encoding: 'utf8' });
      times.push(ms(t0));
      if (r.status !== 0) throw new Error(`eegen report: ${r.stderr}`);
    }
    const html = readFileSync(path.join(work, 'report', 'report.html'));
    console.log(`report: 10,000-row study (CLI process, summary.md + report.html + SVG/PNG charts), ${times.map(fmt).join(', ')} (target < 5000 ms); report.html ${(html.length / 1e6).toFixed(1)} MB`);
  } finally {
    if (process.env.EEGEN_BENCH_KEEP) console.log(`  kept ${work}`);
    else rmSync(work, { recursive: true, force: true });
  }
}

/**
 * A fan-out/fan-in workflow of 1,000 trivial local nodes (fetch -> 998 compute -> analyze,
 * each an echo into a file), 64 at a time on this machine. Targets (issue 11): wall < 10 s,
 * coordinator CPU < 3 s, the workflow reported done within 1 s of its last node's end (the
 * `end` event its run wrapper wrote), status of the graph < 1 s. Also printed: the load
 * average before and after (other work on the machine counts), and the run wrapper's own CPU
 * per trivial run (40 runs of one node's bundle, one after the other).
 */
async function benchWorkflow() {
  const work = mkdtempSync(path.join(SHM, 'eegen-bench-'));
  try {
    const n = Number(process.env.EEGEN_BENCH_NODES ?? 998);
    const lines = ['workflow:', '  nodes:', '    fetch:', '      exec: echo fetched > data.txt'];
    for (let i = 1; i <= n; i++) lines.push(`    c${i}:`, `      exec: echo ${i} > out.txt`, '      needs: fetch');
    lines.push('    analyze:', '      exec: echo done > summary.txt', `      needs: c[1-${n}]`, '');
    writeFileSync(path.join(work, 'hosts.yaml'), 'hosts:\n  box:\n    kind: local\n    slots: 64\n');
    writeFileSync(path.join(work, 'fanout.yaml'), lines.join('\n').replace(/exec:/g, 'host: box\n      exec:'));
    const load0 = os.loadavg()[0];
    const t0 = process.hrtime.bigint();
    const c0 = process.cpuUsage();
    const loaded = await loadWorkflow(path.join(work, 'fanout.yaml'), { hostsFile: path.join(work, 'hosts.yaml') });
    if (!loaded.spec) throw new Error(JSON.stringify(loaded.diagnostics.slice(0, 3)));
    const tl = ms(t0);
    let finishedAt = 0;
    const r = await runWorkflow(loaded.spec, { pollMs: 1000, onEvent: (e) => void (e.type === 'finished' && (finishedAt = Date.now())) });
    const wall = ms(t0);
    const cpu = process.cpuUsage(c0);
    const lastEnd = Math.max(...r.nodes.map((s) => (s.ended ? Date.parse(s.ended) : 0)));
    const s0 = process.hrtime.bigint();
    await workflowStatus(loaded.spec);
    const st = ms(s0);
    const load1 = os.loadavg()[0];
    // The wrapper alone: the analyze node's bundle run again and again (its fingerprint cached after the first).
    const bundle = path.join(work, '.eegen-workflow', 'fanout.yaml', 'hosts', 'box', 'analyze');
    const runs = 40;
    const w = spawnSync('bash', ['-c', `for i in $(seq ${runs}); do bash eegen-run.sh run.sh >/dev/null 2>&1; done; times`], { cwd: bundle, encoding: 'utf8' });
    const [, child = '0m0s 0m0s'] = w.stdout.trim().split('\n');
    const secs = child.split(/\s+/).map((x) => { const m = /(\d+)m([\d.]+)s/.exec(x); return m ? Number(m[1]) * 60 + Number(m[2]) : 0; });
    const wrapper = ((secs[0] + secs[1]) * 1000) / runs;
    console.log(`workflow: ${n + 2} local nodes (fetch -> ${n} -> analyze, 64 slots): ${r.ok ? 'ok' : 'FAILED'}; load ${fmt(tl)}, wall ${fmt(wall)} (target < 10000 ms), coordinator CPU ${fmt((cpu.user + cpu.system) / 1000)} (target < 3000 ms), done noticed ${fmt(finishedAt - lastEnd)} after the last end (target < 1000 ms), status ${fmt(st)} (target < 1000 ms); run wrapper ${wrapper.toFixed(1)} ms CPU per trivial run; load average ${load0.toFixed(1)} -> ${load1.toFixed(1)}`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/**
 * Peak RSS and wall time of whole `eegen build --force` processes, per sweep size (default
 * 10,000 and 100,000; EEGEN_BENCH_MEMORY_N=10000,100000,1000000 for more: 1,000,000
 * bundles are ~36 GB on disk). Each build goes to SHM and is removed after. The peak RSS is
 * the process's own (getrusage), not noisy; wall time is, so the load average is printed.
 */
async function benchMemory() {
  const sizes = (process.env.EEGEN_BENCH_MEMORY_N ?? '10000,100000').split(',').map(Number);
  const bin = path.resolve(import.meta.dirname, '..', 'bin', 'eegen.js');
  // The CLI run by a wrapper that prints the process's peak RSS as it exits (a file: worker threads inherit node's flags, -e included).
  const wrapperText = `process.on('exit', () => process.stderr.write('\\nMAXRSS ' + process.resourceUsage().maxRSS + '\\n'));\nawait import(${JSON.stringify(pathToFileURL(bin).href)});\n`;
  for (const n of sizes) {
    const work = mkdtempSync(path.join(SHM, 'eegen-bench-'));
    try {
      // Three swept lists: 50 x 50 x 40 = 100,000 (and their like for other sizes: n / 40 split near its square root).
      const c = 40;
      let a = Math.max(1, Math.floor(Math.sqrt(n / c)));
      while (a > 1 && (n / c) % a !== 0) a--;
      const b = Math.round(n / c / a);
      const wrapper = path.join(work, 'peak-rss.mjs');
      writeFileSync(wrapper, wrapperText);
      const config = path.join(work, 'config.yaml');
      writeFileSync(config, ['application:', '  name: cloudmask', 'data: "/scratch/{os.USER}/{application.name}"', 'scheduler: slurm', 'resources: {nodes: 1, time: "02:00:00", mem: 32G}', 'experiment:', `  epoch: "[1-${a}]"`, `  lr: "[1-${b}]"`, `  batch: "[1-${c}]"`, 'run:', '  command: python train.py --epochs {experiment.epoch} --lr {experiment.lr} --batch {experiment.batch}', ''].join('\n'));
      const load0 = os.loadavg()[0];
      const t0 = process.hrtime.bigint();
      const r = spawnSync(process.execPath, [wrapper, 'build', config, '--out', path.join(work, 'out'), '--force', '-q'], { encoding: 'utf8' });
      const wall = ms(t0);
      const peak = Number(/MAXRSS (\d+)/.exec(r.stderr)?.[1] ?? NaN) / 1024;
      if (r.status !== 0) throw new Error(`memory: build of ${a * b * c} failed: ${r.stderr}`);
      console.log(`memory: ${(a * b * c).toLocaleString('en-US')} bundles: peak RSS ${peak.toFixed(0)} MiB (target <= 256 MB), wall ${fmt(wall)} (${((wall * 1000) / (a * b * c)).toFixed(0)} us a bundle); load average ${load0.toFixed(1)} -> ${os.loadavg()[0].toFixed(1)}`);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }
}

const benches = { build: benchBuild, templates: benchTemplates, plan: benchPlan, status: benchStatus, unsubmitted: benchUnsubmitted, arrays: benchArrays, predict: benchPredict, report: benchReport, workflow: benchWorkflow, memory: benchMemory };
for (const [name, fn] of Object.entries(benches)) {
  if (!only || only === name) await fn();
}
