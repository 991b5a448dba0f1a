import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { finalizeBundle, sha256, parseChecksums, parseManifest } from '../../src/write/manifest.js';
import { WriteError } from '../../src/write/codes.js';
import { expectBaseline as expectBaselineFile } from '../support/baseline.js';
import { makeDraft } from './helpers.js';

const here = dirname(fileURLToPath(import.meta.url));

/** Compare with golden/<name> (test/support/baseline.ts: a missing file fails; EEGEN_UPDATE_BASELINES=1 records it). */
async function expectBaseline(name: string, actual: string): Promise<void> {
  expectBaselineFile(join(here, 'golden', name), actual);
}

const text = (b: ReturnType<typeof finalizeBundle>, path: string) => b.files.find((f) => f.path === path)!.content.toString('utf8');

describe('finalizeBundle', () => {
  const small = () =>
    finalizeBundle(
      makeDraft(3, 'A', {
        params: { zeta: 1, alpha: { b: [2, 1], a: 'x' }, '10': true, '2': null },
        inputs: { template: sha256('tpl'), config: sha256('cfg') },
        env: { used: ['USER', 'HOME', 'USER'], deferred: ['SLURM_JOB_ID'] },
      }),
    );

  it('matches the recorded manifest.json and SHA256SUMS', async () => {
    const b = small();
    await expectBaseline('small.manifest.json', text(b, 'manifest.json'));
    await expectBaseline('small.SHA256SUMS', text(b, 'SHA256SUMS'));
  });

  it('writes keys in a fixed order, maps sorted, no timestamps or absolute paths', () => {
    const m = text(small(), 'manifest.json');
    const keys = [...m.matchAll(/^ {2}"([^"]+)":/gm)].map((x) => x[1]);
    expect(keys).toEqual(['manifestVersion', 'eegen', 'schema', 'id', 'params', 'script', 'scheduler', 'inputs', 'env', 'files']);
    expect(m.indexOf('"10"')).toBeLessThan(m.indexOf('"2"')); // byte order, not JSON.stringify's integer-first order
    expect(m.indexOf('"alpha"')).toBeLessThan(m.indexOf('"zeta"'));
    expect(m.endsWith('}\n')).toBe(true);
    expect(m).not.toMatch(/\/tmp|\/home|\d{4}-\d\d-\d\dT/);
    expect(JSON.parse(m).env).toEqual({ used: ['HOME', 'USER'], deferred: ['SLURM_JOB_ID'] });
  });

  it('lists every other file in the manifest and every file in SHA256SUMS; hash covers SHA256SUMS', () => {
    const b = small();
    const m = parseManifest(text(b, 'manifest.json'));
    if (typeof m === 'string') throw new Error(m);
    expect(Object.keys(m.files)).toEqual(['config.yaml', 'data/input.txt', 'run.sh']);
    const sums = parseChecksums(text(b, 'SHA256SUMS'))!;
    expect([...sums.keys()]).toEqual(['config.yaml', 'data/input.txt', 'manifest.json', 'run.sh']);
    for (const f of b.files) if (f.path !== 'SHA256SUMS') expect(sums.get(f.path)).toBe(sha256(f.content));
    expect(b.hash).toBe(sha256(text(b, 'SHA256SUMS')));
    expect(b.files.map((f) => f.path)).toEqual(['SHA256SUMS', 'config.yaml', 'data/input.txt', 'manifest.json', 'run.sh']);
  });

  it('is deterministic whatever the input order', () => {
    const a = finalizeBundle(makeDraft(1));
    const d = makeDraft(1);
    const b = finalizeBundle({ ...d, files: [...d.files].reverse(), params: Object.fromEntries(Object.entries(d.params).reverse()) });
    expect(b.hash).toBe(a.hash);
  });

  it.each([
    ['../x', 'EG5001'],
    ['/etc/passwd', 'EG5001'],
    ['a/../../b', 'EG5001'],
    ['a\0b', 'EG5001'],
    ['a//b', 'EG5001'],
    ['./a', 'EG5001'],
    ['a\nb', 'EG5001'],
    ['manifest.json', 'EG5003'],
    ['SHA256SUMS', 'EG5003'],
    ['.eegen-tmp-x/y', 'EG5003'],
    ['run.sh', 'EG5002'],
    ['run.sh/inner', 'EG5002'],
  ])('refuses the file path %j with %s', (path, code) => {
    const d = makeDraft(1);
    const bad = { ...d, files: [...d.files, { path, content: Buffer.from('x'), mode: 0o644 }] };
    expect(() => finalizeBundle(bad)).toThrow(WriteError);
    try {
      finalizeBundle(bad);
    } catch (e) {
      expect((e as WriteError).code).toBe(code);
      expect((e as WriteError).diagnostics[0]!.code).toBe(code);
    }
  });

  it('refuses bad bundle dirs and ids, and a script that is not a file', () => {
    const code = (extra: object) => {
      try {
        finalizeBundle(makeDraft(1, 'A', extra));
      } catch (e) {
        return (e as WriteError).code;
      }
      return 'ok';
    };
    expect(code({ dir: '../out' })).toBe('EG5001');
    expect(code({ dir: '/abs' })).toBe('EG5001');
    expect(code({ dir: '.eegen/x' })).toBe('EG5001');
    expect(code({ id: 'a/b' })).toBe('EG5004');
    expect(code({ id: '.hidden' })).toBe('EG5004');
    expect(code({ script: 'nope.sh' })).toBe('EG5009');
    expect(code({ dir: 'sweep/b1' })).toBe('ok');
  });
});
