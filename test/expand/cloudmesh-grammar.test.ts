import { describe, expect, it } from 'vitest';
import { formatDiagnostics, SourceSet } from '../../src/diagnostics/index.js';
import { expandCommaString } from '../../src/expand/commas.js';
import { compile, where } from './helpers.js';

/**
 * The comma-string grammar as cloudmesh-ee expands it (cloudmesh-common
 * Parameter.expand over python-hostlist's expand_hostlist; see the header of
 * src/expand/commas.ts): repeats and empty items dropped with a warning, the colon
 * prefix of the first item applied to the others, and where eegen deviates.
 */

/** Compile `x: <yaml scalar>` and return the values, and every diagnostic with its position. */
function run(scalar: string): { values?: unknown[]; found: Array<{ code: string; severity: string; line: number; column: number; text: string }> } {
  const { loaded, sweep, diagnostics } = compile(`experiment:\n  x: ${scalar}\n`);
  const found = diagnostics.map((d) => ({ ...where(loaded, d), severity: d.severity }));
  const values = sweep?.dimensions.find((d) => d.name === 'x')?.values;
  return values ? { values, found } : { found };
}

/** Double-quoted YAML value; the value text starts at column 7 (`  x: "` is 6 characters). */
const dq = (v: string) => `"${v}"`;
const col = (offset: number) => 7 + offset;
const warn = (column: number, text: string, code = 'EG3007') => ({ code, severity: 'warning', line: 2, column, text });

describe('repeated items: the first of each is kept, repeats dropped with a warning at the repeat', () => {
  it('"1,1,2" -> 1, 2; the warning points at the second 1, not at 1:1', () => {
    expect(run(dq('1,1,2'))).toEqual({ values: [1, 2], found: [warn(col(2), '1')] });
  });
  it('every repeat is reported, each where it stands, in column order', () => {
    expect(run(dq('a,b,a,c,b,a'))).toEqual({ values: ['a', 'b', 'c'], found: [warn(col(4), 'a'), warn(col(8), 'b'), warn(col(10), 'a')] });
  });
  it('repeats after range expansion: "[1-3],2" keeps 1,2,3 and points at the 2', () => {
    expect(run(dq('[1-3],2'))).toEqual({ values: [1, 2, 3], found: [warn(col(6), '2')] });
  });
  it('a range that repeats part of an earlier one: one warning at the range, naming what it repeats', () => {
    const { values, found } = run(dq('[1-3],[2-4]'));
    expect(values).toEqual([1, 2, 3, 4]);
    expect(found).toEqual([warn(col(6), '[2-4]')]);
    const { warnings } = expandCommaString('[1-3],[2-4]');
    expect(warnings[0]!.message).toContain("gives '2', '3' again");
  });
  it('repeats inside one bracket range, and a literal repeating a range', () => {
    expect(run(dq('n[1-2,2]'))).toEqual({ values: ['n1', 'n2'], found: [warn(col(0), 'n[1-2,2]')] });
    expect(run(dq('n2,n[1-3]'))).toEqual({ values: ['n2', 'n1', 'n3'], found: [warn(col(3), 'n[1-3]')] });
  });
  it('"01" and "1" are different values (as in cloudmesh, which compares strings): both kept, no warning', () => {
    expect(run(dq('01,1'))).toEqual({ values: ['01', 1], found: [] });
    expect(run(dq('[01-02],1,2'))).toEqual({ values: ['01', '02', 1, 2], found: [] });
    expect(run(dq('[1-2],02'))).toEqual({ values: [1, 2, '02'], found: [] });
  });
  it('numbers are kept as written, so "1,1.0,1.00" and "0,-0" are different values (as in cloudmesh)', () => {
    expect(run(dq('1,1.0,1.00'))).toEqual({ values: [1, '1.0', '1.00'], found: [] });
    expect(run(dq('0,-0'))).toEqual({ values: [0, '-0'], found: [] });
  });
  it('strings that only look alike are kept: "True,true", "1e3,1000", "+5,5"', () => {
    expect(run(dq('True,true'))).toEqual({ values: ['True', 'true'], found: [] });
    expect(run(dq('1e3,1000'))).toEqual({ values: ['1e3', 1000], found: [] });
    expect(run(dq('+5,5'))).toEqual({ values: ['+5', 5], found: [] });
  });
  it('a repeat with blanks around it is still a repeat (items are trimmed)', () => {
    expect(run(dq('1, 1 ,2'))).toEqual({ values: [1, 2], found: [warn(col(3), '1')] });
  });
  it('escaped commas: "a\\,b,a\\,b" is one value "a,b"', () => {
    // Single-quoted YAML: the backslash reaches eegen as written.
    const { values, found } = run("'a\\,b,a\\,b,c'");
    expect(values).toEqual(['a,b', 'c']);
    expect(found).toEqual([warn(col(5), 'a\\,b')]);
  });
  it('a value that is all repeats of one item still has that item', () => {
    expect(run(dq('7,7,7'))).toEqual({ values: [7], found: [warn(col(2), '7'), warn(col(4), '7')] });
  });
  it('the warning is a real diagnostic the formatter prints as file:line:col', () => {
    const { loaded, diagnostics } = compile('experiment:\n  epoch: "1,30,1"\n');
    expect(diagnostics).toHaveLength(1);
    const d = diagnostics[0]!;
    expect(d).toMatchObject({ code: 'EG3007', severity: 'warning', file: 'inline.yaml' });
    const sources = new SourceSet();
    sources.add('inline.yaml', loaded.text);
    expect(formatDiagnostics(diagnostics, sources)).toMatch(/^inline\.yaml:2:16 - warning EG3007: experiment\.epoch: The item '1' repeats an earlier item/);
  });
});

