/**
 * `{ee.identifier}` names the job as cloudmesh-ee does (experimentexecutor.py
 * `_generate_bootstrapping`): every experiment key in order, `key_value`, joined by `_`,
 * values as Python prints them, varying or not, without the card_name eegen adds. So a
 * config's `identifier: "yb_{ee.identifier}"` with nothing swept is `yb_model_yb_...`, never
 * `yb_single`. eegen's own directory names ({bundle.id}) are unchanged.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { build } from '../../src/build.js';
import { tmpDir } from '../support/tree.js';

async function built(config: string) {
  const dir = tmpDir('eegen-eeid-');
  writeFileSync(path.join(dir, 'config.yaml'), config);
  writeFileSync(path.join(dir, 'job.in.sh'), '#!/bin/bash\necho {ee.identifier} {bundle.id}\n');
  const r = await build({ config: path.join(dir, 'config.yaml'), template: path.join(dir, 'job.in.sh'), out: path.join(dir, 'out') });
  expect(r.ok, JSON.stringify(r.diagnostics)).toBe(true);
  return r.plan!.bundles.map((b) => ({ dir: b.dir, line: readFileSync(path.join(dir, 'out', b.dir, 'job.sh'), 'utf8').split('\n').find((l) => l.startsWith('echo '))! }));
}

describe('{ee.identifier}', () => {
  it('is every experiment key as key_value, varying or not, values as Python prints them', async () => {
    const r = await built('experiment:\n  epoch: "1,2"\n  gpu: a100\n  early: [true, false]\n  extra: null\n');
    expect(r.map((x) => x.line)).toEqual([
      'echo epoch_1_gpu_a100_early_True_extra_None epoch-1_early-true',
      'echo epoch_1_gpu_a100_early_False_extra_None epoch-1_early-false',
      'echo epoch_2_gpu_a100_early_True_extra_None epoch-2_early-true',
      'echo epoch_2_gpu_a100_early_False_extra_None epoch-2_early-false',
    ]);
  });

  it('in a config\'s identifier: with nothing swept it is cloudmesh\'s name, not "single"', async () => {
    const r = await built('identifier: "yb_{ee.identifier}"\nexperiment:\n  model: yb\n  mode: single\n');
    expect(r.map((x) => x.dir)).toEqual(['yb_model_yb_mode_single']);
  });

  it('leaves out the card_name eegen derives from directive (cloudmesh adds it after naming the job)', async () => {
    const r = await built('experiment:\n  directive: "a100-dgx,v100"\n  repeat: 1\n');
    expect(r.map((x) => x.line.split(' ')[1])).toEqual(['directive_a100-dgx_repeat_1', 'directive_v100_repeat_1']);
  });
});
