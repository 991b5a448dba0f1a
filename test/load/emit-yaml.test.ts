/**
 * The fast emitter behind `toYaml` must write exactly what the `yaml` package's own
 * stringify writes (frozen config.yaml bytes are pinned by golden bundles and hashed
 * into bundle inputs). Checked differentially against yaml on a seeded random corpus
 * of hostile data, on hand-written edge cases and on the fixture configs.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Document, parse, Scalar, visit } from 'yaml';
import { emitYaml, type ScalarText } from '../../src/load/emit-yaml.js';
import { isYaml11Other, parseYaml, toYaml } from '../../src/load/yaml.js';
import type { Mapping, Value } from '../../src/types.js';
import { mulberry32 } from '../../src/expand/sample.js';

const OPTIONS = { lineWidth: 0, minContentWidth: 0, aliasDuplicateObjects: false, version: '1.2' } as const;
/**
 * What toYaml wrote before the fast emitter, and must still write: yaml's text, with the
 * strings a YAML 1.1 reader would take for another type double-quoted (see yaml.ts).
 */
const reference = (v: unknown): string => {
  const doc = new Document(v, OPTIONS);
  visit(doc, {
    Scalar(_k, node) {
      if (typeof node.value === 'string' && (node.type === undefined || node.type === Scalar.PLAIN) && isYaml11Other(node.value)) node.type = Scalar.QUOTE_DOUBLE;
    },
  });
  return doc.toString(OPTIONS);
};

/**
 * The scalar spelling toYaml gives emitYaml (private in load/yaml.ts), minus its memo:
 * drives emitYaml directly, to check its output and count how often it answers.
 */
const naiveScalar: ScalarText = (value, asKey) => {
  const doc = reference(asKey ? { [value]: 0 } : [value]);
  const text = asKey ? doc.slice(0, -': 0\n'.length) : doc.slice(2, -1);
  return text.includes('\n') || (asKey && /^(%|---|\.\.\.)/m.test(String(value))) ? undefined : text;
};

/** The seeded generator eegen samples sweeps with: the same sequence on every run for a given seed. */
const rng = mulberry32;

/** Pieces strings are made of: YAML indicators, type look-alikes, whitespace, unicode. */
const NASTY = [
  '"', "'", ':', '#', '-', '?', '{', '}', '[', ']', ',', '&', '*', '!', '|', '>', '<', '%', '@', '`', '\\', '=', '$', '(', ')', '/', '.', '_', '+',
  ' ', '  ', '\t', '\n', '\r', '\n\n', ' \n', '\n ', ': ', ' #', ':\t', '- ', '? ',
  'é', '日本', '😀', '\u0085', '\u00a0', '\u2028', '\u0000', '\u0007', '\u001b', '\u007f', '\ud800', '\ufeff',
  'a', 'b', 'Z', 'key', 'x1', '0', '1', '9', '42', '007',
  'true', 'True', 'TRUE', 'false', 'FALSE', 'null', 'Null', 'NULL', '~', 'yes', 'No', 'on', 'OFF', 'y', 'n',
  '0x1F', '0o17', '0b11', '1e3', '1E-3', '.5', '5.', '-1', '+1', '-.5', '1_000', '.inf', '-.Inf', '.nan', '.NaN',
  '<<', '---', '...', '%YAML', '&a', '*a', '!tag', '!!str',
  '/scratch/', '${USER}', '{os.USER}', '{experiment.lr}', '02:00:00', '32G', 'http://x.org/a#b', 'python train.py --lr 1',
];
/** Ordinary words, so that many documents also exercise the plain fast path. */
const TAME = ['name', 'cloudmask', 'slurm', 'resources', 'nodes', 'time', 'mem', 'run', 'command', 'a.b', 'x_y', '/data/in', 'A-Z', 'lr', 'v1.2'];
const NUMBERS = [0, 1, 2, 7, 42, -1, -17, 1e3, 65536, 2 ** 31, 2 ** 53 - 1, 2 ** 53 + 2, -(2 ** 60), 1e21, 1e300, 0.1, 0.001, 1.5, -2.5, 1e-7, 3.14159, Number.MIN_VALUE, Number.MAX_VALUE, -0, NaN, Infinity, -Infinity];