describe('a prefix before a colon in the first item applies to every item (cloudmesh colon rule)', () => {
  it('"gpu:a100,v100" -> gpu:a100, gpu:v100', () => {
    expect(run(dq('gpu:a100,v100'))).toEqual({ values: ['gpu:a100', 'gpu:v100'], found: [] });
  });
  it('"a100:1,2" -> a100:1, a100:2 (a count after a card)', () => {
    expect(run(dq('a100:1,2,4'))).toEqual({ values: ['a100:1', 'a100:2', 'a100:4'], found: [] });
  });
  it('items that carry their own prefix: nothing changes, not even the items without one', () => {
    expect(run(dq('gpu:a100,gpu:v100'))).toEqual({ values: ['gpu:a100', 'gpu:v100'], found: [] });
    expect(run(dq('gpu:a100,cpu:epyc,h100'))).toEqual({ values: ['gpu:a100', 'cpu:epyc', 'h100'], found: [] });
  });
  it('a colon only in a later item: nothing changes', () => {
    expect(run(dq('a100,gpu:v100'))).toEqual({ values: ['a100', 'gpu:v100'], found: [] });
  });
  it('only the first colon counts: "a:b:c,d" -> a:b:c, a:d', () => {
    expect(run(dq('a:b:c,d'))).toEqual({ values: ['a:b:c', 'a:d'], found: [] });
  });
  it('prefix with ranges: "gpu:[1-2]" is two colon strings, so nothing to add', () => {
    expect(run(dq('gpu:[1-2]'))).toEqual({ values: ['gpu:1', 'gpu:2'], found: [] });
    // As cloudmesh: the range gives two strings with a colon, so x gets no prefix.
    expect(run(dq('gpu:[1-2],x'))).toEqual({ values: ['gpu:1', 'gpu:2', 'x'], found: [] });
  });
  it('a range after the prefixed item gets the prefix on each of its values, numbers included', () => {
    expect(run(dq('local:a0,[1-2]'))).toEqual({ values: ['local:a0', 'local:1', 'local:2'], found: [] });
    expect(run(dq('node:n1,n[02-03]'))).toEqual({ values: ['node:n1', 'node:n02', 'node:n03'], found: [] });
  });
  it('repeats go first, as in cloudmesh: "gpu:a100,gpu:a100,v100" -> gpu:a100, gpu:v100', () => {
    expect(run(dq('gpu:a100,gpu:a100,v100'))).toEqual({ values: ['gpu:a100', 'gpu:v100'], found: [warn(col(9), 'gpu:a100')] });
  });
  it('an item that the prefix turns into an earlier value is dropped: "gpu:a100,a100,v100"', () => {
    expect(run(dq('gpu:a100,a100,v100'))).toEqual({ values: ['gpu:a100', 'gpu:v100'], found: [warn(col(9), 'a100')] });
    expect(expandCommaString('gpu:a100,a100').warnings[0]!.message).toContain("'gpu:a100' (with the first item's prefix)");
  });
  it('an empty item before the prefixed one does not stop the rule: ",gpu:a100,v100"', () => {
    expect(run(dq(',gpu:a100,v100'))).toEqual({ values: ['gpu:a100', 'gpu:v100'], found: [warn(col(0), ',')] });
  });
  it('blanks: the prefix carries the blanks after its colon, items are trimmed', () => {
    expect(run(dq('gpu: a100, v100'))).toEqual({ values: ['gpu: a100', 'gpu: v100'], found: [] });
    expect(run(dq(' gpu:a100 ,  v100 '))).toEqual({ values: ['gpu:a100', 'gpu:v100'], found: [] });
  });
  it('an escaped comma inside the prefixed item', () => {
    expect(run("'k:a\\,b,c'")).toEqual({ values: ['k:a,b', 'k:c'], found: [] });
  });
  it('container image tags: a prefix with slashes and dots is applied', () => {
    expect(run(dq('nvcr.io/nvidia/pytorch:23.10,24.01'))).toEqual({ values: ['nvcr.io/nvidia/pytorch:23.10', 'nvcr.io/nvidia/pytorch:24.01'], found: [] });
  });
});

