/**
 * Fake bundles for the run wrapper tests: a temp dir with runtime/eegen-run.sh copied in as
 * eegen-run.sh and a job script with the hook inserted, run for real with bash.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { insertHook, wrapperText } from '../../src/bundle/wrapper.js';
import { parseEvents, summarizeRun } from '../../src/results/index.js';
import type { RunEvent, RunSummary } from '../../src/results/index.js';

export const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');

const temps: string[] = [];

/** A fresh temp dir, removed by removeTemps() (call it in afterAll). */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  temps.push(dir);
  return dir;
}

export function removeTemps(): void {
  for (const dir of temps.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** A bundle dir under `parent` (a fresh temp dir by default) with `job.sh` = hook + body. */
export function makeBundle(body: string, opts: { parent?: string; name?: string; header?: string } = {}): string {
  const parent = opts.parent ?? tempDir('eegen-run-');
  const dir = path.join(parent, opts.name ?? 'bundle-1');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'eegen-run.sh'), wrapperText());
  const header = opts.header ?? '#!/bin/bash\n# a generated job script\n';
  writeFileSync(path.join(dir, 'job.sh'), insertHook(`${header}${body}\n`));
  chmodSync(path.join(dir, 'job.sh'), 0o755);
  return dir;
}

export function eventsText(dir: string): string {
  const file = path.join(dir, 'eegen-run', 'events.jsonl');
  return existsSync(file) ? readFileSync(file, 'utf8') : '';
}

/** Every line must be valid JSON (the wrapper's own output is always), then the reader's view. */
export function readRun(dir: string): { events: RunEvent[]; summary: RunSummary; raw: Record<string, unknown>[] } {
  const text = eventsText(dir);
  const raw = text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  const { value, problems } = parseEvents(text);
  if (problems.length > 0) throw new Error(`events.jsonl problems: ${JSON.stringify(problems)}`);
  return { events: value, summary: summarizeRun(value), raw };
}

/** `bash job.sh` in the bundle dir, as jobs.sh / a user would. */
export function runJob(dir: string, env: Record<string, string> = {}, args: string[] = []) {
  const r = spawnSync('bash', ['job.sh', ...args], { cwd: dir, encoding: 'utf8', env: { ...process.env, ...env }, timeout: 20_000 });
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

/** The exit status of the script run plainly, without the wrapper (EEGEN_WRAPPED set). */
export function plainStatus(dir: string): number | null {
  return spawnSync('bash', ['job.sh'], { cwd: dir, env: { ...process.env, EEGEN_WRAPPED: '1', EEGEN_EVENTS: '/dev/null' }, timeout: 20_000 }).status;
}

export function startWrapper(dir: string, env: Record<string, string> = {}, args: string[] = ['job.sh']): ChildProcess {
  return spawn('bash', ['eegen-run.sh', ...args], { cwd: dir, env: { ...process.env, ...env }, stdio: 'ignore' });
}

export function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve({ code: child.exitCode, signal: child.signalCode });
    else child.once('exit', (code, signal) => resolve({ code, signal }));
  });
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function waitFor<T>(what: string, fn: () => T | undefined | false, timeoutMs = 10_000, stepMs = 50): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(stepMs);
  }
}

/** True while `pid` is a live process (a zombie left to an init that does not reap counts as gone). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return true; // no /proc: trust kill -0
  }
}

export function readPid(file: string): number {
  return Number(readFileSync(file, 'utf8').trim());
}

/** A directory with executables `name -> script text`, to put first on PATH. */
export function fakeBin(files: Record<string, string>): string {
  const dir = tempDir('eegen-fakebin-');
  for (const [name, text] of Object.entries(files)) {
    writeFileSync(path.join(dir, name), text);
    chmodSync(path.join(dir, name), 0o755);
  }
  return dir;
}
