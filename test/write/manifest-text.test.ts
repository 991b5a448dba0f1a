/**
 * finalizeBundle builds manifest.json and SHA256SUMS as text directly (and json.ts's
 * canonicalText replaces stringify(canonical(...))). These tests pin that the bytes,
 * hashes and errors are exactly those of the generic writer: `reference` below is the
 * straightforward implementation (Ordered trees, createHash, sort everything).
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { LAYOUT, type BundleFile, type BundlePlan, type Mapping } from '../../src/types.js';
import { WRITE_CODES, WriteError } from '../../src/write/codes.js';
import { canonical, canonicalText, jsonString, Ordered, sortBytes, stringify, type JsonLike } from '../../src/write/json.js';
import { checksumsText, finalizeBundle, MANIFEST_VERSION, sha256, TEMP_PREFIX, type BundleDraft } from '../../src/write/manifest.js';
import { ancestors, assertRelPath, compareBytes } from '../../src/write/paths.js';

const hashOf = (data: Buffer | string): string => createHash('sha256').update(data).digest('hex');

function referenceCheckFiles(id: string, files: BundleFile[]): void {
  const seen = new Set<string>();
  for (const f of files) {
    assertRelPath(f.path, `file of bundle ${id}`);
    if (f.path === LAYOUT.manifest || f.path === LAYOUT.checksums || f.path.split('/').some((s) => s.startsWith(TEMP_PREFIX))) {
      throw new WriteError(WRITE_CODES.reservedName, `Bundle ${id} has a file named ${f.path}, a name eegen reserves for itself.`, { path: f.path });
    }
    if (seen.has(f.path)) throw new WriteError(WRITE_CODES.duplicateFile, `Bundle ${id} has two files at ${f.path}.`, { path: f.path });
    seen.add(f.path);
  }
  for (const f of files) {
    const clash = ancestors(f.path).find((a) => seen.has(a));
    if (clash) throw new WriteError(WRITE_CODES.duplicateFile, `Bundle ${id} has a file ${clash} and a file ${f.path} below it.`, { path: f.path });
  }
}

/** The generic finalizeBundle, as it was written before the direct text builder. */
function reference(d: BundleDraft): BundlePlan {
  if (typeof d.id !== 'string' || d.id === '' || d.id.startsWith('.') || /[/\\\0\n\r]/.test(d.id)) {
    throw new WriteError(WRITE_CODES.badId, `The bundle id ${JSON.stringify(d.id)} cannot be a directory name.`);
  }
  assertRelPath(d.dir, `directory of bundle ${d.id}`);
  if (d.dir.split('/')[0] === LAYOUT.stateDir) {
    throw new WriteError(WRITE_CODES.badPath, `Bundle ${d.id} cannot live in ${LAYOUT.stateDir}/, eegen's state directory.`, { path: d.dir });
  }
  const files = [...d.files].sort((a, b) => compareBytes(a.path, b.path));
  referenceCheckFiles(d.id, files);
  if (!files.some((f) => f.path === d.script)) {
    throw new WriteError(WRITE_CODES.scriptNotInBundle, `The script ${JSON.stringify(d.script)} of bundle ${d.id} is not one of its files.`, { path: d.script });
  }
  const hashes = files.map((f) => [f.path, hashOf(f.content)] as [string, string]);
  const sortedSet = (xs: string[]) => [...new Set(xs)].sort(compareBytes);
  const doc = new Ordered([
    ['manifestVersion', MANIFEST_VERSION],
    ['eegen', d.eegenVersion],
    ['schema', d.schemaVersion],
    ['id', d.id],
    ['params', canonical(d.params)],
    ['script', d.script],
    ['scheduler', d.scheduler],
    ['inputs', canonical(d.inputs)],
    ['env', new Ordered([['used', sortedSet(d.env.used)], ['deferred', sortedSet(d.env.deferred)]])],
    ['files', new Ordered(hashes)],
  ]);
  const manifest = Buffer.from(stringify(doc) + '\n');
  const sums = checksumsText([...hashes, [LAYOUT.manifest, hashOf(manifest)]]);
  const all: BundleFile[] = [...files, { path: LAYOUT.manifest, content: manifest, mode: 0o644 }, { path: LAYOUT.checksums, content: Buffer.from(sums), mode: 0o644 }].sort((a, b) =>
    compareBytes(a.path, b.path),
  );
  return { id: d.id, dir: d.dir, index: d.index, params: d.params, script: d.script, scheduler: d.scheduler, files: all, hash: hashOf(sums) };
}

/** Comparable form of a plan, or of the error it throws. */
function outcome(f: () => BundlePlan): unknown {
  try {
    const b = f();
    return { ...b, files: b.files.map((x) => ({ ...x, content: x.content.toString('latin1') })) };
  } catch (e) {
    if (!(e instanceof WriteError)) throw e;
    return { error: e.code, message: e.message, path: e.path };
  }
}

