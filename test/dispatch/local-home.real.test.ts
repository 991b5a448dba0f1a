/**
 * A local host whose workdir starts with `~/` runs its bundles in the home directory that
 * os.homedir() gives (HOME, pointed at a temp dir for the eegen process here): never in a
 * directory called `~` beside the working directory, the config or OUT, never through a
 * shell (a `$(...)` in the rest of the path stays text). Real CLI processes and runs.
 */
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { eegen } from '../support/cli.js';
import { tmpDir } from '../support/tree.js';
import { buildExample } from './helpers.js';

async function until<T>(what: string, fn: () => T | undefined, ms = 60_000): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = fn();
    if (v !== undefined) return v;
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

describe('local host, workdir ~/... (HOME pointed at a temp dir)', () => {
  it('submit puts the bundles under $HOME, status and collect find them there; no ~ directory appears anywhere', async () => {
    const home = tmpDir('eegen-home-');
    const cwd = tmpDir('eegen-cwd-');
    const { dir, out } = await buildExample();
    const hosts = path.join(dir, 'hosts.yaml');
    writeFileSync(hosts, 'hosts:\n  here: {kind: local, workdir: "~/runs/$(touch PWNED) x", slots: 4}\n');
    const env = { HOME: home };
    const only = ['--only', 'lr-0.01_*'];
    const sub = eegen(['submit', out, '--hosts', hosts, '--host', 'here', ...only], { cwd, env });
    expect(sub.code, sub.stderr).toBe(0);
    const work = path.join(home, 'runs', '$(touch PWNED) x');
    await until('four finished runs', () => {
      const st = eegen(['status', out, '--hosts', hosts, '--host', 'here', '--json', ...only], { cwd, env });
      const rows = JSON.parse(st.stdout || '[]') as { state: string }[];
      return rows.length === 4 && rows.every((r) => r.state === 'done') ? rows : undefined;
    });
    const ran = readdirSync(work).filter((d) => /^lr-0\.01_epochs-\d+_repeat-\d-[0-9a-f]{12}$/.test(d));
    expect(ran).toHaveLength(4);
    for (const d of ran) expect(existsSync(path.join(work, d, 'result.json')), d).toBe(true);
    const col = eegen(['collect', out, '--hosts', hosts, '--host', 'here', ...only], { cwd, env });
    expect(col.code, col.stderr).toBe(0);
    expect(existsSync(path.join(out, 'results.csv'))).toBe(true);
    for (const d of [cwd, dir, out, path.dirname(out), process.cwd()]) expect(readdirSync(d).filter((f) => f.startsWith('~')), d).toEqual([]);
    for (const d of [cwd, dir, home, work]) expect(existsSync(path.join(d, 'PWNED')), d).toBe(false);
  }, 120_000);

  it('workdir "~" is the home directory itself', async () => {
    const home = tmpDir('eegen-home-');
    mkdirSync(home, { recursive: true });
    const { dir, out } = await buildExample();
    const hosts = path.join(dir, 'hosts.yaml');
    writeFileSync(hosts, 'hosts:\n  here: {kind: local, workdir: "~"}\n');
    const sub = eegen(['submit', out, '--hosts', hosts, '--host', 'here', '--only', 'lr-0.1_epochs-5_repeat-1'], { cwd: dir, env: { HOME: home } });
    expect(sub.code, sub.stderr).toBe(0);
    await until('the bundle directory in HOME', () => (readdirSync(home).some((d) => d.startsWith('lr-0.1_epochs-5_repeat-1-')) ? true : undefined));
    expect(readdirSync(dir).filter((f) => f.startsWith('~'))).toEqual([]);
  }, 120_000);
});
