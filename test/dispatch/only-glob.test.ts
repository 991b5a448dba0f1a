// `--only` takes the usual glob forms over bundle ids (picomatch: {a,b}, [25], ?, *, ranges,
// !negation), the CLI splits a comma-separated --only between patterns only, and a selection of nothing is
// EG6004 naming the patterns, the count, the output directory and an example id.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { isDiagnosticError } from '../../src/diagnostics/index.js';
import { splitPatterns } from '../../src/cli/dispatch.js';
import { readIndex, selectBundles } from '../../src/dispatch/outdir.js';
import { BIN } from '../support/cli.js';
import { tmpDir } from '../support/tree.js';

const IDS: string[] = [];
for (const lr of ['0.01', '0.1']) for (const epochs of [2, 5]) for (const repeat of [1, 2, 3]) IDS.push(`lr-${lr}_epochs-${epochs}_repeat-${repeat}`);
const BUNDLES = IDS.map((id) => ({ id }));
const pick = (...only: string[]) => selectBundles(BUNDLES, only).map((b) => b.id);

function noMatch(only: string[], bundles = BUNDLES): string {
  try {
    selectBundles(bundles, only);
  } catch (e) {
    if (!isDiagnosticError(e)) throw e;
    expect(e.diagnostics[0]!.code).toBe('EG6004');
    return `${e.diagnostics[0]!.message} | ${e.diagnostics[0]!.hint}`;
  }
  throw new Error('expected EG6004');
}