function makeCorpus(seed: number, count: number): Value[] {
  const r = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const string = (): string => {
    const x = r();
    if (x < 0.35) return pick(TAME);
    if (x < 0.5) return pick(NASTY);
    if (x < 0.53) return '';
    if (x < 0.535) return 'k'.repeat(990 + Math.floor(r() * 60)); // around yaml's 1024-char key limit
    let s = '';
    for (let n = 1 + Math.floor(r() * 4); n > 0; n--) s += r() < 0.5 ? pick(TAME) : pick(NASTY);
    return s;
  };
  const scalar = (): Value => {
    const x = r();
    if (x < 0.55) return string();
    if (x < 0.8) return pick(NUMBERS);
    if (x < 0.9) return r() < 0.5;
    return null;
  };
  const value = (depth: number): Value => {
    const x = r();
    if (depth >= 5 || x < 0.5) return scalar();
    const n = r() < 0.1 ? 0 : 1 + Math.floor(r() * 5);
    if (x < 0.7) return Array.from({ length: n }, () => value(depth + 1));
    const m: Mapping = {};
    for (let i = 0; i < n; i++) {
      const k = string();
      if (k !== '__proto__') m[k] = value(depth + 1);
    }
    return m;
  };
  return Array.from({ length: count }, (_, i) => {
    if (i % 20 === 19) return value(0); // now and then a top-level scalar or sequence
    const m: Mapping = {};
    for (let n = 1 + Math.floor(r() * 6); n > 0; n--) m[string()] = value(1);
    return m;
  });
}

/**
 * Strings that yaml itself (2.9) does not read back as written, so toYaml, being
 * byte-identical, does not either: whitespace before a newline (e.g. " \n" becomes a
 * `|+` block scalar that loses the spaces or does not parse) and a byte-order mark
 * (a plain scalar starting with U+FEFF loses it when it opens the document).
 */
function hasYamlRoundTripQuirk(v: unknown): boolean {
  if (typeof v === 'string') return /[ \t]\n|\ufeff/.test(v);
  if (v === null || typeof v !== 'object') return false;
  return Object.entries(v).some(([k, x]) => hasYamlRoundTripQuirk(k) || hasYamlRoundTripQuirk(x));
}