describe('colons for other reasons: times, URLs, paths', () => {
  it('one time, or several, stay as they are (no rule applies)', () => {
    expect(run(dq('02:00:00'))).toEqual({ values: ['02:00:00'], found: [] });
    expect(run(dq('00:05:00,01:00:00,1-00:00:00'))).toEqual({ values: ['00:05:00', '01:00:00', '1-00:00:00'], found: [] });
    expect(run(dq('a100:1'))).toEqual({ values: ['a100:1'], found: [] });
  });
  it('a time first and a bare number after: eegen keeps both as written, with EG3008 (cloudmesh would make 10 into "00:10")', () => {
    const { values, found } = run(dq('00:05:00,10'));
    expect(values).toEqual(['00:05:00', 10]);
    expect(found).toEqual([warn(col(0), '00:05:00', 'EG3008')]);
    expect(expandCommaString('00:05:00,10').warnings[0]!.message).toContain("'10' -> '00:10'");
  });
  it('Slurm days-hours and ISO date-times are times too', () => {
    expect(run(dq('1-00:00:00,2'))).toEqual({ values: ['1-00:00:00', 2], found: [warn(col(0), '1-00:00:00', 'EG3008')] });
    expect(run(dq('2024-05-01T10:00:00,later'))).toEqual({ values: ['2024-05-01T10:00:00', 'later'], found: [warn(col(0), '2024-05-01T10:00:00', 'EG3008')] });
  });
  it('URLs: one is kept, several are kept, a URL and a bare word are kept with EG3008 (cloudmesh: "https:b")', () => {
    expect(run(dq('https://example.org/data?a=1'))).toEqual({ values: ['https://example.org/data?a=1'], found: [] });
    expect(run(dq('https://h/a,https://h/b'))).toEqual({ values: ['https://h/a', 'https://h/b'], found: [] });
    expect(run(dq('https://h/a,b'))).toEqual({ values: ['https://h/a', 'b'], found: [warn(col(0), 'https://h/a', 'EG3008')] });
  });
  it('paths: a drive letter or a file: URL first keeps the items as written, with EG3008', () => {
    expect(run("'C:\\data,D:\\data'")).toEqual({ values: ['C:\\data', 'D:\\data'], found: [] });
    expect(run("'C:\\data,scratch'")).toEqual({ values: ['C:\\data', 'scratch'], found: [warn(col(0), 'C:\\data', 'EG3008')] });
    expect(run(dq('file:/data/a,b'))).toEqual({ values: ['file:/data/a', 'b'], found: [warn(col(0), 'file:/data/a', 'EG3008')] });
  });
  it('paths with no colon are untouched', () => {
    expect(run(dq('/scratch/a,/scratch/b,~/c'))).toEqual({ values: ['/scratch/a', '/scratch/b', '~/c'], found: [] });
  });
});

