// The shipped examples run as shipped, also where USER and HOME are unset (cron, containers,
// CI): deferred {os.USER}/{os.HOME} get the account's values from the run wrapper.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { eegen } from '../support/cli.js';
import { tmpDir } from '../support/tree.js';

function withoutUserHome(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.USER;
  delete env.HOME;
  delete env.LOGNAME;
  return env;
}

describe('the shipped cloudmask example runs end to end on the local host', () => {
  it('eegen run fixtures/cloudmask/config.yaml --template ... : 30 of 30 done, without USER and HOME', () => {
    const out = path.join(tmpDir(), 'out');
    const r = eegen(['run', 'fixtures/cloudmask/config.yaml', '--template', 'fixtures/cloudmask/cloudmask.in.slurm', '--out', out], { env: withoutUserHome() });
    expect(r.code, r.stderr + r.stdout).toBe(0);
    const rows = readFileSync(path.join(out, 'results.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(rows).toHaveLength(30);
    expect(rows.filter((row) => row.state === 'done')).toHaveLength(30);
    expect(rows.every((row) => typeof row.accuracy === 'number')).toBe(true);
    // The script saw a real user name, not an empty ${USER} (set -u would have killed it).
    const log = readFileSync(path.join(out, 'epoch-1_gpu-a100_repeat-1', 'training-1.log'), 'utf8');
    expect(log.length).toBeGreaterThan(0);
  }, 180_000);
});
