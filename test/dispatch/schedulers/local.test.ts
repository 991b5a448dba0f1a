import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { localQueryCommand, parseLocalQuery } from '../../../src/scheduler/bash.js';
import { GARBAGE, sh } from './helpers.js';

describe('local process query (real processes)', () => {
  it('tells live, exited, zombie and never-existing processes apart', async () => {
    // A detached live process.
    const live = spawn('sleep', ['60'], { detached: true, stdio: 'ignore' });
    // An exited, reaped one.
    const gone = spawn('true', [], { stdio: 'ignore' });
    await new Promise((r) => gone.on('exit', r));
    // A zombie: the child of a shell that exec's into sleep and never reaps it.
    const parent = spawn('sh', ['-c', 'true & exec sleep 60'], { detached: true, stdio: 'ignore' });
    try {
      let zombiePid = 0;
      for (let i = 0; i < 50 && !zombiePid; i++) {
        const r = await sh(`ps -o pid=,stat= --ppid ${parent.pid}`);
        const m = /^\s*(\d+)\s+Z/m.exec(r.stdout);
        if (m) zombiePid = Number(m[1]);
        else await new Promise((res) => setTimeout(res, 50));
      }
      expect(zombiePid).toBeGreaterThan(0);

      const entries = [
        { id: 'b-live', pid: live.pid! },
        { id: "it's gone", pid: gone.pid! },
        { id: 'zombie', pid: zombiePid },
        { id: 'never', pid: 4_000_000 },
        { id: 'test parent', pid: process.ppid },
        { id: 'bad', pid: -5 },
        { id: 'nan', pid: Number.NaN },
      ];
      const cmd = localQueryCommand(entries);
      const r = await sh(cmd);
      expect(r.code, r.stderr).toBe(0);
      expect(parseLocalQuery(r.stdout)).toEqual([
        { id: 'b-live', pid: live.pid, alive: true },
        { id: "it's gone", pid: gone.pid, alive: false },
        { id: 'zombie', pid: zombiePid, alive: false },
        { id: 'never', pid: 4_000_000, alive: false },
        { id: 'test parent', pid: process.ppid, alive: true },
      ]);

      // Another user's process: kill -0 fails with EPERM, yet it is alive (needs root to switch user).
      if (process.getuid?.() === 0) {
        const q = localQueryCommand([{ id: 'root-owned', pid: live.pid! }]);
        const other = await sh(`setpriv --reuid=65534 --regid=65534 --clear-groups sh -c '${q.replace(/'/g, `'\\''`)}'`);
        expect(other.code, other.stderr).toBe(0);
        expect(parseLocalQuery(other.stdout)).toEqual([{ id: 'root-owned', pid: live.pid, alive: true }]);
      }

      // Without /proc (as on macOS/BSD): the kill -0 branch. Simulated by hiding /proc in a
      // private mount namespace (root only); ps cannot work there, so no zombie check.
      if (process.getuid?.() === 0 && (await sh('command -v unshare')).code === 0) {
        const q = localQueryCommand([
          { id: 'live', pid: live.pid! },
          { id: 'gone', pid: gone.pid! },
        ]);
        const r2 = await sh(`unshare -m sh -c 'mount -t tmpfs none /proc && ${q.replace(/'/g, `'\\''`)}'`);
        expect(r2.code, r2.stderr).toBe(0);
        expect(parseLocalQuery(r2.stdout).map((p) => [p.id, p.alive])).toEqual([
          ['live', true],
          ['gone', false],
        ]);
      }
    } finally {
      process.kill(live.pid!, 'SIGKILL');
      process.kill(parent.pid!, 'SIGKILL');
    }
  });

  it('handles many pids in one command, and no pids', async () => {
    const entries = [...Array(2000).keys()].map((i) => ({ id: `b${i}`, pid: 3_000_000 + i }));
    const r = await sh(localQueryCommand([...entries, { id: 'me', pid: process.pid }]));
    const res = parseLocalQuery(r.stdout);
    expect(res).toHaveLength(2001);
    expect(res.filter((p) => p.alive)).toEqual([{ id: 'me', pid: process.pid, alive: true }]);
    expect(localQueryCommand([])).toBe('true');
    expect(localQueryCommand([{ id: 'x\ty', pid: process.pid }])).toBe('true');
  });

  it('parser never throws on garbage', () => {
    for (const g of GARBAGE) expect(() => parseLocalQuery(g as string)).not.toThrow();
    expect(parseLocalQuery('12\talive\tx\nnope\n13\tdead\t\n')).toEqual([
      { pid: 12, alive: true, id: 'x' },
      { pid: 13, alive: false, id: '' },
    ]);
  });
});
