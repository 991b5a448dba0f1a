/**
 * A Python program reads a bundle's config.yaml as cloudmesh-ee's jobs do (PyYAML's
 * yaml.safe_load): the computed values eegen writes there (render/job-config.ts) come back
 * exactly, the multi-line slurm.sbatch block included. The golden file is the one
 * test/cloudmesh/job-config.test.ts pins.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const DIR = 'fixtures/cloudmesh-compat/job-config';

describe('config.yaml read by PyYAML', () => {
  it('PyYAML reads slurm.sbatch back as the exact block, and ee.identifier as a string', () => {
    const text = readFileSync(path.join(DIR, 'expected/directive-v100_repeat-2/config.yaml'), 'utf8');
    const py = spawnSync('python3', ['-c', 'import sys, yaml, json; d = yaml.safe_load(sys.stdin); print(json.dumps([d["slurm"]["sbatch"], d["ee"]["identifier"], d["ee"]["uuid"], d["experiment"]["card_name"]]))'], { input: text, encoding: 'utf8' });
    expect(py.status, py.stderr).toBe(0);
    const [sbatch, identifier, uuid, card] = JSON.parse(py.stdout) as string[];
    expect(sbatch).toBe('#SBATCH --gres=gpu:v100:1\n#SBATCH --partition=bii-gpu\n#SBATCH --account=bii_dsc_community');
    expect(identifier).toBe('directive_v100_repeat_2_epochs_2');
    expect(typeof uuid).toBe('string');
    expect(card).toBe('v100');
  });

});
