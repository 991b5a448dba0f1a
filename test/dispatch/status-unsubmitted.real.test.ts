/**
 * Issue 10 §3: `eegen status` of a built, unsubmitted sweep is as cheap as of a submitted
 * one. Hosts the ledger never names are not asked (submit names a host in the ledger
 * before it sends it anything), so with nothing submitted nobody is asked: 10,000 bundles
 * in well under 2 s (was 22 s on the machine, 2.8 s here), and an unreachable host
 * in the inventory costs nothing and warns about nothing.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { build, hostsToAsk, loadInventory, realRunner, status, submit, type Runner } from '../../src/index.js';
import { eegen } from '../support/cli.js';
import { tmpDir } from '../support/tree.js';

describe('status of 10,000 built, unsubmitted bundles', () => {
  it('asks no host, takes well under 2 s from the CLI; after one submit it asks only that host', async () => {
    const dir = tmpDir('eegen-unsubmitted-');
    const config = path.join(dir, 'config.yaml');
    writeFileSync(config, ['experiment:', '  a: "[1-10]"', '  b: "[1-10]"', '  c: "[1-100]"', 'run:', '  command: "true"', 'sweep:', '  limit: 100000', ''].join('\n'));
    const out = path.join(dir, 'out');
    const built = await build({ config, out });
    expect(built.ok).toBe(true);
    expect(built.plan!.bundles).toHaveLength(10_000);
    writeFileSync(path.join(dir, 'hosts.yaml'), 'hosts:\n  here: {kind: local, slots: 2}\n  dead: {kind: ssh, hostname: 127.0.0.1, port: 1, ssh_options: [ConnectTimeout=5], workdir: /tmp/nowhere}\n  cluster: {kind: slurm, workdir: /tmp/nowhere-either}\n');
    const { inventory } = await loadInventory(path.join(dir, 'hosts.yaml'));

    // The library: nobody to ask, no command run.
    expect(await hostsToAsk(out, inventory!, [])).toEqual([]);
    const ran: string[] = [];
    const recording: Runner = { run: (cmd, o) => (ran.push(cmd.purpose), realRunner.run(cmd, o)) };
    const st = await status({ out, hosts: await hostsToAsk(out, inventory!, []), runner: recording });
    expect(ran).toEqual([]);
    expect(st.bundles.every((b) => b.state === 'built')).toBe(true);
    expect(st.hostErrors).toEqual([]);

    // The CLI, from the directory holding hosts.yaml (every host of it is known to status).
    const times: number[] = [];
    let r = eegen(['status', 'out'], { cwd: dir });
    for (let i = 0; i < 3; i++) {
      const t0 = process.hrtime.bigint();
      r = eegen(['status', 'out'], { cwd: dir });
      times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout.trimEnd().split('\n').pop()).toBe('built 10000');
    expect(Math.min(...times), times.join(', ')).toBeLessThan(2000);

    // One bundle submitted to `here`: only `here` is asked; the dead host still is not.
    const sub = await submit({ out, hosts: [inventory!.hosts.get('here')!], only: ['a-1_b-1_c-1'] });
    expect(sub.hosts[0]!.submitted).toHaveLength(1);
    expect((await hostsToAsk(out, inventory!, [])).map((h) => h.name)).toEqual(['here']);
    r = eegen(['status', 'out', '--json', '--only', 'a-1_b-1_c-*'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    const rows = JSON.parse(r.stdout) as { id: string; state: string; host: string | null }[];
    expect(rows).toHaveLength(100);
    expect(rows.find((x) => x.id === 'a-1_b-1_c-1')).toMatchObject({ host: 'here', state: expect.stringMatching(/queued|running|done/) });
  }, 180_000);
});
