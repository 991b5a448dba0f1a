/**
 * A cloudmesh config is any mapping: keys eegen reads as settings (run, files, resources,
 * name, system, sweep, template, ...) are the user's own variables when real configs use
 * them so, never an error. Typo detection stays: near misses of what eegen reads are
 * warnings with file:line:col. Through the real CLI and the library.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { build } from '../../src/build.js';
import { eegen } from '../support/cli.js';
import { expectBaseline } from '../support/baseline.js';
import { tmpDir } from '../support/tree.js';

const DIR = 'fixtures/cloudmesh-compat/own-keys';

async function buildText(config: string, template?: string) {
  const dir = tmpDir('eegen-own-');
  writeFileSync(path.join(dir, 'config.yaml'), config);
  if (template) writeFileSync(path.join(dir, 'job.in.sh'), template);
  const r = await build({ config: path.join(dir, 'config.yaml'), ...(template ? { template: path.join(dir, 'job.in.sh') } : {}), out: path.join(dir, 'out') });
  const first = r.plan?.bundles[0];
  const script = first && r.ok ? readFileSync(path.join(dir, 'out', first.dir, first.script), 'utf8') : undefined;
  return { r, script, codes: r.diagnostics.map((d) => `${d.code}:${d.severity}`) };
}

describe('users\' own keys named like eegen settings', () => {
  it('the OSMI-style fixture builds unchanged: every own value reaches the script', () => {
    const out = tmpDir('eegen-own-');
    const r = eegen(['build', `${DIR}/config.yaml`, '--template', `${DIR}/osmi.in.slurm`, '--out', out, '--host', 'localhost']);
    expect(r.code, r.stderr).toBe(0);
    // Said once per key, as warnings with positions; nothing else.
    expect(r.stderr.match(/warning EG2009/g)).toHaveLength(4); // name, files, resources, sweep (system and run are mappings: settings with the user's own keys)
    expect(r.stderr).toMatch(/config\.yaml:4:1 - warning EG2009: name is a mapping, so eegen takes it as your own variable/);
    expect(r.stderr).toMatch(/config\.yaml:14:1 - warning EG2009: files is a mapping/);
    expect(r.stderr).not.toMatch(/error/);
    const script = readFileSync(path.join(out, 'batch-32_repeat-1', 'osmi.slurm'), 'utf8');
    expectBaseline('test/golden/own-keys/osmi.slurm', script);
    expect(script).toContain('echo "OSMI inference benchmark on greene (2 GPUs per node)"');
    expect(script).toContain('--model "models/small_lstm.onnx"');
    expect(script).toContain('--sweep fast');
    expect(script).toContain('mkdir -p "/scratch/${USER}/osmi/data"');
  });

  it('run: with the user\'s keys next to eegen\'s command: both work', async () => {
    const { r, script, codes } = await buildText('experiment:\n  x: "1,2"\nrun:\n  command: echo {experiment.x} {run.filesystem}\n  filesystem: /scratch\nscheduler: bash\n');
    expect(codes).toEqual([]);
    expect(r.ok).toBe(true);
    expect(script).toContain('echo 1 /scratch');
  });

  it('near misses of what eegen reads are warnings at the key (run.comand, resources.partiton)', async () => {
    const { r, codes } = await buildText('experiment:\n  x: "1,2"\nrun:\n  comand: echo hi\nresources:\n  partiton: gpu\n  gpu_type: a100\n', '#!/bin/bash\necho {run.comand} {resources.gpu_type}\n');
    expect(r.ok).toBe(true);
    expect(codes).toEqual(['EG2008:warning', 'EG2008:warning']);
    const [a, b] = r.diagnostics.filter((d) => d.code === 'EG2008');
    expect(a!.message).toBe('run.comand is not a key eegen reads: did you mean run.command?');
    expect(b!.message).toBe('resources.partiton is not a key eegen reads: did you mean resources.partition?');
  });

  it('without a template, run.comand is still nothing to run: the near miss says why', async () => {
    const { r, codes } = await buildText('experiment:\n  x: "1,2"\nrun:\n  comand: echo hi\nscheduler: bash\n');
    expect(r.ok).toBe(false);
    expect(codes).toEqual(['EG2008:warning', 'EG2030:error']);
  });

  it('every setting in a shape eegen does not read is the user\'s: template, files, run, resources, results, system, sweep, identifier', async () => {
    const config = [
      'experiment:',
      '  x: "1,2"',
      'template: {slurm: a.in.slurm}',
      'files: {data: d.csv}',
      'results: accuracy',
      'system: greene',
      'sweep: [a, b]',
      'identifier: {prefix: job}',
      '',
    ].join('\n');
    const { r, script, codes } = await buildText(config, '#!/bin/bash\necho {template.slurm} {files.data} {results} {system} {identifier.prefix} {experiment.x}\n');
    expect(r.ok, JSON.stringify(r.diagnostics)).toBe(true);
    expect(codes).toEqual(Array(6).fill('EG2009:warning'));
    expect(r.plan!.bundles.map((b) => b.id)).toEqual(['x-1', 'x-2']);
    expect(script).toContain('echo a.in.slurm d.csv accuracy greene job 1');
  });

  it('a setting of the right shape with a wrong value is still an error (scheduler: pbs, resources.time: [1])', async () => {
    const { r, codes } = await buildText('experiment:\n  x: "1,2"\nscheduler: pbs\nresources:\n  time: [1]\nrun:\n  command: "true"\n');
    expect(r.ok).toBe(false);
    expect(codes).toContain('EG2004:error');
    expect(codes).toContain('EG2003:error');
  });
});
