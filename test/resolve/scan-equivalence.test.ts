/**
 * matchPlaceholderAt scans by hand and splitDeferred skips marker-free strings; both must
 * give exactly what the regex versions gave.
 */
import { describe, expect, it } from 'vitest';
import { deferredRef, splitDeferred, type DeferredPart } from '../../src/syntax/deferred.js';
import { findCandidates, matchPlaceholderAt } from '../../src/syntax/placeholders.js';
import { resolveConfig } from '../../src/resolve/index.js';
import { parseYaml } from '../../src/load/yaml.js';
import type { Mapping } from '../../src/types.js';

const SEGMENT = '[A-Za-z_][A-Za-z0-9_-]*';
const PLACEHOLDER_AT = new RegExp(`\\{(${SEGMENT}(?:\\.${SEGMENT})*)\\}`, 'y');

function regexMatchAt(text: string, i: number): ReturnType<typeof matchPlaceholderAt> {
  if (text.charCodeAt(i) !== 123 || text[i - 1] === '$') return undefined;
  PLACEHOLDER_AT.lastIndex = i;
  const m = PLACEHOLDER_AT.exec(text);
  if (!m) return undefined;
  return { start: i, end: i + m[0].length, name: m[1]!, path: m[1]!.split('.') };
}

function regexSplit(s: string): DeferredPart[] {
  const parts: DeferredPart[] = [];
  let last = 0;
  for (const m of s.matchAll(/\u0000env:([A-Za-z_][A-Za-z0-9_]*)\u0000/g)) {
    if (m.index > last) parts.push({ text: s.slice(last, m.index) });
    parts.push({ env: m[1]! });
    last = m.index + m[0].length;
  }
  if (last < s.length || parts.length === 0) parts.push({ text: s.slice(last) });
  return parts;
}

const TEXTS = [
  '',
  '{',
  '}',
  '{}',
  '{a}',
  '{a.b.c}',
  '{_x-1.Y_2}',
  '${a}',
  '$${a}',
  'x{a}y{b.c}z',
  '{a.}',
  '{.a}',
  '{a..b}',
  '{1a}',
  '{a-}',
  '{-a}',
  '{a b}',
  '{a',
  '{a.b',
  '{{a}}',
  '{a}{b}',
  '{é}',
  '{aé}',
  '{a.é}',
  '{a:b}',
  '{a,b}',
  '{ZZ.zz.__}',
  'awk \'{print $2}\' {experiment.epoch}',
  '{a\u0000}',
  '{a}\u{1F600}{b}',
];

describe('placeholder scanner', () => {
  it('matches exactly what the regex grammar matches, at every offset', () => {
    for (const text of TEXTS) for (let i = -1; i <= text.length + 1; i++) expect(matchPlaceholderAt(text, i)).toEqual(regexMatchAt(text, i));
  });

  it('finds the same candidates in generated texts', () => {
    const alphabet = ['{', '}', '.', '$', 'a', 'Z', '_', '-', '1', ' ', 'é', 'os', 'USER'];
    let x = 12345;
    const rnd = (n: number): number => {
      x = (x * 1103515245 + 12345) & 0x7fffffff;
      return x % n;
    };
    for (let k = 0; k < 5000; k++) {
      let text = '';
      for (let n = rnd(16); n > 0; n--) text += alphabet[rnd(alphabet.length)];
      const expected: ReturnType<typeof matchPlaceholderAt>[] = [];
      for (let i = text.indexOf('{'); i >= 0; ) {
        const m = regexMatchAt(text, i);
        if (m) expected.push(m);
        i = text.indexOf('{', m ? m.end : i + 1);
      }
      expect(findCandidates(text)).toEqual(expected);
    }
  });
});

describe('splitDeferred', () => {
  it('splits like the regex version, with and without markers', () => {
    const u = deferredRef('USER');
    const h = deferredRef('HOME');
    for (const s of ['', 'plain', '\u0000', '\u0000env:', `${u}`, `a${u}b`, `${u}${h}`, `/x/${u}/y/${h}`, '\u0000env:1X\u0000', `\u0000env:A${u}`]) {
      expect(splitDeferred(s)).toEqual(regexSplit(s));
    }
  });
});

describe('resolve walk', () => {
  it('resolves nested lists and maps, strings without braces kept, references through lists', () => {
    const yaml = [
      'a:',
      '  - plain',
      '  - "{b.c}"',
      '  - [1, "{b.c}-x", {k: "{b}"}]',
      'b:',
      '  c: "{d}"',
      'd: 7',
      'e: {x: null, y: true, z: [], w: {}}',
      'f: "{a}"',
      '',
    ].join('\n');
    const { loaded } = parseYaml('config.yaml', yaml);
    const config = loaded!.data as Mapping;
    const r = resolveConfig({ config, host: { name: 'h' }, loaded: loaded!, bundle: { id: 'x', index: 0 } });
    expect(r.diagnostics).toEqual([]);
    const expected = { a: ['plain', 7, [1, '7-x', { k: { c: 7 } }]], b: { c: 7 }, d: 7, e: { x: null, y: true, z: [], w: {} }, f: ['plain', 7, [1, '7-x', { k: { c: 7 } }]] };
    expect(r.config).toEqual(expected);
    // The result is a copy: the config itself is unchanged.
    expect(config.b).toEqual({ c: '{d}' });
  });

  it('reports a cycle through list items once, at the string that closes it', () => {
    const yaml = 'a:\n  - "{b}"\nb: "{a}"\n';
    const { loaded } = parseYaml('config.yaml', yaml);
    const r = resolveConfig({ config: loaded!.data as Mapping, host: { name: 'h' }, loaded: loaded!, bundle: { id: 'x', index: 0 } });
    expect(r.config).toBeUndefined();
    expect(r.diagnostics.map((d) => d.message)).toEqual(['The references form a cycle: a[0] -> b -> a[0].']);
  });
});