describe('empty items are dropped with a warning at their comma', () => {
  it('"1,,2" -> 1, 2; the warning points at the second comma', () => {
    expect(run(dq('1,,2'))).toEqual({ values: [1, 2], found: [warn(col(2), ',')] });
  });
  it('"1," -> 1; the warning points at the trailing comma', () => {
    expect(run(dq('1,'))).toEqual({ values: [1], found: [warn(col(1), ',')] });
  });
  it('empty items at the start and the end, and blank ones', () => {
    expect(run(dq(',1,2,'))).toEqual({ values: [1, 2], found: [warn(col(0), ','), warn(col(4), ',')] });
    expect(run(dq('1, ,2,  '))).toEqual({ values: [1, 2], found: [warn(col(3), ','), warn(col(5), ',')] });
  });
  it('empty items and repeats together, in column order', () => {
    expect(run(dq('1,,1,2,'))).toEqual({ values: [1, 2], found: [warn(col(2), ','), warn(col(3), '1'), warn(col(6), ',')] });
  });
  it('a comma inside brackets or escaped is no empty item', () => {
    expect(run("'a\\,,b'")).toEqual({ values: ['a,', 'b'], found: [] });
  });
  it('"" stays an error (EG3002)', () => {
    expect(run(dq(''))).toEqual({ found: [{ code: 'EG3002', severity: 'error', line: 2, column: 6, text: '""' }] });
  });
  it('a value that is empty after dropping is an error (EG3002), without the warnings', () => {
    expect(run(dq(','))).toEqual({ found: [{ code: 'EG3002', severity: 'error', line: 2, column: 7, text: ',' }] });
    expect(run(dq(' , ,, '))).toEqual({ found: [{ code: 'EG3002', severity: 'error', line: 2, column: 7, text: ' , ,, ' }] });
  });
  it('an empty bracket part is still an error: "[1,,2]" is a bad range, not an empty item', () => {
    expect(run(dq('[1,,2]')).found.map((f) => f.code)).toEqual(['EG3003']);
  });
  it('an error elsewhere in the value still fails the key; the empty-item warning is kept beside it', () => {
    expect(run(dq('1,,[3-1]')).found.map((f) => [f.code, f.severity])).toEqual([
      ['EG3007', 'warning'],
      ['EG3003', 'error'],
    ]);
  });
});