function draft(extra: Partial<BundleDraft> = {}): BundleDraft {
  return {
    id: 'epoch-1_lr-0.1',
    dir: 'epoch-1_lr-0.1',
    index: 0,
    params: { epoch: 1, lr: 0.1 },
    script: 'job.slurm',
    scheduler: 'slurm',
    files: [
      { path: 'job.slurm', content: Buffer.from('#!/bin/bash\necho hi\n'), mode: 0o755 },
      { path: 'eegen-run.sh', content: Buffer.from('x'.repeat(5000)), mode: 0o755 },
      { path: 'config.yaml', content: Buffer.from('experiment:\n  epoch: 1\n'), mode: 0o644 },
    ],
    inputs: { template: sha256('t'), profile: sha256('p'), wrapper: sha256('w'), config: sha256('c') },
    env: { used: ['USER'], deferred: ['USER'] },
    eegenVersion: '0.1.0',
    schemaVersion: '1',
    ...extra,
  };
}

const file = (path: string, text = path): BundleFile => ({ path, content: Buffer.from(text), mode: 0o644 });

/** Params that stress key order, escaping and nesting. */
const PARAMS: Mapping[] = [
  {},
  { '10': true, '2': null, '1': 'one', b: 2, a: 1 },
  { zeta: 1, alpha: { b: [2, 1], a: 'x' }, '10': true, '2': null },
  { nested: { deeper: { list: [[], {}, [1, [2, { z: 0, y: [] }]], { '': 'empty key' }] } }, empty: {}, none: [] },
  { 'ünï': 'çødé', 'ключ': 'значение', '日本': '語', emoji: '\u{1F600}', astral: { '\u{1F600}': 1, '\uFFFF': 2, 'z': 3 } },
  { lone: '\ud800x', loneKey: { '\udc00': 1 } },
  { q: 'say "hi"\\ \n\t\r\b\f \u0000 \u001f \u007f \u2028 </script>' },
  { n: [0, -0, 1.5, -2, 1e21, 1e-7, 123456789012345680000, Number.MAX_SAFE_INTEGER, NaN, Infinity, -Infinity] },
  { t: true, f: false, z: null, s: '', arr: [null, true, 'x', { k: [] }] },
  { __proto_like: 1, constructor: 'c', toString: 's', 'a.b': 'dotted', 'a b': 'spaced', '-1': 'neg', '01': 'lead zero', '4294967295': 'big', '4294967294': 'max index' },
];

describe('manifest text builder', () => {
  it('writes the same bytes and hashes as the generic Ordered writer', () => {
    for (const params of PARAMS) {
      const d = draft({ params });
      expect(outcome(() => finalizeBundle(d))).toEqual(outcome(() => reference(d)));
    }
  });

  it('keeps integer-like keys in byte order, not JSON.stringify order', () => {
    const b = finalizeBundle(draft({ params: { '10': 1, '2': 2, a: 3 } }));
    const m = b.files.find((f) => f.path === LAYOUT.manifest)!.content.toString();
    expect(m).toContain('  "params": {\n    "10": 1,\n    "2": 2,\n    "a": 3\n  },\n');
  });

  it('handles inputs, env lists and file sets of every shape', () => {
    const cases: Partial<BundleDraft>[] = [
      { inputs: {} },
      { inputs: { 'file:b.txt': sha256('b'), 'file:a.txt': sha256('a'), config: sha256('c'), '9': 'x', '10': 'y' } },
      { env: { used: [], deferred: [] } },
      { env: { used: ['USER', 'HOME', 'USER', 'A_B', 'a'], deferred: ['Z', 'A', 'Z'] } },
      { env: { used: ['\u{1F600}', '\uFFFF', 'x'], deferred: ['b', 'a'] } },
      { env: { used: ['HOME', 'USER'], deferred: ['HOME', 'HOME'] } },
      { files: [file('job.slurm'), file('data/z.csv'), file('data/a.csv'), file('Z'), file('a'), file('manifest.jsom'), file('SHA256SUMT')] },
      { files: [file('job.slurm'), file('ünï/çødé.txt'), file('\u{1F600}.txt'), file('\uFFFF.txt'), file('data.v2/x'), file('.hidden'), file('a b/c d')] },
      { files: [file('job.slurm'), file('\ud800.txt'), file('x\udc00/y'), file('\u{1F600}')] },
      { files: [file('job.slurm'), file('SHA256SUMS.d/x'), file('manifest.json.bak'), file('A'), file('m'), file('S')] },
      { files: [file('job.slurm')] },
      { id: 'single', dir: 'runs/2024/single' },
      { scheduler: undefined, eegenVersion: 'v"1"\n' },
    ];
    for (const extra of cases) {
      const d = draft(extra);
      expect(outcome(() => finalizeBundle(d))).toEqual(outcome(() => reference(d)));
    }
  });

  it('refuses the same drafts with the same errors', () => {
    const bad: Partial<BundleDraft>[] = [
      { id: '' },
      { id: '.x' },
      { id: 'a/b' },
      { dir: '/abs' },
      { dir: 'a/../b' },
      { dir: '.eegen/x' },
      { dir: '.eegen' },
      { script: 'missing.sh' },
      { files: [file('job.slurm'), file('manifest.json')] },
      { files: [file('job.slurm'), file('SHA256SUMS')] },
      { files: [file('job.slurm'), file(`${TEMP_PREFIX}-1`)] },
      { files: [file('job.slurm'), file(`d/${TEMP_PREFIX}x/y`)] },
      { files: [file('job.slurm'), file('x'), file('x')] },
      { files: [file('job.slurm'), file('d'), file('d/e')] },
      { files: [file('job.slurm'), file('d/e/f'), file('d/e')] },
      { files: [file('job.slurm'), file('a//b')] },
      { files: [file('job.slurm'), file('./a')] },
      { files: [file('job.slurm'), file('a\\b')] },
      { files: [file('job.slurm'), file('C:x')] },
      { files: [file('job.slurm'), file('')] },
      { files: [file('job.slurm'), file('b/'), file('a/../x')] },
    ];
    for (const extra of bad) {
      const d = draft(extra);
      const got = outcome(() => finalizeBundle(d));
      expect(got).toHaveProperty('error');
      expect(got).toEqual(outcome(() => reference(d)));
    }
  });

  it('hashes like createHash, for strings and buffers, shared or not', () => {
    const big = Buffer.from('y'.repeat(4096));
    for (const data of ['', 'abc', 'ünï \u{1F600}', '\ud800', Buffer.alloc(0), Buffer.from('abc'), big, big]) expect(sha256(data)).toBe(hashOf(data));
  });
});

