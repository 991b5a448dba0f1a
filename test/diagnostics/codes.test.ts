/**
 * One code, one meaning: the stage catalogues (src/<stage>/codes.ts) never give two names
 * the same code, every code written in the source lies in the range of the stage it is in
 * (src/diagnostics/index.ts lists the ranges), and a code is used by one stage only.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DISPATCH_CODES } from '../../src/dispatch/codes.js';
import { EXPAND_CODES } from '../../src/expand/codes.js';
import { RENDER_CODES } from '../../src/render/codes.js';
import { RESOLVE_CODES } from '../../src/resolve/codes.js';
import { RESULT_CODES } from '../../src/results/codes.js';
import { WRITE_CODES } from '../../src/write/codes.js';
import { WORKFLOW_CODES } from '../../src/workflow/codes.js';
import { PREDICT_CODES } from '../../src/predict/index.js';
import { REPORT_CODES } from '../../src/report/index.js';
import { ROOT } from '../support/cli.js';

const SRC = path.join(ROOT, 'src');
const CATALOGUES: Record<string, Record<string, string>> = { dispatch: DISPATCH_CODES, expand: EXPAND_CODES, render: RENDER_CODES, resolve: RESOLVE_CODES, results: RESULT_CODES, write: WRITE_CODES, workflow: WORKFLOW_CODES, predict: PREDICT_CODES, report: REPORT_CODES };
/** The thousands each part of the source may use (a top-level file is its own part). */
const RANGES: Record<string, string> = { load: '12', validate: '2', compile: '23', expand: '3', resolve: '3', render: '4', 'build.ts': '5', write: '5', verify: '5', dispatch: '6', inventory: '6', results: '7', workflow: '7', predict: '8', report: '8', cli: '9' };

function sources(dir = SRC): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []));
}
const uses = sources().flatMap((f) => [...readFileSync(f, 'utf8').matchAll(/'(EG\d{4})'/g)].map((m) => ({ code: m[1]!, part: path.relative(SRC, f).split(path.sep)[0]! })));

describe('diagnostic codes', () => {
  it('finds the codes it is about', () => {
    expect(uses.length).toBeGreaterThan(100);
    expect(Object.values(CATALOGUES).every((c) => Object.keys(c).length > 0)).toBe(true);
  });

  it('no two catalogue names share a code', () => {
    const seen = new Map<string, string>();
    const twice: string[] = [];
    for (const [stage, cat] of Object.entries(CATALOGUES)) {
      for (const [name, code] of Object.entries(cat)) {
        const where = `${stage}.${name}`;
        if (seen.has(code)) twice.push(`${code}: ${seen.get(code)} and ${where}`);
        seen.set(code, where);
      }
    }
    expect(twice).toEqual([]);
  });

  it('every code lies in its stage\'s range, and no code is used by two stages', () => {
    const outOfRange = uses.filter((u) => !(RANGES[u.part] ?? '').includes(u.code[2]!)).map((u) => `${u.code} in ${u.part}`);
    expect([...new Set(outOfRange)]).toEqual([]);
    const parts = new Map<string, Set<string>>();
    for (const u of uses) parts.set(u.code, (parts.get(u.code) ?? new Set()).add(u.part === 'inventory' ? 'dispatch' : u.part));
    expect([...parts].filter(([, p]) => p.size > 1).map(([c, p]) => `${c}: ${[...p].join(', ')}`)).toEqual([]);
  });
});
