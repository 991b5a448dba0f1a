import { describe, expect, it } from 'vitest';
import { parseYaml, toYaml } from '../../src/load/yaml.js';
import { freezeValue, resolveConfig, type ResolveResult } from '../../src/resolve/index.js';
import { deferredRef, hasDeferred } from '../../src/syntax/deferred.js';
import type { HostProfile, Mapping } from '../../src/types.js';

/** Resolve `yaml` with its `experiment` replaced by `params`. */
function resolve(yaml: string, params: Mapping = {}, host: HostProfile = { name: 'test' }): ResolveResult & { text: string } {
  const { loaded, diagnostics } = parseYaml('config.yaml', yaml);
  expect(diagnostics).toEqual([]);
  const config = { ...(loaded!.data as Mapping), experiment: params };
  return { ...resolveConfig({ config, host, loaded: loaded!, bundle: { id: 'epoch-30', index: 4 } }), text: yaml };
}

function spanText(r: { text: string }, d: { start?: number; length?: number }): string {
  return r.text.slice(d.start, d.start! + d.length!);
}

describe('references', () => {
  it('chain through other values, and keep the type of a whole-string reference', () => {
    const r = resolve(
      [
        'experiment:',
        '  epoch: "1,30"',
        'data:',
        '  scratch: "/scratch/{os.USER}/data"',
        '  training: "{data.scratch}/train"',
        'run:',
        '  epochs: "{experiment.epoch}"',
        '  label: "e{experiment.epoch}-lr{config.lr}"',
        '  everything: "{config}"',
        'config:',
        '  lr: 0.001',
        '',
      ].join('\n'),
      { epoch: 30 },
      { name: 'rivanna', user: 'alice' },
    );
    expect(r.diagnostics).toEqual([]);
    expect(r.config).toMatchObject({
      data: { scratch: '/scratch/alice/data', training: '/scratch/alice/data/train' },
      run: { epochs: 30, label: 'e30-lr0.001', everything: { lr: 0.001 } },
    });
    expect(r.usedEnv).toEqual(['USER']);
    expect(r.deferredEnv).toEqual([]);
  });

  it('a reference through a string that names a mapping', () => {
    const r = resolve('a: "{b}"\nb:\n  c: 5\nd: "{a.c}"\n');
    expect(r.config).toMatchObject({ a: { c: 5 }, d: 5 });
  });

  it('other braces are left alone', () => {
    const text = '${HOME}/x ${VAR:-y} $(date) {a,b} {print $2} {"k": 1} {x:.2f} {} {obj.attr} {1}';
    const r = resolve(`s: '${text}'\n`);
    expect(r.diagnostics).toEqual([]);
    expect(r.config!.s).toBe(text);
  });

  it('ee/sbatch.identifier, identifier, bundle, host and os namespaces', () => {
    const r = resolve(
      'identifier: "{experiment.gpu}_{experiment.epoch}"\nee:\n  time: 10\nout:\n  - "{ee.identifier}"\n  - "{sbatch.identifier}"\n  - "{identifier}"\n  - "{bundle.index}"\n  - "{host.name}"\n  - "{os.HOME}/{os.SCRATCH}"\n  - "{sbatch.time}"\n',
      { gpu: 'a100', epoch: 30 },
      { name: 'rivanna', home: '/home/alice', env: { SCRATCH: '/scratch' } },
    );
    expect(r.diagnostics).toEqual([]);
    expect(r.config!.out).toEqual(['epoch-30', 'epoch-30', 'a100_30', 4, 'rivanna', '/home/alice//scratch', 10]);
    expect(r.config!.identifier).toBe('a100_30');
    expect(r.usedEnv).toEqual(['HOME', 'SCRATCH']);
  });
});