describe('everything else is unchanged, and the result is deterministic', () => {
  it('ranges, padding, numbers and escapes read as before', () => {
    expect(run(dq('[08-10],n[1-2]x,1.50,1.5,-2,True'))).toEqual({ values: ['08', '09', '10', 'n1x', 'n2x', '1.50', 1.5, -2, 'True'], found: [] });
    expect(run("'a\\[1\\],\\\\'")).toEqual({ values: ['a[1]', '\\'], found: [] });
  });
  it('the same value gives the same values and warnings every time', () => {
    const text = ',gpu:a100,,v100,a100,[1-2],1,';
    const first = JSON.stringify(expandCommaString(text));
    for (let i = 0; i < 5; i++) expect(JSON.stringify(expandCommaString(text))).toBe(first);
    const { values, warnings } = expandCommaString(text);
    expect(values).toEqual(['gpu:a100', 'gpu:v100', 'gpu:1', 'gpu:2']);
    // Empty at 0, 10 and the end; 'a100' becomes gpu:a100 again; '1' repeats the range's 1.
    expect(warnings.map((w) => [w.offset, w.length])).toEqual([[0, 1], [10, 1], [16, 4], [27, 1], [28, 1]]);
    // With a second prefixed item, cloudmesh's rule no longer applies at all.
    expect(expandCommaString(',gpu:a100,,v100,a100,gpu:v100,[1-2],1,').values).toEqual(['gpu:a100', 'v100', 'a100', 'gpu:v100', 1, 2]);
  });
  it('a value that the file does not hold verbatim (YAML escapes) points at the whole scalar', () => {
    const { found } = run('"1,\\x31,2"');
    expect(found).toEqual([{ code: 'EG3007', severity: 'warning', line: 2, column: 6, text: '"1,\\x31,2"' }]);
  });
  it('a zip group whose key lost a repeat no longer matches in length: an error, after the warning', () => {
    const { diagnostics } = compile('experiment:\n  a: "1,1,2"\n  b: "x,y,z"\nsweep:\n  zip: [[a, b]]\n');
    expect(diagnostics.map((d) => [d.code, d.severity])).toEqual([
      ['EG3007', 'warning'],
      ['EG3014', 'error'],
    ]);
  });
});

describe('large values stay fast and their warnings short', () => {
  it('a range repeated whole: one warning that names five values and counts the rest', () => {
    const t0 = Date.now();
    const { values, warnings } = expandCommaString('[1-200000],[1-200000]');
    expect(values).toHaveLength(200000);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.message).toContain("gives '1', '2', '3', '4', '5' and 199995 more again");
    expect(Date.now() - t0).toBeLessThan(5000);
  });
  it('many repeated literal items: ten warnings at their items, one that counts the rest, in linear time', () => {
    const text = Array.from({ length: 40000 }, (_, i) => String(i % 100)).join(',');
    const t0 = Date.now();
    const { values, warnings } = expandCommaString(text);
    expect(values).toHaveLength(100);
    expect(warnings).toHaveLength(11);
    expect(warnings[0]!.offset).toBe(text.indexOf(',0,') + 1);
    expect(warnings[10]).toMatchObject({ kind: 'dropped', message: '39890 more items are dropped as empty or repeated (not listed).', offset: 0, length: text.length });
    expect(Date.now() - t0).toBeLessThan(5000);
  });
});

describe('YAML lists with a repeated item', () => {
  it('drop the repeat with EG3007 at the item (list and {values: [...]}), instead of two bundles of one name', async () => {
    const { compile } = await import('../../src/index.js');
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const path = await import('node:path');
    const dir = mkdtempSync(path.join(tmpdir(), 'eegen-lists-'));
    const file = path.join(dir, 'config.yaml');
    writeFileSync(file, 'experiment:\n  x: [1, 1, 2]\n  y: {values: [a, b, a]}\nrun:\n  command: echo {experiment.x}\nscheduler: bash\n');
    const r = await compile({ config: file });
    expect(r.plan!.bundles.map((b) => b.id)).toEqual(['x-1_y-a', 'x-1_y-b', 'x-2_y-a', 'x-2_y-b']);
    const warnings = r.diagnostics.filter((d) => d.code === 'EG3007');
    expect(warnings.map((d) => [d.severity, d.start])).toEqual([
      ['warning', 'experiment:\n  x: [1, '.length],
      ['warning', 'experiment:\n  x: [1, 1, 2]\n  y: {values: [a, b, '.length],
    ]);
  });
});
