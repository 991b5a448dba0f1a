import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { build } from '../../src/build.js';
import { mergeRows } from '../../src/dispatch/collect.js';
import { LOCAL_HOST } from '../../src/inventory/hosts.js';
import { collect, status, submit } from '../../src/dispatch/index.js';
import { eegen, ROOT } from '../support/cli.js';
import { buildExample, waitFinished } from './helpers.js';

describe('dispatch records and edge cases (local host, real processes)', () => {
  it('submit --dry-run prints the exact commands and runs nothing', async () => {
    const { out } = await buildExample();
    const r = eegen(['submit', out, '--host', 'local', '--dry-run']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('# status of 12 bundles on local');
    expect(r.stdout).toContain('bash -s <<');
    expect(existsSync(path.join(out, 'lr-0.01_epochs-5_repeat-1', 'eegen-run'))).toBe(false);
  });

  it('a run whose wrapper was killed outright (no end recorded) is lost, not running forever', async () => {
    const { out } = await buildExample({ edit: (y) => y.replace('command: node', 'command: sleep 30; node') });
    const r = await submit({ out, hosts: [LOCAL_HOST], only: ['lr-1_epochs-20_repeat-2'] });
    const pid = Number(r.hosts[0]!.submitted[0]!.jobId.replace('local:', ''));
    for (let i = 0; i < 40 && !(await status({ out, hosts: [LOCAL_HOST], only: ['lr-1_epochs-20_repeat-2'] })).bundles.every((b) => b.state === 'running'); i++) await new Promise((res) => setTimeout(res, 250));
    // SIGKILL cannot be trapped: the wrapper records nothing. Kill its child's group too, but
    // the wrapper first: killed second, it could still see its child die and record that end.
    spawnSync('bash', ['-c', `g=$(ps -o pgid= -p $(pgrep -P ${pid} | head -n1) | tr -d ' '); kill -KILL ${pid}; pkill -KILL -g "$g"`]);
    const st = await waitFinished(out, [LOCAL_HOST], 20_000);
    expect(st.find((b) => b.id === 'lr-1_epochs-20_repeat-2')?.state).toBe('lost');
  });

  it('a bundle rebuilt with new content after it was submitted is reported', async () => {
    const { out, dir } = await buildExample();
    await submit({ out, hosts: [LOCAL_HOST], only: ['lr-0.01_epochs-5_repeat-1'] });
    await waitFinished(out, [LOCAL_HOST]);
    const config = path.join(dir, 'config.yaml');
    writeFileSync(config, readFileSync(config, 'utf8').replace('--seed', '--verbose --seed'));
    const rebuilt = await build({ config, out });
    expect(rebuilt.report?.changedAfterSubmit).toContain('lr-0.01_epochs-5_repeat-1');
    const st = await status({ out, hosts: [LOCAL_HOST], only: ['lr-0.01_epochs-5_repeat-1'] });
    expect(st.bundles[0]).toMatchObject({ state: 'done', changedSinceSubmit: true });
    const again = await submit({ out, hosts: [LOCAL_HOST], only: ['lr-0.01_epochs-5_repeat-1'] });
    expect(again.changedSinceSubmit).toEqual(['lr-0.01_epochs-5_repeat-1']);
  });

  it('collect validates result.json against the schema the config names', async () => {
    const { out } = await buildExample({
      edit: (y) => `${y.replace('files:\n  - train.mjs', 'files:\n  - train.mjs\n  - result.schema.json')}results:\n  schema: result.schema.json\n`,
      before: (dir) => writeFileSync(path.join(dir, 'result.schema.json'), JSON.stringify({ type: 'object', required: ['accuracy', 'f1'], properties: { accuracy: { type: 'number', minimum: 0.99 } } })),
    });
    await submit({ out, hosts: [LOCAL_HOST], only: ['lr-1_epochs-5_repeat-1'] });
    await waitFinished(out, [LOCAL_HOST]);
    const c = await collect({ out, hosts: [LOCAL_HOST], only: ['lr-1_epochs-5_repeat-1'] });
    expect(c.problems.join('\n')).toMatch(/lr-1_epochs-5_repeat-1\/result\.json: .*f1/);
    expect(c.problems.join('\n')).toMatch(/accuracy.*0\.99|must be >= 0\.99/);
  });

  it("collect takes results.schema from the eegen: section; a top-level results: is then the user's, not a schema", async () => {
    const schema = JSON.stringify({ type: 'object', required: ['accuracy', 'f1'] });
    const { out } = await buildExample({
      edit: () =>
        [
          'name: example',
          'experiment:',
          '  lr: "1"',
          '  epochs: "5"',
          '  repeat: "1"',
          '# The user\'s own key named like the setting: a variable, never read as a schema.',
          'results: {schema: not-a-file.json, note: mine}',
          'eegen:',
          '  scheduler: bash',
          '  files: [train.mjs, result.schema.json]',
          '  results: {schema: result.schema.json}',
          '  run: {command: "node train.mjs --lr {experiment.lr} --epochs {experiment.epochs} --seed {experiment.repeat}"}',
          '',
        ].join('\n'),
      before: (dir) => writeFileSync(path.join(dir, 'result.schema.json'), schema),
    });
    await submit({ out, hosts: [LOCAL_HOST] });
    await waitFinished(out, [LOCAL_HOST]);
    const c = await collect({ out, hosts: [LOCAL_HOST] });
    // The section's schema was applied (result.json has no f1), the user's value was not looked for.
    expect(c.problems.join('\n')).toMatch(/result\.json: .*f1/);
    expect(c.problems.join('\n')).not.toMatch(/not-a-file/);
  });

  it('merging rows: a repeated collect adds no duplicate, a different finished result is a conflict', () => {
    const a = { id: 'b1', host: 'h1', jobId: 'local:1', state: 'done', accuracy: 0.9 };
    const same = mergeRows([a], [{ ...a }]);
    expect(same.rows).toHaveLength(1);
    expect(same.conflicts).toEqual([]);
    const other = mergeRows([a], [{ ...a, host: 'h2', jobId: 'slurm:7', accuracy: 0.8 }]);
    expect(other.rows).toHaveLength(1);
    expect(other.conflicts).toEqual([{ id: 'b1', kept: 'h2:slurm:7', other: 'h1:local:1' }]);
  });

  it('the library API is importable by package name', () => {
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', "import { build, plan, verify, compile } from 'eegen'; console.log([build, plan, verify, compile].map((f) => typeof f).join(','))"], { cwd: ROOT, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('function,function,function,function');
  });
});