describe('toYaml writes exactly what yaml writes', () => {
  it('on a seeded random corpus of hostile data, and parses back to the same value', () => {
    const corpus = makeCorpus(20240611, 3000);
    let fast = 0;
    for (const v of corpus) {
      const want = reference(v);
      const direct = emitYaml(v, naiveScalar);
      if (direct !== undefined) {
        fast++;
        expect(direct, JSON.stringify(v)).toBe(want);
      }
      const got = toYaml(v);
      expect(got, JSON.stringify(v)).toBe(want);
      if (!hasYamlRoundTripQuirk(v)) expect(parse(got, { version: '1.2' }), got).toEqual(v);
    }
    // Not vacuous: most documents go through the emitter, the rest through yaml.
    expect(fast).toBeGreaterThan(corpus.length / 3);
    expect(fast).toBeLessThan(corpus.length);
  });

  it('on every string of up to two characters from a hostile alphabet, as key and value at several depths', () => {
    const alphabet = [...'a01.-+:# \t\n\r\u2028\u0085%?"\'{[,&!|>@`~exnT_/<=*é\ufeff\u00a0'];
    const strings = ['', ...alphabet, ...alphabet.flatMap((a) => alphabet.map((b) => a + b))];
    for (const s of strings) {
      const v: Value = { [s]: s, k: { [s]: s, l: [s, { [s]: [s] }] }, m: [[s]] };
      expect(toYaml(v), JSON.stringify(s)).toBe(reference(v));
    }
  });

  it('on a typical frozen config, plainly spelled', () => {
    const cfg: Value = {
      application: { name: 'cloudmask' },
      data: '/scratch/${USER}/cloudmask',
      scheduler: 'slurm',
      resources: { nodes: 1, time: '02:00:00', mem: '32G' },
      experiment: { epoch: 1, lr: 0.001, batch: 1, repeat: 6 },
      run: { command: 'python train.py --epochs 1 --lr 0.001 --batch 1', args: ['--x', 'true', 1, null], env: {}, extra: [] },
    };
    const want = [
      'application:',
      '  name: cloudmask',
      'data: /scratch/${USER}/cloudmask',
      'scheduler: slurm',
      'resources:',
      '  nodes: 1',
      '  time: 02:00:00',
      '  mem: 32G',
      'experiment:',
      '  epoch: 1',
      '  lr: 0.001',
      '  batch: 1',
      '  repeat: 6',
      'run:',
      '  command: python train.py --epochs 1 --lr 0.001 --batch 1',
      '  args:',
      '    - --x',
      '    - "true"',
      '    - 1',
      '    - null',
      '  env: {}',
      '  extra: []',
      '',
    ].join('\n');
    expect(reference(cfg)).toBe(want);
    expect(emitYaml(cfg, naiveScalar)).toBe(want);
    expect(toYaml(cfg)).toBe(want);
  });

  /** Each case: the documents to write. */
  const cases: Record<string, unknown[]> = {
    'empty collections, top-level and nested': [{}, [], [[]], [{}], { a: {} }, { a: [] }],
    'sequences of sequences and mappings': [[1, [2, [3, []]]], { a: [{ b: [{}], c: [[{ d: 1 }]] }] }],
    'document markers as keys and values at several depths': [{ '---': { '---': ['---', '...x', { '...': '--- a' }] }, '%x': '%j.out' }, ['---', { '---': 1 }]],
    'markers after other line breaks, as keys at several depths': [
      { 'a\r%x': { 'a\u2028---': { 'a\u2029...': ['b\r%', { 'c\u2028%': 'd\r---' }] } }, 'x\u2028%': 1 },
    ],
    'multi-line strings (block scalars, indented by depth)': [{ a: 'one\ntwo', b: { c: ['x\n', ' lead\n', 'trail \n', '\n', 'a'.repeat(50) + '\nb'] } }],
    'keys near the 1024-character limit': [{ ['k'.repeat(1024)]: 1, ['k'.repeat(1025)]: { ['q'.repeat(1030)]: null } }],
    'odd numbers': [{ z: -0, n: NaN, i: Infinity, m: -Infinity, big: 1e21, small: 5e-324, list: [-0, 0.5, 1e100] }],
    'undefined members and holes': [{ a: undefined, b: [1, undefined, 3], c: [1, , 3] }], // eslint-disable-line no-sparse-arrays
    'a __proto__ key': [JSON.parse('{"__proto__": {"a": 1}, "b": 2}')],
    'a prototype-less mapping': [Object.assign(Object.create(null) as object, { a: 1, b: { c: 'd' } })],
    'non-plain objects': [{ d: new Date(0), s: new Set([1]), m: new Map([['a', 1]]), t: { toJSON: () => 'J' } }],
    'top-level scalars': ['just: a string', 'plain', '---', 42, null, true],
  };
  for (const [name, docs] of Object.entries(cases)) {
    it(`on ${name}`, () => {
      for (const doc of docs) expect(toYaml(doc as Value), JSON.stringify(doc)).toBe(reference(doc));
    });
  }

  it('on every fixture and profile that is a mapping', () => {
    const files = ['fixtures', 'profiles'].flatMap((dir) =>
      readdirSync(dir, { recursive: true, encoding: 'utf8' })
        .filter((f) => f.endsWith('.yaml'))
        .map((f) => join(dir, f)),
    );
    let checked = 0;
    for (const file of files) {
      const data = parseYaml(file, readFileSync(file, 'utf8')).loaded?.data;
      if (data === null || typeof data !== 'object' || Array.isArray(data)) continue;
      expect(toYaml(data), file).toBe(reference(data));
      checked++;
    }
    expect(checked).toBeGreaterThan(5);
  });
});
