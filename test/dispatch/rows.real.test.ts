/**
 * results.csv / results.jsonl: one row per bundle, every parameter value in it, whatever the
 * parameters are called — also names eegen uses for its own columns (id, host, state,
 * timer.x, result.y, ...). Real runs on the local host and on the loopback ssh host.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { build } from '../../src/build.js';
import { collect, submit, type HostEntry } from '../../src/dispatch/index.js';
import { paramColumn, RESERVED_COLUMNS, RESERVED_PREFIXES, toCsv, type Row } from '../../src/dispatch/collect.js';
import { LOCAL_HOST } from '../../src/inventory/hosts.js';
import { readIndex } from '../../src/dispatch/outdir.js';
import { skipWithout, testEnv } from '../support/env.js';
import { tmpDir } from '../support/tree.js';
import { inventory, waitFinished } from './helpers.js';
import { parseCsv } from '../support/csv.js';


/** Parameters named like eegen's columns, prefixes, a collided prefix, commas, quotes, unicode, case. */
const NAMES_CONFIG = `name: names
experiment:
  id: "1,2"
  host: "a,b"
  state: x
  exitCode: 7
  jobId: j
  signal: sig
  start: s
  end: e
  duration: d
  duration_s: ds
  note: n
  accuracy: acc
  timer.x: tx
  result.y: ry
  energy_j: ej
  fp.os: fo
  param.id: pid
  "param.param.id": ppid
  "a,b": ["v,1"]
  'q"uote': ['he said "hi", twice']
  größe: "groß ✓"
  ID: upper
  bundleHash: bh
scheduler: bash
files: [emit.sh]
run:
  command: bash emit.sh
`;

const EMIT = `printf '{"y": 5, "accuracy": 0.5}\\n' > result.json
echo '# csv,timer,status,time,sum,start,tag,msg,uname.node,user,uname.system,platform.version'
echo '# csv,x,ok,1.5,1.5,2022-05-10 22:00:01,,m,node1,alice,Linux,#1'
echo ':::MLLOG {"namespace": "", "time_ms": 1, "event_type": "POINT_IN_TIME", "key": "eval_accuracy", "value": 0.75, "metadata": {}}'
`;

async function buildNames(): Promise<{ dir: string; out: string }> {
  const dir = tmpDir('eegen-rows-');
  writeFileSync(path.join(dir, 'config.yaml'), NAMES_CONFIG);
  writeFileSync(path.join(dir, 'emit.sh'), EMIT);
  const out = path.join(dir, 'out');
  const r = await build({ config: path.join(dir, 'config.yaml'), out });
  if (!r.ok) throw new Error(JSON.stringify(r.diagnostics));
  return { dir, out };
}

