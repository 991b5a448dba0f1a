import { execSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { exited, makeBundle, readRun, removeTemps, startWrapper, tempDir } from './helpers.js';

afterAll(removeTemps);

/** 5 bundles launched at once with EEGEN_SLOTS=2: at most 2 run at any time, all finish. */
async function fiveOnTwoSlots(extraEnv: Record<string, string>) {
  const parent = tempDir('eegen-slots-');
  const slotsDir = path.join(parent, 'slots');
  const log = path.join(parent, 'times.log');
  const dirs = [1, 2, 3, 4, 5].map((n) =>
    makeBundle(`echo "$(date +%s%N) start ${n}" >> "${log}"\nsleep 0.4\necho "$(date +%s%N) end ${n}" >> "${log}"`, { parent, name: `b${n}` }),
  );
  const t0 = Date.now();
  const results = await Promise.all(dirs.map((d) => exited(startWrapper(d, { EEGEN_SLOTS: '2', EEGEN_SLOTS_DIR: slotsDir, ...extraEnv }))));
  const ms = Date.now() - t0;
  expect(results.map((r) => r.code)).toEqual([0, 0, 0, 0, 0]);

  // Sweep over start/end times: never more than 2 at once.
  const points = readFileSync(log, 'utf8')
    .trim()
    .split('\n')
    .map((l) => l.split(' '))
    .map(([t, kind]) => ({ t: BigInt(t!), d: kind === 'start' ? 1 : -1 }))
    .sort((a, b) => (a.t === b.t ? a.d - b.d : a.t < b.t ? -1 : 1));
  expect(points.length).toBe(10);
  let running = 0;
  let most = 0;
  for (const p of points) {
    running += p.d;
    most = Math.max(most, running);
  }
  expect(most).toBeLessThanOrEqual(2);
  expect(ms).toBeGreaterThanOrEqual(1200); // at least 3 rounds of 0.4 s

  const runs = dirs.map((d) => readRun(d));
  for (const r of runs) expect(r.summary).toMatchObject({ exitCode: 0, signal: null });
  const queued = runs.filter((r) => r.raw.some((e) => e.event === 'queued'));
  expect(queued.length).toBeGreaterThanOrEqual(1); // usually 3; fewer when a loaded machine starts them late
  for (const r of queued) expect(r.raw.filter((e) => e.event === 'queued')).toHaveLength(1); // written once
  for (const r of runs) expect([1, 2]).toContain(r.raw.find((e) => e.event === 'start')?.slot);
  return slotsDir;
}

describe.concurrent('eegen-run.sh concurrency slots', () => {
  it('flock: 5 runs on 2 slots never overlap more than 2, all finish', async () => {
    await fiveOnTwoSlots({});
  });

  it('mkdir locks (no flock): same guarantee, and the locks are released', async () => {
    const slotsDir = await fiveOnTwoSlots({ EEGEN_SLOTS_LOCK: 'mkdir' });
    expect(readdirSync(slotsDir)).toEqual([]);
  });

  it('mkdir locks: a lock whose owner is dead is taken over at once', async () => {
    const parent = tempDir('eegen-slots-');
    const slotsDir = path.join(parent, 'slots');
    mkdirSync(path.join(slotsDir, 'slot.1.lock'), { recursive: true });
    writeFileSync(path.join(slotsDir, 'slot.1.lock', 'pid'), `${execSync('hostname', { encoding: 'utf8' }).trim()} 999999999\n`);
    const dir = makeBundle('true', { parent });
    const { code } = await exited(startWrapper(dir, { EEGEN_SLOTS: '1', EEGEN_SLOTS_DIR: slotsDir, EEGEN_SLOTS_LOCK: 'mkdir' }));
    expect(code).toBe(0);
    const { summary, raw } = readRun(dir);
    expect(summary.exitCode).toBe(0);
    expect(raw.map((e) => e.event)).not.toContain('queued');
    expect(readdirSync(slotsDir)).toEqual([]);
  });

  it('mkdir locks: a lock left without a pid file (owner died after mkdir) is taken over after ~2 s', async () => {
    const parent = tempDir('eegen-slots-');
    const slotsDir = path.join(parent, 'slots');
    const lock = path.join(slotsDir, 'slot.1.lock');
    mkdirSync(lock, { recursive: true });
    const old = new Date(Date.now() - 60_000);
    utimesSync(lock, old, old);
    const dir = makeBundle('true', { parent });
    const { code } = await exited(startWrapper(dir, { EEGEN_SLOTS: '1', EEGEN_SLOTS_DIR: slotsDir, EEGEN_SLOTS_LOCK: 'mkdir' }));
    expect(code).toBe(0);
    const { summary, raw } = readRun(dir);
    const queued = raw.find((e) => e.event === 'queued');
    const waited = Date.parse(summary.started!) - Date.parse(queued?.ts as string);
    expect(waited).toBeGreaterThanOrEqual(1000);
    expect(waited).toBeLessThan(5000);
  });
});
