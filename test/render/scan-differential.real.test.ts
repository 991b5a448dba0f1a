/**
 * Differential test of the shell-context scanner: src/shell/scan.ts (with its fast paths)
 * must return exactly what the reference implementation in test/support/scan-reference.ts
 * returns, for every text, in both modes ({placeholders} and Eta value tokens). The
 * scanner decides how values are quoted in generated scripts, so any difference is a
 * potential injection, not a cosmetic change.
 *
 * Inputs: seeded pseudo-random shell-like texts (built from the constructs the scanner
 * tracks, so that nested and unbalanced states are reached often), the same constructs
 * spliced into real templates, and every file under templates/, fixtures/ and
 * test/render/fixtures/ (Eta templates also with their tags turned into value tokens).
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import { scanShell, type ShellScan } from '../../src/shell/scan.js';
import { scanShell as referenceScan } from '../support/scan-reference.js';
import { mulberry32 } from '../../src/expand/sample.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The seeded generator eegen samples sweeps with: the same sequence on every run for a given seed. */
const rng = mulberry32;

/** Building blocks: everything the scanner gives a meaning to, and plain text around it. */
const PIECES: readonly string[] = [
  // words and separators
  'echo', 'x', 'foo=bar', 'a-b_c', '42', ' ', ' ', ' ', '\t', '\v', '\f', '\r', ';', '&&', '||', '|', '&', '>', '<', '< ', '>&2', '2>&1', '=', ',', '.', '/', '-', '*',
  // quotes and escapes
  "'", "'", '"', '"', "$'", '$"', '`', '`', '\\', '\\\\', "\\'", '\\"', '\\`', '\\$', '\\\n', '\\{x}', '\\\u00010\u0002',
  // substitutions and groups
  '$(', '$(', '$((', '((', '(', ')', ')', '))', '${', '${x:-', '}', '}', '{', '$', '$x', '$1', '$$', '$#', '${#x}', '$(( 1 + 2 ))', '((i++))',
  // comments and directives
  '#', ' #', '#SBATCH', '#SBATCH --time=1', '#BSUB', '#BSUB -n 1', '#SBATCHx', '#BSUBx', '#BSUB_', 'a#b', '#!',
  // here-documents
  '<<EOF', '<<-EOF', "<<'EOF'", '<<"E"', '<<\\E', '<<<', '<<< x', '<< EOF', '<<-\t"E F"', '<<E"O"F', "<<'EO", '<<', '<< ', '<<\\', 'cat <<EOF\n', 'cat <<-E\n',
  '\nEOF\n', '\n\tEOF\n', '\nEOF', 'EOF', '\nE\n', '\n\t\tE\n', 'E\n', '\nE F\n', '\nEO\n', '\n EOF\n',
  // lines
  '\n', '\n', '\n', '\n\n', '\r\n',
  // slots, and things that are almost slots
  '{placeholder}', '{a.b}', '{experiment.epoch}', '{os.USER}', '{a.}', '{1a}', '{}', '{x', '${a.b}', '{a,b}',
  '\u00010\u0002', '\u00011\u0002', '\u000112\u0002', '\u0001', '\u0002', '\u0001\u0002', '\u00017', '\u0001x\u0002',
  // non-ASCII: letters, a no-break space (\s in the word-break regex), line separators, a surrogate pair
  'ü', '\u00a0', '\u2028', '\ufeff', '\u3000', '\ud83d\ude00', '\u0085',
];

/** Single characters, for texts that are not made of whole constructs. */
const CHARS = "ab \t\n\v\f\r;&|()<>'\"`$#{}\\-.\u0001\u0002012Ex\u00a0";

function randomText(next: () => number, maxPieces: number): string {
  const count = Math.floor(next() * maxPieces);
  let s = '';
  for (let k = 0; k < count; k++) {
    if (next() < 0.15) s += CHARS[Math.floor(next() * CHARS.length)]!;
    else s += PIECES[Math.floor(next() * PIECES.length)]!;
  }
  return s;
}

/** Compare one text in both modes; returns a description of the first difference, if any. */
function differs(text: string): string | undefined {
  for (const options of [undefined, { tokens: true }] as const) {
    const got: ShellScan = options ? scanShell(text, options) : scanShell(text);
    const want: ShellScan = options ? referenceScan(text, options) : referenceScan(text);
    // Deep equality, and the same property order (JSON text) for anything that prints scans.
    if (!isDeepStrictEqual(got, want) || JSON.stringify(got) !== JSON.stringify(want)) return `${options ? 'tokens' : 'placeholders'}: ${JSON.stringify(text)}`;
  }
  return undefined;
}