describe('--only: globs over bundle ids', () => {
  it('*, ?, [25], {a,b}, ranges, extglobs; several patterns are a union', () => {
    expect(pick()).toEqual(IDS);
    expect(pick('lr-0.01_*')).toEqual(IDS.slice(0, 6));
    expect(pick('*_epochs-[25]_repeat-1')).toEqual(['lr-0.01_epochs-2_repeat-1', 'lr-0.01_epochs-5_repeat-1', 'lr-0.1_epochs-2_repeat-1', 'lr-0.1_epochs-5_repeat-1']);
    expect(pick('lr-{0.01,0.1}_epochs-5_repeat-{1,3}')).toEqual(['lr-0.01_epochs-5_repeat-1', 'lr-0.01_epochs-5_repeat-3', 'lr-0.1_epochs-5_repeat-1', 'lr-0.1_epochs-5_repeat-3']);
    expect(pick('*_repeat-{2..3}')).toHaveLength(8);
    expect(pick('lr-0.1_epochs-?_repeat-2')).toEqual(['lr-0.1_epochs-2_repeat-2', 'lr-0.1_epochs-5_repeat-2']);
    expect(pick('*_repeat-@(1|3)')).toHaveLength(8);
    expect(pick('lr-0.1_epochs-2_repeat-1', 'lr-0.01_epochs-2_repeat-1')).toEqual(['lr-0.01_epochs-2_repeat-1', 'lr-0.1_epochs-2_repeat-1']); // sweep order kept
    // `.` is literal: lr-0.1 does not match lr-0.01.
    expect(pick('lr-0.1_*')).toEqual(IDS.slice(6));
  });

  it('!PATTERN leaves ids out (alone: all but those)', () => {
    expect(pick('!*_repeat-[12]')).toEqual(IDS.filter((id) => id.endsWith('repeat-3')));
    expect(pick('lr-0.01_*', '!*_epochs-5_*')).toEqual(['lr-0.01_epochs-2_repeat-1', 'lr-0.01_epochs-2_repeat-2', 'lr-0.01_epochs-2_repeat-3']);
  });

  it('the CLI splits --only a,b between patterns, never inside braces, brackets or parentheses', () => {
    expect(splitPatterns('lr-{0.01,0.1}_epochs-5_repeat-1,x*')).toEqual(['lr-{0.01,0.1}_epochs-5_repeat-1', 'x*']);
    expect(splitPatterns('a,b')).toEqual(['a', 'b']);
    expect(splitPatterns('*_repeat-@(1|3),*[2,5]*,{a,{b,c}},d')).toEqual(['*_repeat-@(1|3)', '*[2,5]*', '{a,{b,c}}', 'd']);
    expect(splitPatterns('a\\,b,c')).toEqual(['a\\,b', 'c']);
    expect(splitPatterns(',a,,b,')).toEqual(['a', 'b']);
    // An unbalanced closer does not swallow the rest.
    expect(splitPatterns('a},b')).toEqual(['a}', 'b']);
  });

  it('the library takes each element as one whole pattern (no re-gluing of pieces)', () => {
    expect(pick('*_repeat-{1,3}', 'lr-0.1_epochs-2_repeat-2')).toHaveLength(9);
    // Pieces of a split brace are patterns of their own: they match nothing here.
    expect(noMatch(['*_repeat-{1', '3}'])).toMatch(/^--only '\*_repeat-\{1', '3\}' matches none/);
  });

  it('matching nothing is EG6004 with the count and an example id; an exact id a typo away gets a suggestion', () => {
    expect(noMatch(['x*'])).toMatch(/^--only 'x\*' matches none of the 12 bundles; ids look like lr-0\.01_epochs-2_repeat-1\. \| --only takes globs over bundle ids/);
    expect(noMatch(['lr-0.01_epochs-2_repeat-9'])).toMatch(/\| Did you mean lr-0\.01_epochs-2_repeat-1\?/);
    expect(noMatch(['lr-*', '!lr-*'])).toMatch(/^--only 'lr-\*', '!lr-\*' matches none/);
    expect(noMatch(['a'], [])).toMatch(/^--only 'a' matches nothing: there are no bundles\./);
  });

  it('names the output directory the bundles came from', async () => {
    const out = tmpDir('eegen-only-');
    writeFileSync(path.join(out, 'index.json'), JSON.stringify({ varying: ['x'], bundles: [{ id: 'x-1' }, { id: 'x-2' }] }));
    const index = await readIndex(out);
    let message = '';
    try {
      selectBundles(index.bundles, ['y*'], out);
    } catch (e) {
      if (!isDiagnosticError(e)) throw e;
      message = e.diagnostics[0]!.message;
    }
    expect(message).toContain(`matches none of the 2 bundles in ${out}; ids look like x-1.`);
  });

  it('the dispatch commands print EG6004 and exit 1; the glob forms select through the CLI', () => {
    const dir = tmpDir('eegen-only-');
    writeFileSync(path.join(dir, 'config.yaml'), 'experiment:\n  lr: "0.01,0.1"\n  epochs: "2,5"\nscheduler: bash\nrun:\n  command: echo {experiment.lr}\n');
    const cli = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { cwd: dir, encoding: 'utf8', timeout: 20_000, input: '' });
    expect(cli('build', 'config.yaml').status).toBe(0);
    const st = cli('status', 'out', '--only', 'lr-{0.01,0.1}_epochs-[5]');
    expect(st.status, st.stderr).toBe(0);
    expect(st.stdout).toMatch(/lr-0\.01_epochs-5[\s\S]*lr-0\.1_epochs-5/);
    expect(st.stdout).not.toMatch(/epochs-2/);
    // Comma-separated: two patterns, one of them with a comma inside its braces.
    const two = cli('status', 'out', '--only', 'lr-0.01_epochs-{2,5},lr-0.1_epochs-2', '--json');
    expect(two.status, two.stderr).toBe(0);
    expect((JSON.parse(two.stdout) as { id: string }[]).map((b) => b.id).sort()).toEqual(['lr-0.01_epochs-2', 'lr-0.01_epochs-5', 'lr-0.1_epochs-2']);
    for (const cmd of [['status', 'out'], ['cancel', 'out'], ['collect', 'out'], ['submit', 'out', '--dry-run']]) {
      const r = cli(...cmd, '--only', 'x*');
      expect(r.status, `${cmd.join(' ')}: ${r.stdout}${r.stderr}`).toBe(1);
      expect(r.stderr).toMatch(/error EG6004: --only 'x\*' matches none of the 4 bundles in out; ids look like lr-0\.01_epochs-2\./);
      expect(r.stderr).not.toMatch(/internal error|\n\s+at .*\(/);
    }
  });
});
