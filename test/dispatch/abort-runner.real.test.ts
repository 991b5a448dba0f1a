/**
 * The runner's cancellation (real processes): an abort kills the command and everything
 * in its process group, promptly, and rejects with AbortError; what the command detached
 * (setsid, as the submit script does on a host) is left running, exactly as kill -9 of
 * eegen would leave it. A timeout kills the group too, and ends with code 124.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { AbortError, isAbortError, realRunner } from '../../src/index.js';
import { tmpDir } from '../support/tree.js';

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function pidsIn(file: string, n: number): Promise<number[]> {
  for (let i = 0; i < 200; i++) {
    if (existsSync(file)) {
      const pids = readFileSync(file, 'utf8').split(/\s+/).filter(Boolean).map(Number);
      if (pids.length >= n) return pids;
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`no pids in ${file}`);
}

async function gone(pid: number, ms = 3000): Promise<boolean> {
  for (const t0 = Date.now(); Date.now() - t0 < ms; ) {
    if (!alive(pid)) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return !alive(pid);
}

describe('realRunner and AbortSignal', () => {
  it('abort kills the command and its process group (a child it started, a grandchild) and rejects with AbortError within a second', async () => {
    const dir = tmpDir('eegen-abort-');
    const pids = path.join(dir, 'pids');
    // bash, a background sleep, and a sleep inside a subshell: all in the command's group.
    const script = `sleep 300 & echo $! >> ${pids}; ( sleep 301 & echo $! >> ${pids}; wait ) & echo $$ >> ${pids}; wait\n`;
    const ac = new AbortController();
    const p = realRunner.run({ argv: ['bash', '-s'], input: script, purpose: 'a long command' }, { signal: ac.signal });
    const [a, b, shell] = await pidsIn(pids, 3);
    for (const pid of [a!, b!, shell!]) expect(alive(pid)).toBe(true);
    const t0 = Date.now();
    ac.abort();
    const err = await p.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(err).toBeInstanceOf(AbortError);
    expect(isAbortError(err)).toBe(true);
    for (const pid of [a!, b!, shell!]) expect(await gone(pid), `pid ${pid}`).toBe(true);
  });

  it('what the command detached with setsid survives the abort (as the submit script on a host does)', async () => {
    const dir = tmpDir('eegen-abort-');
    const pids = path.join(dir, 'pids');
    const ac = new AbortController();
    const p = realRunner.run({ argv: ['bash', '-s'], input: `setsid bash -c 'echo $$ >> ${pids}; exec sleep 300' < /dev/null > /dev/null 2>&1 &\nsleep 300 & echo $! >> ${pids}; wait\n`, purpose: 'detach one' }, { signal: ac.signal });
    const found = await pidsIn(pids, 2);
    ac.abort();
    await expect(p).rejects.toSatisfy(isAbortError);
    // A killed process can take a moment to be reaped on a loaded machine (kill -0 still
    // finds it): give each its chance to go; the detached one stays.
    const goneNow = await Promise.all(found.map((pid) => gone(pid, 5000)));
    const survivors = found.filter((_, i) => !goneNow[i]);
    try {
      // The group's sleep is gone; the detached one (its own session) is still there.
      expect(survivors).toHaveLength(1);
      expect(readFileSync(`/proc/${survivors[0]}/cmdline`, 'utf8')).toContain('sleep');
    } finally {
      for (const pid of survivors) process.kill(pid, 'SIGKILL');
    }
  });

  it('an already aborted signal runs nothing', async () => {
    const dir = tmpDir('eegen-abort-');
    const ac = new AbortController();
    ac.abort();
    await expect(realRunner.run({ argv: ['touch', path.join(dir, 'ran')], purpose: 'touch' }, { signal: ac.signal })).rejects.toSatisfy(isAbortError);
    expect(existsSync(path.join(dir, 'ran'))).toBe(false);
  });

  it('a command that ends by itself keeps its answer; a timeout kills its group and ends with code 124', async () => {
    const ac = new AbortController();
    const ok = await realRunner.run({ argv: ['bash', '-c', 'echo hi'], purpose: 'echo' }, { signal: ac.signal });
    expect(ok).toEqual({ code: 0, stdout: 'hi\n', stderr: '' });
    const dir = tmpDir('eegen-abort-');
    const pids = path.join(dir, 'pids');
    const t0 = Date.now();
    const r = await realRunner.run({ argv: ['bash', '-c', `sleep 300 & echo $! >> ${pids}; wait`], purpose: 'slow' }, { timeoutMs: 500 });
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(r.code).toBe(124);
    expect(r.stderr).toMatch(/timed out/);
    const [child] = await pidsIn(pids, 1);
    expect(await gone(child!)).toBe(true);
  });
});
