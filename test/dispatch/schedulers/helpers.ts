/** Helpers for the scheduler adapter tests: run a command line, read fixtures, poll. */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { REPO_ROOT } from '../../support/env.js';

export interface ShResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run `command` with /bin/sh -c (as a login shell over ssh would), never rejects. */
export function sh(command: string, opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<ShResult> {
  return new Promise((done) => {
    execFile(
      '/bin/sh',
      ['-c', command],
      { cwd: opts.cwd, env: opts.env ?? process.env, timeout: opts.timeoutMs ?? 30_000, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        done({ code, stdout, stderr });
      },
    );
  });
}

export function fixture(...parts: string[]): string {
  return readFileSync(resolve(REPO_ROOT, 'fixtures', 'schedulers', ...parts), 'utf8');
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Poll `fn` until it returns a value other than undefined, or throw after timeoutMs. */
export async function until<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs: number, everyMs = 300): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await sleep(everyMs);
  }
}

/** Garbage every parser must survive. */
export const GARBAGE: unknown[] = [
  '',
  '\n\n',
  'JobId=',
  'JobId=abc JobState=',
  'JobId=12 ArrayJobId=x ArrayTaskId=--- JobState=???',
  '{"RECORDS": [null, 1, "x", {"JOBID": {}}]}',
  '{{{{',
  '|||||',
  '\u0000\u0001binary\uffff',
  'x'.repeat(100_000),
  'JobId=1 ArrayJobId=1 ArrayTaskId=0-4294967294 JobState=PENDING',
  undefined,
  null,
  42,
];
