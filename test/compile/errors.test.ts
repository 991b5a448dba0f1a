import { describe, expect, it } from 'vitest';
import { compile } from '../../src/compile/index.js';
import { formatDiagnostics } from '../../src/diagnostics/index.js';
import { expectBaseline } from '../support/baseline.js';

/**
 * Broken configs and the exact messages they produce, recorded in
 * test/baselines/*.errors.txt: file:line:col, code, message, code frame, hint.
 */
const cases: Record<string, { template?: string; codes: string[] }> = {
  'duplicate-key': { codes: ['EG1002'] },
  'tab-indent': { codes: ['EG1003'] },
  'bad-indent': { codes: ['EG1004'] },
  'schema-errors': { codes: ['EG2001', 'EG2003', 'EG2004', 'EG2005'] },
  'unknown-reference': { codes: [] },
  'reference-cycle': { codes: [] },
  'bad-sweep': { codes: [] },
  'over-limit': { codes: ['EG3090'] },
  'control-char': { codes: ['EG2010'] },
  'unknown-placeholder': { template: 'fixtures/errors/unknown-placeholder.in.slurm', codes: [] },
  'not-a-mapping': { codes: ['EG2000'] },
  'misspelt-experiment': { codes: ['EG2007'] },
  'nothing-to-run': { codes: ['EG2030'] },
  'alias-bomb': { codes: ['EG1011'] },
};

describe('broken configs give positioned diagnostics (baselines)', () => {
  for (const [name, c] of Object.entries(cases)) {
    it(`${name}.yaml`, async () => {
      const result = await compile({ config: `fixtures/errors/${name}.yaml`, ...(c.template ? { template: c.template } : {}) });
      expect(result.plan).toBeUndefined();
      const errors = result.diagnostics.filter((d) => d.severity === 'error');
      expect(errors.length).toBeGreaterThan(0);
      for (const code of c.codes) expect(errors.map((d) => d.code)).toContain(code);
      const text = formatDiagnostics(result.diagnostics, result.sources);
      // Every error names a file and a line (file:line:col or file:line).
      for (const line of text.split('\n').filter((l) => / - error EG/.test(l) || /^error EG/.test(l))) {
        expect(line, 'each error carries a position').toMatch(/^fixtures\/errors\/[\w.-]+:\d+(:\d+)? - error EG\d{4}: /);
      }
      expectBaseline(`test/baselines/${name}.errors.txt`, `${text}\n`);
    });
  }
});
