/**
 * index.json and jobs.sh are written in pieces (a build streams them one bundle at a time):
 * the pieces must give the bytes of the whole document written at once, as eegen always
 * wrote them (`JSON.stringify(index, null, 2)`; jobs.sh's lines joined).
 */
import { describe, expect, it } from 'vitest';
import { indexFile, jobsScript } from '../../src/bundle/side-files.js';
import { shellQuote } from '../../src/shell/quote.js';
import type { BundlePlan, Mapping } from '../../src/types.js';

/** The document as it was made before it was streamed (the oracle). */
function wholeIndex(info: { eegen: string; schema: string; name?: string; varying: string[] }, bundles: BundlePlan[]): string {
  const index = {
    eegen: info.eegen,
    schema: info.schema,
    ...(info.name !== undefined ? { name: info.name } : {}),
    varying: info.varying,
    count: bundles.length,
    bundles: bundles.map((b) => ({ id: b.id, dir: b.dir, index: b.index, script: b.script, scheduler: b.scheduler, hash: b.hash, params: b.params })),
  };
  return `${JSON.stringify(index, null, 2)}\n`;
}

const bundle = (i: number, params: Mapping): BundlePlan => ({ id: `b-${i}`, dir: i % 2 ? `b-${i}` : `nested/b "${i}"`, index: i, params, script: 'job.slurm', scheduler: i % 3 ? 'slurm' : 'bash', files: [], hash: 'ab'.repeat(32) });

describe('streamed side files', () => {
  const cases: [string, BundlePlan[]][] = [
    ['no bundle', []],
    ['one bundle', [bundle(0, { a: 1 })]],
    ['nested, empty and odd values', [bundle(0, { a: [], b: {}, c: { d: [1, { e: 'x\ny' }], f: null }, '7': 'seven', 'quote"': 'tab\tand \u2028' }), bundle(1, {}), bundle(2, { s: "it's $(x)" })]],
  ];
  for (const [what, bundles] of cases) {
    it(`index.json and jobs.sh are the bytes of the whole document: ${what}`, () => {
      for (const info of [{ eegen: '0.1.0', schema: 'x', varying: [] }, { eegen: '0.1.0', schema: 'x', name: 'n "q"', varying: ['a', 'b'] }]) {
        expect(indexFile(info, bundles).content.toString()).toBe(wholeIndex(info, bundles));
      }
      const lines = [
        ...jobsScript([]).content.toString().split('\n').slice(0, 24),
        ...bundles.map((b) => `want ${shellQuote(b.dir)} "$@" && { run_bundle ${shellQuote(b.dir)} ${shellQuote(b.script)} ${b.scheduler} || failures=$((failures + 1)); }`),
        '',
        'if [ "$failures" -ne 0 ]; then echo "$failures bundle(s) failed" >&2; exit 1; fi',
        '',
      ];
      expect(lines[23]).toBe('failures=0');
      expect(jobsScript(bundles).content.toString()).toBe(lines.join('\n'));
    });
  }
});
