/**
 * The seed paper's Cloudmask sweep (fixtures/cloudmask) end to end: built with its own
 * cloudmesh-style template, split across a local, an ssh and a Slurm host (the real sshd,
 * rsync and single-node Slurm on loopback), run, collected and merged into one table.
 */
import { cpSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { build } from '../../src/build.js';
import { collect, submit } from '../../src/dispatch/index.js';
import { skipWithout, testEnv } from '../support/env.js';
import { tmpDir } from '../support/tree.js';
import { inventory, waitFinished } from './helpers.js';

/** RFC 4180: records of fields; quoted fields may hold commas, doubled quotes and line breaks. */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let field = '';
  let record: string[] = [];
  let quoted = false;
  const endField = (): void => {
    record.push(field);
    field = '';
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c !== '"') field += c;
      else if (text[i + 1] === '"') field += text[++i];
      else quoted = false;
    } else if (c === '"' && field === '') quoted = true;
    else if (c === ',') endField();
    else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      endField();
      records.push(record);
      record = [];
    } else field += c;
  }
  expect(quoted, 'CSV ends inside a quoted field').toBe(false);
  if (field !== '' || record.length) records.push([...record, field]);
  return records;
}

describe.skipIf(skipWithout('ssh', 'slurm', 'rsync'))('the Cloudmask sweep on local, ssh and Slurm hosts', () => {
  it('builds the 30 bundles, runs them split across three hosts and merges one table', async () => {
    const { ssh } = testEnv();
    // The fixture's config.yaml is the paper's example plus `files: [cloudmask_v2.py]`, so
    // the program travels in every bundle. The test builds from a copy that points `data:`
    // (where the job writes OUTPUT/model.json) at a temporary folder instead of /scratch.
    const dir = tmpDir('eegen-cloudmask-');
    cpSync('fixtures/cloudmask', dir, { recursive: true });
    const config = path.join(dir, 'config.yaml');
    const data = path.join(dir, 'data');
    const original = readFileSync(config, 'utf8');
    expect(original).toContain('data: "/scratch/{os.USER}/{application.name}"');
    expect(original).toMatch(/^files:\n +- cloudmask_v2\.py$/m);
    writeFileSync(config, original.replace('data: "/scratch/{os.USER}/{application.name}"', `data: "${data}/{application.name}"`));

    // The test cluster has 2 CPUs and no GPUs: the `cluster` entry asks for what it has, and
    // its per-GPU-type directives are harmless comments instead of a gres. The job script's
    // own defaults (8 CPUs, 64G) come first; these directives follow and win.
    const work = tmpDir('eegen-cloudmask-work-');
    const hostsYaml = `hosts:
  here: {kind: local, slots: 2}
  box: {kind: ssh, hostname: ${ssh!.host}, ssh_config: ${ssh!.config}, workdir: ${work}/box, slots: 2}
  cluster:
    kind: slurm
    workdir: ${work}/cluster
    defaults: {cpus_per_task: 1, mem: 500M, time: "00:05:00"}
    directives:
      a100: {extra: [--comment=cloudmask-a100]}
      v100: {extra: [--comment=cloudmask-v100]}
`;
    const hosts = await inventory(dir, hostsYaml);
    const out = path.join(dir, 'out');
    const t0 = Date.now();
    const b = await build({ config, template: path.join(dir, 'cloudmask.in.slurm'), out, host: 'cluster', hostsFile: path.join(dir, 'hosts.yaml') });
    expect(b.diagnostics, JSON.stringify(b.diagnostics)).toEqual([]);
    expect(b.ok).toBe(true);
    expect(b.plan!.bundles).toHaveLength(30);
    const first = path.join(out, 'epoch-1_gpu-a100_repeat-1');
    expect(existsSync(path.join(first, 'cloudmask_v2.py'))).toBe(true);
    const script = readFileSync(path.join(first, 'cloudmask.slurm'), 'utf8');
    expect(script).toContain('#SBATCH --comment=cloudmask-a100');
    expect(script).toContain('#SBATCH --cpus-per-task=1');
    expect(script).not.toContain('--gres');

    const targets = ['here', 'box', 'cluster'].map((n) => hosts.get(n)!);
    const r = await submit({ out, hosts: targets });
    for (const h of r.hosts) expect(h, JSON.stringify(h)).toMatchObject({ ok: true, failed: [] });
    expect(r.hosts.map((h) => h.submitted.length)).toEqual([10, 10, 10]);
    const done = await waitFinished(out, targets, 180_000);
    expect(done.map((s) => `${s.id}@${s.host}:${s.state}:${s.exitCode}`)).toEqual(done.map((s) => `${s.id}@${s.host}:done:0`));

    const c = await collect({ out, hosts: targets });
    console.log(`cloudmask sweep: 30 bundles built, run on 3 hosts and collected in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    expect(c.hostErrors).toEqual([]);
    expect(c.problems).toEqual([]);
    expect(c.rows).toHaveLength(30);
    expect(new Set(c.rows.map((row) => row.id)).size).toBe(30);
    expect(new Set(c.rows.map((row) => row.host))).toEqual(new Set(['here', 'box', 'cluster']));
    for (const row of c.rows) {
      const id = String(row.id);
      expect(row, id).toMatchObject({ state: 'done', exitCode: 0 });
      expect(id).toBe(`epoch-${String(row.epoch)}_gpu-${String(row.gpu)}_repeat-${String(row.repeat)}`);
      expect(['a100', 'v100']).toContain(row.gpu);
      expect(typeof row.accuracy, id).toBe('number');
      expect(row.accuracy as number).toBeGreaterThan(0.5);
      expect(row.accuracy).toBe(row['result.accuracy']);
      expect(typeof row['timer.training'], id).toBe('number');
      expect(typeof row['timer.total'], id).toBe('number');
    }
    expect(String(c.rows.find((row) => row.host === 'cluster')!.jobId)).toMatch(/^slurm:\d+$/);

    // results.csv: a header and 30 records, every record as wide as the header, values in
    // their columns (the StopWatch msg "epochs=1, repeat=1, gpu=a100" holds a comma).
    const csvText = readFileSync(c.files.csv, 'utf8');
    const [header, ...records] = parseCsv(csvText);
    expect(records).toHaveLength(30);
    expect(csvText.trimEnd().split('\n')).toHaveLength(31);
    for (const col of ['id', 'epoch', 'gpu', 'repeat', 'host', 'state', 'exitCode', 'accuracy', 'loss', 'timer.training', 'timer.total', 'result.accuracy']) expect(header).toContain(col);
    const col = (rec: string[], name: string): string => rec[header!.indexOf(name)]!;
    for (const rec of records) {
      expect(rec).toHaveLength(header!.length);
      expect(col(rec, 'id')).toBe(`epoch-${col(rec, 'epoch')}_gpu-${col(rec, 'gpu')}_repeat-${col(rec, 'repeat')}`);
      expect(['1', '30', '60']).toContain(col(rec, 'epoch'));
      expect(['1', '2', '3', '4', '5']).toContain(col(rec, 'repeat'));
      expect(col(rec, 'state')).toBe('done');
      expect(Number.isFinite(Number(col(rec, 'accuracy')))).toBe(true);
      expect(Number.isFinite(Number(col(rec, 'timer.training')))).toBe(true);
      const row = c.rows.find((x) => x.id === col(rec, 'id'))!;
      expect(Number(col(rec, 'accuracy'))).toBe(row.accuracy);
      expect(col(rec, 'host')).toBe(row.host);
    }

    // results.jsonl: one row per bundle, each with the per-epoch history from the MLLOG result.
    const jsonl = readFileSync(c.files.jsonl, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(jsonl).toHaveLength(30);
    for (const row of jsonl) {
      expect(Array.isArray(row.history), String(row.id)).toBe(true);
      expect(row.history as unknown[]).toHaveLength(Number(row.epoch));
    }
  }, 300_000);
});