describe('environment policy', () => {
  it('never reads process.env: unknown {os.NAME} is deferred and frozen as ${NAME}', () => {
    process.env.EEGEN_TEST_SECRET = 'leaked';
    const r = resolve('data:\n  scratch: "/scratch/{os.USER}/data"\n  secret: "{os.EEGEN_TEST_SECRET}"\n  home: "{os.HOME}"\n');
    delete process.env.EEGEN_TEST_SECRET;
    expect(r.diagnostics).toEqual([]);
    const data = r.config!.data as Mapping;
    expect(data.scratch).toBe(`/scratch/${deferredRef('USER')}/data`);
    expect(hasDeferred(data.secret as string)).toBe(true);
    expect(JSON.stringify(r.config)).not.toContain('leaked');
    expect(r.deferredEnv).toEqual(['EEGEN_TEST_SECRET', 'HOME', 'USER']);
    const frozen = freezeValue(r.config!);
    expect(frozen).toMatchObject({ data: { scratch: '/scratch/${USER}/data', secret: '${EEGEN_TEST_SECRET}', home: '${HOME}' } });
    expect(toYaml(frozen)).toContain('scratch: /scratch/${USER}/data');
  });

  it('the profile user and home are used when given', () => {
    const r = resolve('d: "{os.HOME}/x-{os.USER}"\n', {}, { name: 'h', user: 'alice', home: '/u/alice' });
    expect(r.config!.d).toBe('/u/alice/x-alice');
    expect(r.deferredEnv).toEqual([]);
  });

  it('invalid environment names are errors', () => {
    const r = resolve('a: "{os.MY-VAR}"\nb: "{os}"\n');
    expect(r.config).toBeUndefined();
    expect(r.diagnostics.map((d) => d.code)).toEqual(['EG3053', 'EG3053']);
  });
});

describe('errors', () => {
  it('a cycle names the whole chain', () => {
    const r = resolve('a: "{b}"\nb: "x{c.d}"\nc:\n  d: "{a}/y"\nok: "{e}"\ne: 1\n');
    expect(r.config).toBeUndefined();
    expect(r.diagnostics).toHaveLength(1);
    const d = r.diagnostics[0]!;
    expect(d.code).toBe('EG3051');
    expect(d.message).toContain('a -> b -> c.d -> a');
    expect(spanText(r, d)).toBe('{a}');
  });

  it('a self reference is a cycle', () => {
    const r = resolve('a: "{a}"\n');
    expect(r.diagnostics.map((d) => [d.code, d.message])).toEqual([['EG3051', 'The references form a cycle: a -> a.']]);
  });

  it('an unknown name suggests the nearest key, located at the placeholder', () => {
    const r = resolve('experiment:\n  epoch: 1\nrun:\n  cmd: "train --epochs {experiment.epoc}"\n', { epoch: 1 });
    expect(r.config).toBeUndefined();
    expect(r.diagnostics).toHaveLength(1);
    const d = r.diagnostics[0]!;
    expect(d).toMatchObject({ code: 'EG3050', file: 'config.yaml', hint: 'Did you mean {experiment.epoch}?' });
    expect(spanText(r, d)).toBe('{experiment.epoc}');
  });

  it('an unknown name below a top-level key, and a typo of a top-level key', () => {
    const r = resolve('data:\n  dir: /d\na: "{data.dri}"\nb: "{experimnt.epoch}"\n');
    expect(r.diagnostics.map((d) => [d.code, d.severity, d.hint])).toEqual([
      ['EG3050', 'error', 'Did you mean {data.dir}?'],
      ['EG3052', 'error', 'Did you mean {experiment.epoch}?'],
    ]);
  });

  it('a mapping inside a longer string is an error; {slurm.sbatch} is for templates', () => {
    const r = resolve('m:\n  a: 1\ns: "x{m}"\nt: "{slurm.sbatch}"\n');
    expect(r.diagnostics.map((d) => d.code)).toEqual(['EG3054', 'EG3055']);
  });

  it('each problem is reported once, however often it is referenced', () => {
    const r = resolve('a: "{nosuch.x}{experiment.zz}"\nb: "{a}"\nc: "{a}"\n', { z: 1 });
    expect(r.diagnostics.map((d) => d.code)).toEqual(['EG3050']);
  });
});

describe('shell-text fields', () => {
  it('run.command and resources.setup get shell quoting, not plain text', () => {
    const r = resolve(
      'run:\n  command: python train.py --name {experiment.name} --dir "{data.dir}" --user {os.USER} --n {experiment.n}\nresources:\n  setup:\n    - "echo \'{experiment.name}\'"\ndata:\n  dir: /d/$x\n',
      { name: "a b'; touch /tmp/x; '", n: 3 },
    );
    expect(r.diagnostics).toEqual([]);
    expect((r.config!.run as Mapping).command).toBe(`python train.py --name 'a b'\\''; touch /tmp/x; '\\''' --dir "/d/\\$x" --user "\${USER}" --n 3`);
    expect((r.config!.resources as Mapping).setup).toEqual([`echo 'a b'\\''; touch /tmp/x; '\\'''`]);
  });

  it('a command with an unbalanced quote is refused', () => {
    const r = resolve("run:\n  command: \"echo '{experiment.x}\"\n", { x: 1 });
    expect(r.diagnostics.map((d) => d.code)).toEqual(['EG3057']);
  });
});
