/**
 * Two `eegen report` processes into one directory, and one killed while it writes: the
 * directory always ends as one whole report whose record (.eegen-report.json) matches every
 * file in it, and the next report is never refused as if the files were not eegen's.
 * Real CLI processes.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, eegen, ROOT } from '../support/cli.js';
import { tmpDir } from '../support/tree.js';

const STUDY = 'fixtures/report/cloudmask-study';
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** A copy of the fixture study whose first `failed` runs are `done`: a different report. */
function variant(n: number): string {
  const out = tmpDir('eegen-report-variant-');
  cpSync(STUDY, out, { recursive: true });
  const rows = readFileSync(path.join(out, 'results.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
  for (let i = 0; i < n; i++) rows[i]!.duration_s = 1000 + 100 * n + i;
  writeFileSync(path.join(out, 'results.jsonl'), rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
  return out;
}

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    p.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Every file the record lists is there with the recorded bytes, and no other report file is. */
function checkWhole(dir: string): Record<string, string> {
  const record = JSON.parse(readFileSync(path.join(dir, '.eegen-report.json'), 'utf8')) as { files: Record<string, string>; previous?: unknown };
  expect(record.previous, 'a finished report leaves no previous hashes').toBeUndefined();
  for (const [rel, hash] of Object.entries(record.files)) expect(sha(readFileSync(path.join(dir, rel))), rel).toBe(hash);
  const charts = readdirSync(path.join(dir, 'charts')).map((f) => `charts/${f}`);
  for (const c of charts) expect(Object.keys(record.files), `${c} is not in the record`).toContain(c);
  expect(existsSync(path.join(dir, '.eegen-report.lock'))).toBe(false);
  return record.files;
}

describe('eegen report: two at once, and a kill while writing (real processes)', () => {
  it('three reports of different studies into one directory at once: all succeed, one whole report remains, the next is not refused', async () => {
    const dir = path.join(tmpDir('eegen-report-shared-'), 'r');
    const studies = [variant(1), variant(2), variant(3)];
    const results = await Promise.all(studies.map((s) => run(['report', s, '--out', dir])));
    for (const r of results) expect(r.code, r.stderr).toBe(0);
    const files = checkWhole(dir);
    // The summary is one of the three studies' (whole), not a mix.
    const summary = readFileSync(path.join(dir, 'summary.md'), 'utf8');
    expect(studies.filter((s) => summary.includes(s)).length).toBe(1);
    expect(files['summary.md']).toBe(sha(Buffer.from(summary)));
    const next = eegen(['report', STUDY, '--out', dir]);
    expect(next.code, next.stderr).toBe(0);
    checkWhole(dir);
  });

  it('a report waits while another holds the directory (a live lock), writes nothing meanwhile, then writes; a dead holder is taken over', async () => {
    const dir = path.join(tmpDir('eegen-report-held-'), 'r');
    mkdirSync(dir, { recursive: true });
    const lock = path.join(dir, '.eegen-report.lock');
    // Held by a live process: this test's.
    writeFileSync(lock, JSON.stringify({ pid: process.pid, host: hostname() }));
    const waiting = run(['report', STUDY, '--out', dir]);
    await new Promise((r) => setTimeout(r, 6000));
    expect(existsSync(path.join(dir, 'summary.md')), 'wrote while the lock was held').toBe(false);
    expect(existsSync(path.join(dir, '.eegen-report.json'))).toBe(false);
    rmSync(lock);
    const r = await waiting;
    expect(r.code, r.stderr).toBe(0);
    checkWhole(dir);
    // A lock left by a process that is gone (kill -9): taken over at once.
    const dead = spawn('true');
    await new Promise((res) => dead.on('close', res));
    writeFileSync(lock, JSON.stringify({ pid: dead.pid, host: hostname() }));
    const t0 = Date.now();
    const again = eegen(['report', variant(6), '--out', dir]);
    expect(again.code, again.stderr).toBe(0);
    expect(Date.now() - t0).toBeLessThan(30_000);
    checkWhole(dir);
  });

  it('killed -9 at several moments while reporting: the next report always succeeds and is whole', async () => {
    const dir = path.join(tmpDir('eegen-report-killed-'), 'r');
    expect(eegen(['report', STUDY, '--out', dir]).code).toBe(0);
    for (const [i, ms] of [300, 900, 1500, 2100, 2700].entries()) {
      const p = spawn(process.execPath, [BIN, 'report', variant(i + 1), '--out', dir], { cwd: ROOT, stdio: 'ignore' });
      const closed = new Promise((r) => p.on('close', r));
      await new Promise((r) => setTimeout(r, ms));
      p.kill('SIGKILL');
      await closed;
    }
    const next = eegen(['report', STUDY, '--out', dir]);
    expect(next.code, next.stderr).toBe(0);
    checkWhole(dir);
  });

  it('the state a kill leaves halfway through writing (some files new, some old, the record naming both): the next report replaces them all', () => {
    const dir = path.join(tmpDir('eegen-report-half-'), 'r');
    const other = path.join(tmpDir('eegen-report-other-'), 'r');
    expect(eegen(['report', STUDY, '--out', dir]).code).toBe(0);
    expect(eegen(['report', variant(4), '--out', other]).code).toBe(0);
    const before = JSON.parse(readFileSync(path.join(dir, '.eegen-report.json'), 'utf8')) as { files: Record<string, string> };
    const after = JSON.parse(readFileSync(path.join(other, '.eegen-report.json'), 'utf8')) as { files: Record<string, string> };
    // What the writer records before it writes: the new hashes, and the old ones as previous.
    const previous = Object.fromEntries(Object.entries(before.files).filter(([rel, h]) => after.files[rel] !== h));
    expect(Object.keys(previous).length).toBeGreaterThan(1);
    writeFileSync(path.join(dir, '.eegen-report.json'), JSON.stringify({ version: 1, files: after.files, previous }, null, 2) + '\n');
    // ... and then got through half of the files before the kill.
    const changed = Object.keys(previous);
    for (const rel of changed.slice(0, Math.ceil(changed.length / 2))) cpSync(path.join(other, rel), path.join(dir, rel));
    const next = eegen(['report', variant(5), '--out', dir]);
    expect(next.code, next.stderr).toBe(0);
    checkWhole(dir);
    // A file edited by the user is still refused, also in that state.
    writeFileSync(path.join(dir, 'summary.md'), '# mine now\n');
    const refused = eegen(['report', STUDY, '--out', dir]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/EG8101: .*summary\.md exists and was changed since eegen report wrote it/);
    expect(readFileSync(path.join(dir, 'summary.md'), 'utf8')).toBe('# mine now\n');
  });
});