/** Runs, collects, and checks every promise about the rows against what index.json holds. */
async function runAndCheck(out: string, host: HostEntry): Promise<void> {
  const index = await readIndex(out);
  expect(index.bundles).toHaveLength(4);
  const s = await submit({ out, hosts: [host] });
  expect(s.hosts[0], JSON.stringify(s.hosts[0])).toMatchObject({ ok: true, failed: [] });
  const done = await waitFinished(out, [host], 60_000);
  expect(done.map((b) => b.state)).toEqual(['done', 'done', 'done', 'done']);
  // Twice: merging with the earlier results.jsonl must not lose or double rows either.
  for (let round = 0; round < 2; round++) {
    const c = await collect({ out, hosts: [host] });
    expect(c.hostErrors).toEqual([]);
    expect(c.rows).toHaveLength(4);

    const csv = parseCsv(readFileSync(path.join(out, 'results.csv'), 'utf8'));
    const [header, ...body] = csv;
    expect(body).toHaveLength(4);
    expect(new Set(header).size, `header has a repeated name: ${header!.join(' | ')}`).toBe(header!.length);
    for (const r of body) expect(r).toHaveLength(header!.length);
    const jsonl = readFileSync(path.join(out, 'results.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(jsonl).toHaveLength(4);

    const col = (name: string) => header!.indexOf(name);
    for (const b of index.bundles) {
      const line = body.find((r) => r[col('id')] === b.id);
      expect(line, `no CSV row for ${b.id}`).toBeDefined();
      const obj = jsonl.find((r) => r.id === b.id)!;
      expect(obj, `no JSONL row for ${b.id}`).toBeDefined();
      for (const [k, v] of Object.entries(b.params)) {
        const c = paramColumn(k);
        expect(col(c), `column for parameter ${k}`).toBeGreaterThanOrEqual(0);
        expect(line![col(c)], `CSV ${b.id} ${k}`).toBe(String(v));
        expect(obj[c], `JSONL ${b.id} ${k}`).toEqual(v);
      }
      // eegen's own columns still say what eegen says.
      expect(line![col('host')]).toBe(host.name);
      expect(line![col('state')]).toBe('done');
      expect(line![col('exitCode')]).toBe('0');
      expect(line![col('jobId')]).toMatch(/^local:\d+$/);
      expect(line![col('timer.x')]).toBe('1.5');
      expect(line![col('result.y')]).toBe('5');
      expect(line![col('accuracy')]).toBe('0.75');
      expect(line![col('bundleHash')]).toBe(b.hash);
      expect(obj).toMatchObject({ host: host.name, state: 'done', exitCode: 0, 'timer.x': 1.5, 'result.y': 5, accuracy: 0.75, bundleHash: b.hash });
    }
  }
}

describe('result columns never collide with parameters', () => {
  it('paramColumn: one-to-one, never one of eegen\'s columns, plain names unchanged', () => {
    const names = ['lr', 'epochs', 'Lr', ...RESERVED_COLUMNS, ...RESERVED_COLUMNS.map((c) => c.toUpperCase()), 'timer.x', 'result.y', 'fp.os', 'param.id', 'param.param.id', 'PARAM.id', 'Timer.X', 'a,b', 'q"uote', 'größe', '__proto__', 'duration'];
    const cols = names.map(paramColumn);
    expect(new Set(cols).size).toBe(names.length);
    const reserved = new Set(RESERVED_COLUMNS.map((c) => c.toLowerCase()));
    for (const c of cols) {
      expect(reserved.has(c.toLowerCase()), c).toBe(false);
      if (!c.startsWith('param.')) expect(RESERVED_PREFIXES.some((p) => c.toLowerCase().startsWith(p)), c).toBe(false);
    }
    expect(['lr', 'epochs', 'a,b', 'größe', 'duration'].map(paramColumn)).toEqual(['lr', 'epochs', 'a,b', 'größe', 'duration']);
    expect(['id', 'Host', 'timer.x', 'param.id'].map(paramColumn)).toEqual(['param.id', 'param.Host', 'param.timer.x', 'param.param.id']);
  });

  it('toCsv quotes header names and values: a strict CSV parser reads back every cell', () => {
    const rows: Row[] = [
      { id: 'b1', 'a,b': 'v,1', 'q"uote': 'he said "hi"', 'line\nbreak': 'x\ny', state: 'done' },
      { id: 'b2', 'a,b': '', 'q"uote': null, 'line\nbreak': 'z', state: 'failed', extra: { k: [1, 2] } },
    ];
    const parsed = parseCsv(toCsv(rows, ['a,b', 'q"uote', 'line\nbreak']));
    expect(parsed[0]).toEqual(['id', 'a,b', 'q"uote', 'line\nbreak', 'host', 'jobId', 'state', 'exitCode', 'start', 'end', 'duration_s', 'extra']);
    expect(parsed[1]).toEqual(['b1', 'v,1', 'he said "hi"', 'x\ny', '', '', 'done', '', '', '', '', '']);
    expect(parsed[2]).toEqual(['b2', '', '', 'z', '', '', 'failed', '', '', '', '', '{"k":[1,2]}']);
  });

  it('local host: parameters named id, host, state, timer.x, result.y, param.id, ... keep one row per bundle and every value', async () => {
    const { out } = await buildNames();
    await runAndCheck(out, LOCAL_HOST);
  }, 120_000);

  it.skipIf(skipWithout('ssh', 'rsync'))('ssh host: the same, with results brought back over rsync', async () => {
    const { ssh } = testEnv();
    const { dir, out } = await buildNames();
    const hosts = await inventory(dir, `hosts:\n  box: {kind: ssh, hostname: ${ssh!.host}, ssh_config: ${ssh!.config}, workdir: ${tmpDir('eegen-rows-ssh-')}/w, slots: 4}\n`);
    await runAndCheck(out, hosts.get("box")!);
  }, 120_000);
});