describe('canonicalText', () => {
  /** Deterministic pseudo-random values (xorshift), with the awkward cases over-represented. */
  function generator(seed: number): () => JsonLike {
    let x = seed;
    const rnd = (n: number): number => {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      return (x >>> 0) % n;
    };
    const strings = ['', 'a', 'B', '10', '2', '02', '-1', '1.5', 'é', '\u{1F600}', '\uFFFF', '\ud800', '"', '\\', '\n', 'x y', 'Z', '\u0001', '\u2028'];
    const value = (depth: number): JsonLike => {
      switch (rnd(depth > 3 ? 6 : 9)) {
        case 0:
          return null;
        case 1:
          return rnd(2) === 0;
        case 2:
          return [0, -0, 1, -7, 0.5, 1e21, NaN, Infinity][rnd(8)]!;
        case 3:
        case 4:
        case 5:
          return strings[rnd(strings.length)]! + (rnd(3) ? '' : strings[rnd(strings.length)]!);
        case 6:
          return Array.from({ length: rnd(4) }, () => value(depth + 1));
        case 7:
          return new Ordered(Array.from({ length: rnd(3) }, () => [strings[rnd(strings.length)]!, rnd(5) ? value(depth + 1) : undefined] as [string, JsonLike]));
        default: {
          const o: Record<string, JsonLike> = {};
          for (let i = rnd(5); i > 0; i--) o[strings[rnd(strings.length)]!] = rnd(6) ? value(depth + 1) : (undefined as unknown as JsonLike);
          return o;
        }
      }
    };
    return () => value(0);
  }

  it('equals stringify(canonical(v)) for many generated values and indents', () => {
    const next = generator(0x9e3779b9);
    for (let i = 0; i < 3000; i++) {
      const v = next();
      for (const indent of ['', '  ', '    ']) expect(canonicalText(v, indent)).toBe(stringify(canonical(v), indent));
    }
  });

  it('equals the generic writer for arrays with holes and undefined, and odd scalars', () => {
    // eslint-disable-next-line no-sparse-arrays
    const odd = [[1, , 3], [undefined], [undefined, 1], { a: undefined }, { a: undefined, b: 1 }, new Ordered([]), new Ordered([['a', undefined as unknown as JsonLike]]), undefined, NaN, -0, { d: new Date(0) }];
    for (const v of odd) expect(canonicalText(v as JsonLike)).toBe(stringify(canonical(v as JsonLike)));
  });

  it('jsonString and sortBytes agree with JSON.stringify and compareBytes', () => {
    for (const s of ['', 'plain', 'é', '\u{1F600}', '\ud800', '\udfff', '"q"', 'back\\slash', '\u0000\u001f\u007f', '\u2028\u2029', 'tab\t']) expect(jsonString(s)).toBe(JSON.stringify(s));
    const keys = ['b', 'a', '\u{1F600}', '\uFFFF', '10', '2', 'B', ''];
    expect(sortBytes([...keys])).toEqual([...keys].sort(compareBytes));
    expect(sortBytes(['a', 'b', 'c'])).toEqual(['a', 'b', 'c']);
  });
});
