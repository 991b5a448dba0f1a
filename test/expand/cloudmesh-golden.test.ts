import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compile, formatDiagnostics, plan } from '../../src/index.js';
import { lineColumn } from '../../src/diagnostics/index.js';

/**
 * A config as cloudmesh-ee users write it (fixtures/cloudmesh-compat/grammar/config.yaml)
 * and the jobs cloudmesh-ee makes of it (expected-jobs.txt, one line per job in
 * cloudmesh's `assignments` form `key=value ...`: the Cartesian product in YAML key order,
 * last key fastest). The expected file was worked out from cloudmesh-common's
 * Parameter.expand and python-hostlist, not from eegen's output.
 */
const DIR = 'fixtures/cloudmesh-compat/grammar';
const CONFIG = `${DIR}/config.yaml`;

function jobLines(bundles: { params: Record<string, unknown> }[]): string {
  return bundles.map((b) => `${Object.entries(b.params).map(([k, v]) => `${k}=${String(v)}`).join(' ')}\n`).join('');
}

/** The warnings the grammar reports for this config: code and line:col, and the text pointed at. */
const EXPECTED_WARNINGS = [
  // card_name: "a100,v100,a100": the second a100.
  { code: 'EG3007', at: '12:25', text: 'a100' },
  // epoch: "1,10,,30": the comma that ends the empty item.
  { code: 'EG3007', at: '14:16', text: ',' },
  // seed: "[1-2],2": the 2 that the range already gave.
  { code: 'EG3007', at: '16:16', text: '2' },
];

describe('cloudmesh-ee grammar golden (fixtures/cloudmesh-compat/grammar)', () => {
  it('builds the jobs cloudmesh-ee builds, byte for byte, in its order', async () => {
    const result = await compile({ config: CONFIG, workers: 0 });
    expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(result.plan).toBeDefined();
    const expected = readFileSync(`${DIR}/expected-jobs.txt`, 'utf8');
    expect(jobLines(result.plan!.bundles)).toBe(expected);
    // The bundle ids are distinct: nothing repeated got through.
    expect(new Set(result.plan!.bundles.map((b) => b.id)).size).toBe(48);
  });

  it('says what it dropped: EG3007 warnings at the dropped items, and nothing else', async () => {
    const text = readFileSync(CONFIG, 'utf8');
    const result = await compile({ config: CONFIG, workers: 0 });
    const found = result.diagnostics.map((d) => {
      const { line, column } = lineColumn(text, d.start!);
      return { code: d.code, severity: d.severity, file: d.file, at: `${line}:${column}`, text: text.slice(d.start!, d.start! + d.length!) };
    });
    expect(found).toEqual(EXPECTED_WARNINGS.map((w) => ({ ...w, severity: 'warning', file: CONFIG })));
    const printed = formatDiagnostics(result.diagnostics, result.sources);
    for (const w of EXPECTED_WARNINGS) expect(printed).toContain(`${CONFIG}:${w.at} - warning ${w.code}: `);
  });

  it('plan shows the dimensions after dropping and prefixing, and the same warnings', async () => {
    const { plan: p, diagnostics } = await plan(CONFIG);
    expect(diagnostics.map((d) => d.code)).toEqual(EXPECTED_WARNINGS.map((w) => w.code));
    expect(p!.dimensions.map((d) => [d.name, d.values])).toEqual([
      ['card_name', ['a100', 'v100']],
      ['gres', ['gpu:1', 'gpu:2']],
      ['epoch', [1, 10, 30]],
      ['learning_rate', [0.01, 0.001]],
      ['seed', [1, 2]],
      ['time', ['02:00:00']],
      ['dataset', ['https://data.example.org/mnist/mnist.npz']],
    ]);
    expect(p!.kept).toBe(48);
  });

  it('with --strict the warnings fail the build', async () => {
    const result = await compile({ config: CONFIG, workers: 0, strict: true });
    expect(result.plan).toBeUndefined();
    expect(result.diagnostics.filter((d) => d.severity === 'error').map((d) => d.code)).toEqual(expect.arrayContaining(['EG3007']));
  });
});
