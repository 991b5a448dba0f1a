/**
 * Scheduler dependencies (SchedulerAdapter.dependsOn): the submit arguments that hold a
 * job for others, as the real commands take them (sbatch(1) --dependency=afterok:ID[:ID...]
 * and --kill-on-invalid-dep; bsub(1) -w 'done(ID) && done(ID[I])' -ti), run through each
 * adapter's submit line by a real bash against recording stand-ins for sbatch and bsub;
 * and the dispatcher's check of the recorded ids it is handed (dependencyArgs): only a job
 * id of the host's own scheduler ever becomes an argument.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createContext } from '../../src/dispatch/context.js';
import { dependencyArgs } from '../../src/dispatch/submit.js';
import { bash } from '../../src/scheduler/bash.js';
import { lsf } from '../../src/scheduler/lsf.js';
import { slurm } from '../../src/scheduler/slurm.js';
import { quoteLiteral as q } from '../../src/shell/quote.js';
import { tmpDir } from '../support/tree.js';

const TAMPERED = ['', '-1', '--wrap=touch PWNED', '1 2', '12;touch PWNED', '$(touch PWNED)', '1_', '_1', '1_2_3', '1[2]', '0x10', '١٢'];

/** sbatch and bsub stand-ins that print each word they were given (`ARG<TAB>word`) and a job id. */
function recorders(): { dir: string; env: NodeJS.ProcessEnv } {
  const dir = tmpDir('eegen-deps-');
  const bin = path.join(dir, 'bin');
  mkdirSync(bin);
  const rec = `for a in "$@"; do printf 'ARG\\t%s\\n' "$a"; done`;
  writeFileSync(path.join(bin, 'sbatch'), `#!/bin/sh\n${rec}; echo 4242\n`);
  writeFileSync(path.join(bin, 'bsub'), `#!/bin/sh\n${rec}; cat > /dev/null; echo "Job <4343> is submitted to default queue <normal>."\n`);
  for (const f of ['sbatch', 'bsub']) chmodSync(path.join(bin, f), 0o755);
  return { dir, env: { ...process.env, PATH: `${bin}:${process.env.PATH}` } };
}

/** The adapter's submit line inside a function called with the dispatcher's five leading words, then `extra` (remote.ts's submit()). */
function submitWith(adapter: typeof slurm, extra: readonly string[], dir: string, env: NodeJS.ProcessEnv): string[] {
  mkdirSync(path.join(dir, 'b'), { recursive: true });
  writeFileSync(path.join(dir, 'b', 'run.sh'), '#!/bin/bash\n');
  const prelude = `set -u\ntab=$(printf '\\t')\nemit() { local tag=$1; shift; local IFS="$tab"; printf '@@%s\\t%s\\n' "$tag" "$*"; }\noneline() { tr '\\t\\n\\r' '   '; }\n`;
  const body = `f() { local id=$1 script=$2 jid; shift 5\n${adapter.submitLine({ slots: 1 })}\nprintf '%s\\nJID\\t%s\\n' "$out" "$jid"; }\nf b run.sh hash '' '' ${extra.map(q).join(' ')}`;
  const out = execFileSync('bash', ['-c', `${prelude}${body}`], { cwd: dir, env, encoding: 'utf8' });
  return out.split('\n').filter((l) => l.startsWith('ARG\t')).map((l) => l.slice(4));
}

describe('scheduler dependencies: submit arguments (recording stand-ins for sbatch and bsub)', () => {
  it('slurm: afterok on every id (an array by its job id, a task as ID_I), and the held job ends when one fails', () => {
    expect(slurm.dependsOn!(['123'])).toEqual(['--dependency=afterok:123', '--kill-on-invalid-dep=yes']);
    expect(slurm.dependsOn!(['123', '124_7', '123'])).toEqual(['--dependency=afterok:123:124_7', '--kill-on-invalid-dep=yes']);
    const { dir, env } = recorders();
    expect(submitWith(slurm, slurm.dependsOn!(['123', '124_7']), dir, env)).toEqual(['--parsable', '--dependency=afterok:123:124_7', '--kill-on-invalid-dep=yes', 'run.sh']);
    // Without a dependency the command is what it always was.
    expect(submitWith(slurm, [], dir, env)).toEqual(['--parsable', 'run.sh']);
  });

  it('lsf: -w with done() of every id joined by &&, an element as ID[I]; -ti ends an orphan at once', () => {
    expect(lsf.dependsOn!(['123'])).toEqual(['-w', 'done(123)', '-ti']);
    expect(lsf.dependsOn!(['123', '124_7'])).toEqual(['-w', 'done(123) && done(124[7])', '-ti']);
    const { dir, env } = recorders();
    // The expression arrives as one word: no shell sees its parentheses, brackets or &&.
    expect(submitWith(lsf, lsf.dependsOn!(['123', '124_7']), dir, env)).toEqual(['-w', 'done(123) && done(124[7])', '-ti']);
    expect(submitWith(lsf, [], dir, env)).toEqual([]);
  });

  it('bash (background processes) has none: its nodes are never chained', () => {
    expect(bash.dependsOn).toBeUndefined();
  });

  it('anything that is not a job id is refused with a RangeError, never written into an argument', () => {
    for (const adapter of [slurm, lsf]) {
      for (const bad of TAMPERED) expect(() => adapter.dependsOn!(['123', bad]), `${adapter.name} ${JSON.stringify(bad)}`).toThrow(RangeError);
      expect(() => adapter.dependsOn!([])).toThrow(RangeError);
    }
  });

  it('the dispatcher takes only recorded ids of the host\'s own scheduler (prefix and form), through its jobKey', () => {
    const ctx = createContext();
    const cluster = { name: 'cluster', kind: 'slurm' as const };
    const farm = { name: 'farm', kind: 'lsf' as const };
    expect(dependencyArgs(cluster, ['slurm:12', 'slurm:13_2'], ctx)).toEqual({ args: ['--dependency=afterok:12:13_2', '--kill-on-invalid-dep=yes'], after: ['slurm:12', 'slurm:13_2'] });
    // LSF records an element as LSF writes it (`13[2]`); its key is 13_2, its condition done(13[2]).
    expect(dependencyArgs(farm, ['lsf:12', 'lsf:13[2]'], ctx)).toEqual({ args: ['-w', 'done(12) && done(13[2])', '-ti'], after: ['lsf:12', 'lsf:13[2]'] });
    expect(dependencyArgs(cluster, ['lsf:12'], ctx)).toMatchObject({ error: expect.stringContaining('not a slurm job id') });
    expect(dependencyArgs(cluster, ['12'], ctx)).toMatchObject({ error: expect.stringContaining('not a slurm job id') });
    for (const bad of TAMPERED) expect(dependencyArgs(cluster, [`slurm:${bad}`], ctx), JSON.stringify(bad)).toMatchObject({ error: expect.stringContaining('not a job id') });
    expect(dependencyArgs({ name: 'box', kind: 'ssh' }, ['local:99'], ctx)).toMatchObject({ error: expect.stringContaining('cannot hold a job') });
    const { dir } = recorders();
    expect(existsSync(path.join(dir, 'PWNED'))).toBe(false);
  });
});
