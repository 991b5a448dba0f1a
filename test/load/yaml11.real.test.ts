/**
 * A bundle's config.yaml is read by the user's program, most often Python with PyYAML,
 * which is YAML 1.1: `time: 6:00:00` is the integer 21600 there, `gpu: yes` is True,
 * `mode: 0755` is 493, `day: 2024-01-01` a date. eegen quotes every string a 1.1 reader
 * would take for another type, so the real PyYAML (python3-yaml, installed by
 * scripts/setup-test-env.sh) and eegen's own reader both get exactly the values written.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { build } from '../../src/build.js';
import { parseYaml, toYaml } from '../../src/load/yaml.js';
import type { Value } from '../../src/types.js';
import { requireComponent } from '../support/env.js';
import { tmpDir } from '../support/tree.js';

const py = spawnSync('python3', ['-c', 'import yaml'], { encoding: 'utf8' });
const noPyYaml = requireComponent('pyyaml', py.status === 0, py.error ? 'python3 not found' : py.stderr.trim().split('\n').pop());

/** What PyYAML's safe_load makes of `text`, as JSON (dates and other types as tagged text). */
function pyLoad(text: string): unknown {
  const r = spawnSync('python3', ['-c', 'import json, sys, yaml\nv = yaml.safe_load(sys.stdin.read())\nprint(json.dumps(v, default=lambda o: "<%s %s>" % (type(o).__name__, o)))'], { input: text, encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as unknown;
}

const TRICKY = ['6:00:00', '190:20:30', '1:30.5', '06:00:00', 'yes', 'No', 'on', 'OFF', 'y', 'n', 'Y', '~', 'null', 'Null', '0755', '0b101', '0x1F', '1_000', '1e-4', '1.0e-4', '.5', '1.', '+1', '-7', '-.inf', '.NaN', '2024-01-01', '2001-12-14t21:59:43.10-05:00', '2001-12-14 21:59:43.10 -5', '<<', '=', 'true', 'False', 'plain', 'a: b', '8:30'];

describe.skipIf(noPyYaml)('config.yaml reads the same in PyYAML (YAML 1.1) and in eegen (1.2)', () => {
  it('every tricky string, as value, list item and key, at several depths', () => {
    const v: Record<string, Value> = {};
    for (const [i, s] of TRICKY.entries()) v[`k${i}`] = s;
    const doc = { top: v, list: TRICKY, keys: Object.fromEntries(TRICKY.map((s) => [s, s])), nested: { deeper: [{ t: TRICKY[0]! }] }, n: 5, f: 1.5, b: true, z: null };
    const text = toYaml(doc);
    expect(pyLoad(text)).toEqual(doc);
    expect(parseYaml('c.yaml', text).loaded!.data).toEqual(doc);
    expect(text).toContain('time' in doc ? '' : '"6:00:00"');
  });

  it('a built bundle: resources.time "6:00:00", experiment values yes/0755, a date', async () => {
    const dir = tmpDir('eegen-yaml11-');
    writeFileSync(path.join(dir, 'config.yaml'), 'experiment:\n  flag: ["yes", "no"]\n  mode: "0755"\nday: "2024-01-01"\nresources:\n  time: "6:00:00"\nscheduler: slurm\nrun:\n  command: "true"\n');
    const r = await build({ config: path.join(dir, 'config.yaml'), out: path.join(dir, 'out') });
    expect(r.ok, JSON.stringify(r.diagnostics)).toBe(true);
    for (const b of r.plan!.bundles) {
      const frozen = pyLoad(readFileSync(path.join(dir, 'out', b.dir, 'config.yaml'), 'utf8')) as { resources: { time: unknown }; experiment: { flag: unknown; mode: unknown }; day: unknown };
      expect(frozen.resources.time).toBe('6:00:00');
      expect(frozen.experiment.mode).toBe('0755');
      expect(['yes', 'no']).toContain(frozen.experiment.flag);
      expect(frozen.day).toBe('2024-01-01');
    }
  });
});
