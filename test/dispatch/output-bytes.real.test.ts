/**
 * collect's output_bytes: what a run wrote into its bundle directory, measured on the host
 * where it ran (the wrapper's `size` event) less what the bundle shipped. Measured there, so
 * a file `collect --exclude` leaves on the host still counts; real local processes, the real
 * sshd and rsync, and the real Slurm.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { build } from '../../src/build.js';
import { collect, submit } from '../../src/dispatch/index.js';
import { readIndex } from '../../src/dispatch/outdir.js';
import { skipWithout, testEnv } from '../support/env.js';
import { tmpDir } from '../support/tree.js';
import { inventory, waitFinished } from './helpers.js';
import { parseCsv } from '../support/csv.js';

const MIB = 1048576;

/** A sweep whose bundle `mb-N` writes N MiB to out/model.ckpt and a few bytes to result.json. */
async function buildSizes(): Promise<{ dir: string; out: string }> {
  const dir = tmpDir('eegen-bytes-');
  writeFileSync(
    path.join(dir, 'config.yaml'),
    `name: bytes
experiment:
  mb: "1,3"
scheduler: bash
run:
  command: |
    mkdir -p out && head -c $(( {experiment.mb} * ${MIB} )) /dev/zero > out/model.ckpt && echo '{"ok": 1}' > result.json
`,
  );
  const out = path.join(dir, 'out');
  const r = await build({ config: path.join(dir, 'config.yaml'), out });
  if (!r.ok) throw new Error(JSON.stringify(r.diagnostics));
  return { dir, out };
}

describe.skipIf(skipWithout('ssh', 'rsync', 'slurm'))('collect output_bytes (real local, ssh and Slurm runs)', () => {
  for (const where of ['local', 'ssh', 'slurm'] as const) {
    it(`${where}: the bytes each run wrote, measured where it ran, also when --exclude leaves the big file there`, async () => {
      const { ssh } = testEnv();
      const { dir, out } = await buildSizes();
      const work = tmpDir('eegen-bytes-work-');
      const hosts = await inventory(
        dir,
        `hosts:
  here: {kind: local}
  box: {kind: ssh, hostname: ${ssh!.host}, ssh_config: ${ssh!.config}, workdir: ${work}/box}
  cluster: {kind: slurm, workdir: ${work}/cluster}
`,
      );
      const host = hosts.get(where === 'local' ? 'here' : where === 'ssh' ? 'box' : 'cluster')!;
      const s = await submit({ out, hosts: [host] });
      expect(s.hosts[0], JSON.stringify(s.hosts[0])).toMatchObject({ ok: true, failed: [] });
      const done = await waitFinished(out, [host], 120_000);
      expect(done.map((b) => b.state)).toEqual(['done', 'done']);
      const c = await collect({ out, hosts: [host], exclude: ['*.ckpt'] });
      expect(c.hostErrors).toEqual([]);
      const index = await readIndex(out);
      for (const b of index.bundles) {
        const row = c.rows.find((r) => r.id === b.id)!;
        const mb = b.params.mb as number;
        // The checkpoint, result.json (10 bytes) and the run's records and logs (a few KB).
        expect(row.output_bytes, `${b.id}: ${JSON.stringify(row)}`).toBeGreaterThanOrEqual(mb * MIB + 10);
        expect(row.output_bytes).toBeLessThan(mb * MIB + 64 * 1024);
        // Off the host, the excluded checkpoint did not come back (a remote host); the count is the host's.
        if (where !== 'local') expect(existsSync(path.join(out, b.dir, 'out', 'model.ckpt'))).toBe(false);
      }
      const [one, three] = index.bundles.map((b) => c.rows.find((r) => r.id === b.id)!.output_bytes as number);
      // The two runs differ by what they wrote: 2 MiB, give or take their records.
      expect(Math.abs(three! - one! - 2 * MIB)).toBeLessThan(4096);
      // The CSV has the column too.
      const [header, ...body] = parseCsv(readFileSync(path.join(out, 'results.csv'), 'utf8'));
      const col = header!.indexOf('output_bytes');
      expect(col).toBeGreaterThan(0);
      expect(body.map((r) => Number(r[col]))).toEqual([one, three]);
    });
  }

  it('a bundle that has not run has no output_bytes; a parameter called output_bytes keeps its own column', async () => {
    const dir = tmpDir('eegen-bytes-');
    writeFileSync(path.join(dir, 'config.yaml'), 'name: p\nexperiment:\n  output_bytes: "5"\nscheduler: bash\nrun:\n  command: echo {experiment.output_bytes}\n');
    const out = path.join(dir, 'out');
    const r = await build({ config: path.join(dir, 'config.yaml'), out });
    expect(r.ok, JSON.stringify(r.diagnostics)).toBe(true);
    const hosts = await inventory(dir, 'hosts:\n  here: {kind: local}\n');
    const before = await collect({ out, hosts: [hosts.get('here')!] });
    expect(before.rows[0]!.output_bytes).toBeUndefined();
    expect(before.rows[0]!['param.output_bytes']).toBe(5);
    await submit({ out, hosts: [hosts.get('here')!] });
    await waitFinished(out, [hosts.get('here')!], 60_000);
    const after = await collect({ out, hosts: [hosts.get('here')!] });
    expect(after.rows[0]!['param.output_bytes']).toBe(5);
    expect(typeof after.rows[0]!.output_bytes).toBe('number');
  });
});
