/**
 * Parameter values that try to break out of their quoting must reach the program as
 * plain text, in every shell position a template can put them, and never run.
 * These tests render real scripts and run them with bash.
 */
import { existsSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { renderTemplate } from '../../src/render/index.js';
import { context, runBash, source } from './helpers.js';

const tag = randomBytes(6).toString('hex');
const pwned = [1, 2, 3, 4].map((n) => `/tmp/pwned${n}-${tag}`);

const VALUES: string[] = [
  `x'; touch ${pwned[0]}; '`,
  `$(touch ${pwned[1]})`,
  `\`touch ${pwned[2]}\``,
  `"; touch ${pwned[3]}; "`,
  'a"b',
  "it's",
  '50% off',
  'a b  c',
  'ü/ñ=:',
  'back\\slash\\n',
  '${HOME}',
  '$HOME',
  '*',
  '~',
  '',
  "'",
  '}',
  '{',
  '!x',
  '-n',
  'tab\there',
  'two\nlines',
  ' leading and trailing ',
  'a\\',
];
const params = Object.fromEntries(VALUES.map((v, i) => [`v${i}`, v]));
const names = VALUES.map((_, i) => `v${i}`);
/** Values that fit a single line (comments, directives). */
const singleLine = names.filter((n) => !params[n]!.includes('\n'));

afterAll(() => {
  for (const p of pwned) rmSync(p, { force: true });
});

/** Shell text that prints its arguments NUL-separated and ends the record with \x01. */
const DUMP = `dump() { for a in "$@"; do printf '%s\\0' "$a"; done; printf '\\001'; }\n`;

function records(stdout: string): string[][] {
  const parts = stdout.split('\u0001');
  expect(parts.pop()).toBe('');
  return parts.map((r) => {
    const fields = r.split('\u0000');
    expect(fields.pop()).toBe('');
    return fields;
  });
}

function heredocBody(ref: (n: string) => string): string {
  return names.map(ref).join('\n--SEP--\n');
}

function expectNoPwned(): void {
  for (const p of pwned) expect(existsSync(p), `${p} must not exist`).toBe(false);
}

describe('hostile values in a cloudmesh template', () => {
  const ref = (n: string): string => `{experiment.${n}}`;
  const text = [
    '#!/bin/bash',
    `#SBATCH --comment=${singleLine.map(ref).join(',')}`,
    `# comment: ${singleLine.map(ref).join(' ')}`,
    DUMP,
    `dump ${names.map(ref).join(' ')}`,
    `dump ${names.map((n) => `'${ref(n)}'`).join(' ')}`,
    `dump ${names.map((n) => `"${ref(n)}"`).join(' ')}`,
    `dump ${names.map((n) => `$'${ref(n)}'`).join(' ')}`,
    `dump ${names.map((n) => `"$(printf '%s' ${ref(n)})"`).join(' ')}`,
    `dump ${names.map((n) => `"\`printf '%s' ${ref(n)}\`"`).join(' ')}`,
    `dump --opt=${ref('v7')} pre${ref('v0')}post "in ${ref('v1')} side" 'in ${ref('v5')} side'`,
    'cat <<EOF',
    heredocBody(ref),
    'EOF',
    "printf '\\001'",
    "cat <<'EOF'",
    heredocBody(ref),
    'EOF',
    "printf '\\001'",
    'cat <<-"EOF"',
    heredocBody((n) => `\t${ref(n)}`),
    '\tEOF',
    "printf '\\001'",
    '',
  ].join('\n');

  it('renders without diagnostics and every value arrives byte-exactly', () => {
    const r = renderTemplate(source('hostile.in.sh', text), context(params));
    expect(r.diagnostics).toEqual([]);
    const run = runBash(r.text!);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expectNoPwned();
    const recs = run.stdout.split('\u0001');
    expect(recs.pop()).toBe('');
    const argRecords = records(recs.slice(0, 7).map((x) => `${x}\u0001`).join(''));
    for (const rec of argRecords.slice(0, 6)) expect(rec).toEqual(VALUES);
    expect(argRecords[6]).toEqual(['--opt=' + VALUES[7], `pre${VALUES[0]}post`, `in ${VALUES[1]} side`, `in ${VALUES[5]} side`]);
    const expectedBody = `${VALUES.join('\n--SEP--\n')}\n`;
    expect(recs[7]).toBe(expectedBody);
    expect(recs[8]).toBe(expectedBody);
    // <<- strips the leading tabs of every line, including the ones a value brings.
    expect(recs[9]).toBe(`${VALUES.map((v) => v.replace(/^\t+/gm, '')).join('\n--SEP--\n')}\n`);
  });
});

describe('hostile values in an Eta template', () => {
  const ref = (n: string): string => `<%= it.params.${n} %>`;
  const text = [
    '#!/bin/bash',
    `#SBATCH --comment=${singleLine.map(ref).join(',')}`,
    `# comment: ${singleLine.map(ref).join(' ')}`,
    DUMP,
    `dump ${names.map(ref).join(' ')}`,
    `dump ${names.map((n) => `'${ref(n)}'`).join(' ')}`,
    `dump ${names.map((n) => `"${ref(n)}"`).join(' ')}`,
    `dump ${names.map((n) => `<%~ it.sh(it.params.${n}) %>`).join(' ')}`,
    `dump ${names.map((n) => `"$(printf '%s' ${ref(n)})"`).join(' ')}`,
    `dump ${names.map((n) => `"\`printf '%s' ${ref(n)}\`"`).join(' ')}`,
    `dump <%= it.params.list %> "<%= it.params.list %>" "\`printf '%s ' <%= it.params.list %>\`"`,
    'cat <<EOF',
    heredocBody(ref),
    'EOF',
    "printf '\\001'",
    "cat <<'EOF'",
    heredocBody(ref),
    'EOF',
    "printf '\\001'",
    '',
  ].join('\n');

  it('renders without diagnostics and every value arrives byte-exactly', () => {
    const r = renderTemplate(source('hostile.sh.eta', text), context({ ...params, list: [VALUES[0]!, 'b c', 3] }));
    expect(r.diagnostics).toEqual([]);
    const run = runBash(r.text!);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expectNoPwned();
    const recs = run.stdout.split('\u0001');
    expect(recs.pop()).toBe('');
    const argRecords = records(recs.slice(0, 7).map((x) => `${x}\u0001`).join(''));
    for (const rec of argRecords.slice(0, 6)) expect(rec).toEqual(VALUES);
    expect(argRecords[6]).toEqual([VALUES[0], 'b c', '3', JSON.stringify([VALUES[0], 'b c', 3]), `${VALUES[0]} b c 3 `]);
    const expectedBody = `${VALUES.join('\n--SEP--\n')}\n`;
    expect(recs[7]).toBe(expectedBody);
    expect(recs[8]).toBe(expectedBody);
  });
});

describe('values that cannot be placed are refused, not written', () => {
  const cases: [string, string, string][] = [
    ['a newline in a directive line', '#SBATCH --comment={experiment.x}\necho ok\n', 'a\n#SBATCH --mem=1T'],
    ['a newline in a comment', '# {experiment.x}\necho ok\n', `a\ntouch ${pwned[0]}`],
    ['a delimiter line in a here-document', `cat <<EOF\n{experiment.x}\nEOF\n`, `a\nEOF\ntouch ${pwned[0]}`],
    ['a delimiter line in a quoted here-document', `cat <<'END'\n{experiment.x}\nEND\n`, `END\ntouch ${pwned[0]}`],
    ['a value completing a delimiter line', `cat <<EOF\n{experiment.x}OF\nEOF\n`, 'E'],
    ['a control character', 'echo {experiment.x}\n', 'bell\u0007'],
    ['a quote inside ${...}', 'echo "${X:-{experiment.x}}"\n', "it's"],
  ];
  for (const [what, template, value] of cases) {
    it(`cloudmesh: ${what}`, () => {
      const r = renderTemplate(source('bad.in.sh', template), context({ x: value }));
      expect(r.text).toBeUndefined();
      expect(r.diagnostics.map((d) => d.code)).toContain('EG4004');
      expect(r.diagnostics[0]).toMatchObject({ file: 'bad.in.sh', line: template.split('\n').findIndex((l) => l.includes('{experiment.x}')) + 1 });
    });
    it(`eta: ${what}`, () => {
      const r = renderTemplate(source('bad.sh.eta', template.replace('{experiment.x}', '<%= it.params.x %>')), context({ x: value }));
      expect(r.text).toBeUndefined();
      expect(r.diagnostics.map((d) => d.code)).toContain('EG4004');
    });
  }

  it('a bare-safe value inside ${...} is fine', () => {
    const r = renderTemplate(source('ok.in.sh', 'printf "%s" "${X:-{experiment.x}}"\n'), context({ x: '/data/a-b_c.d:1' }));
    expect(r.diagnostics).toEqual([]);
    expect(runBash(r.text!).stdout).toBe('/data/a-b_c.d:1');
  });
});