function expectSame(text: string): void {
  const d = differs(text);
  if (d === undefined) return;
  // Show the full difference for the failing text.
  expect(scanShell(text), d).toStrictEqual(referenceScan(text));
  expect(scanShell(text, { tokens: true }), d).toStrictEqual(referenceScan(text, { tokens: true }));
  expect.unreachable(d);
}

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...filesUnder(p));
    else if (e.isFile()) out.push(p);
  }
  return out.sort();
}

const TEMPLATE_FILES = ['templates', 'fixtures', 'test/render/fixtures'].flatMap((d) => filesUnder(path.join(ROOT, d)));

/** An Eta template as render/eta.ts scans it: `<%= %>` tags become value tokens, other tags vanish. */
function etaAsTokens(text: string): string {
  let k = 0;
  return text.replace(/<%=[\s\S]*?%>/g, () => `\u0001${k++}\u0002`).replace(/<%[\s\S]*?%>\n?/g, '');
}

describe('scanShell equals the reference implementation', () => {
  it('on random shell-like texts', () => {
    const next = rng(0x5eed);
    let count = 0;
    for (let k = 0; k < 40_000; k++) {
      expectSame(randomText(next, k < 20_000 ? 12 : 60));
      count++;
    }
    expect(count).toBe(40_000);
  });

  it('on random single-character soups', () => {
    const next = rng(42);
    for (let k = 0; k < 20_000; k++) {
      const len = Math.floor(next() * 40);
      let s = '';
      for (let j = 0; j < len; j++) s += CHARS[Math.floor(next() * CHARS.length)]!;
      expectSame(s);
    }
  });

  it('on every template and fixture file, as is and with Eta tags as tokens', () => {
    expect(TEMPLATE_FILES.length).toBeGreaterThan(10);
    expect(TEMPLATE_FILES.some((f) => f.endsWith('slurm.eta'))).toBe(true);
    for (const file of TEMPLATE_FILES) {
      const text = readFileSync(file, 'utf8');
      expectSame(text);
      if (file.endsWith('.eta')) expectSame(etaAsTokens(text));
    }
  });

  it('on templates with random constructs spliced in', () => {
    const next = rng(7);
    const bases = TEMPLATE_FILES.filter((f) => /\.(eta|sh|slurm|lsf)$/.test(f)).map((f) => {
      const text = readFileSync(f, 'utf8');
      return f.endsWith('.eta') ? etaAsTokens(text) : text;
    });
    expect(bases.length).toBeGreaterThan(3);
    for (let k = 0; k < 3_000; k++) {
      let text = bases[k % bases.length]!;
      const edits = 1 + Math.floor(next() * 3);
      for (let e = 0; e < edits; e++) {
        const at = Math.floor(next() * (text.length + 1));
        const cut = next() < 0.3 ? Math.floor(next() * 8) : 0;
        text = text.slice(0, at) + randomText(next, 4) + text.slice(at + cut);
      }
      expectSame(text);
    }
  });

  it('on hand-picked edge cases', () => {
    const cases = [
      '',
      '{a}',
      '$ {a}',
      '\u00010\u0002',
      'echo \\\u00010\u0002',
      "cat <<'EOF'\n{a} \u00010\u0002 $(x\nEOF\n{b}",
      'cat <<-EOF\n\t\tEOF\n{a}',
      'cat <<-EOF\n\t\tEOF',
      'cat <<EOF <<-E2\nbody {a}\nEOF\n\tE2\n{b}',
      'cat <<E"O\nF"\nx\nEO\nF\n{a}',
      'echo $(cat <<EOF\n{a}\nEOF\n)\n{b}',
      'echo "$(cat <<EOF\n{a}\nEOF\n)" {b}',
      '#SBATCH --x={a}\n#SBATCHx {b}\n#BSUB_ {c}\n#BSUB -q {d}\n # {e}\necho a#{f} #{g}',
      'x=`echo \'{a}` {b}',
      'x=`echo "{a}` {b}',
      'echo ${x:-"{a}"} ${y:-\'{b}\'} ${z:-{c}}',
      "echo $'{a}\\'{b}' {c}",
      'echo $(( {a} + ( {b} ) )) (( {c} )) a(( {d} ))',
      'echo \u00a0#{a}\n\u3000#{b}\nx\u00a0<<\u00a0EOF\n',
      '<<',
      '<<\\',
      "<<'",
      'echo {a}\r\n#SBATCH {b}\r\n',
      'a\u2028#{b}',
    ];
    for (const c of cases) expectSame(c);
  });
});
