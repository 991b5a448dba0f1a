/**
 * Large studies: past MAX_RUN_LINES runs the training history draws one line per
 * configuration (the mean of its runs per epoch), and past MAX_POINTS a metric chart draws
 * the mean per x value with a band of one standard deviation instead of every run. The
 * figures drawn are checked against the study's own numbers, and the chart still names
 * every bundle it summarises. Below the limits, one line and one point per run (the
 * fixture study and html.test.ts).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { chartsFor, MAX_POINTS, MAX_RUN_LINES } from '../../src/report/charts.js';
import { report } from '../../src/report/index.js';
import { loadStudy } from '../../src/report/study.js';
import { tmpDir } from '../support/tree.js';

/** epochs x 2 GPUs x repeats, all done; accuracy = 0.5 + 0.01 * epoch + repeat noise of known size. */
function writeStudy(dir: string, epochs: number, repeats: number): void {
  const bundles: unknown[] = [];
  const rows: unknown[] = [];
  let index = 0;
  for (let epoch = 1; epoch <= epochs; epoch++)
    for (const gpu of ['a100', 'v100'])
      for (let repeat = 1; repeat <= repeats; repeat++) {
        const id = `epoch-${epoch}_gpu-${gpu}_repeat-${repeat}`;
        bundles.push({ id, dir: id, index: index++, script: 'job.slurm', scheduler: 'slurm', hash: String(index).padStart(64, '0'), params: { epoch, gpu, repeat } });
        // Repeats alternate +0.01 / -0.01 around the configuration's value: mean exact, sd known.
        const accuracy = 0.5 + 0.01 * epoch + (gpu === 'a100' ? 0.1 : 0) + (repeat % 2 ? 0.01 : -0.01);
        const history = Array.from({ length: epoch }, (_, e) => ({ epoch: e + 1, accuracy: 0.5 + 0.01 * (e + 1) + (repeat % 2 ? 0.01 : -0.01), loss: 1 / (e + 2) }));
        rows.push({ id, epoch, gpu, repeat, host: 'h', state: 'done', exitCode: 0, duration_s: 10 * epoch + repeat % 3, accuracy, history });
      }
  writeFileSync(path.join(dir, 'index.json'), JSON.stringify({ eegen: '0.1.0', schema: 'x', name: 'scale', varying: ['epoch', 'gpu', 'repeat'], count: bundles.length, bundles }));
  writeFileSync(path.join(dir, 'results.jsonl'), rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
}

type Spec = { data?: { values: Record<string, unknown>[] }; layer?: { mark: unknown }[] };

describe('eegen report on a large study', () => {
  it('draws the means per configuration (history) and per x value with a standard-deviation band (metrics), and still names every bundle', async () => {
    const dir = tmpDir('eegen-report-scale-');
    const repeats = Math.ceil(MAX_POINTS / 6) + 2; // 3 epochs x 2 GPUs x repeats > MAX_POINTS runs
    writeStudy(dir, 3, repeats);
    const study = await loadStudy(dir);
    const runs = 6 * repeats;
    expect(runs).toBeGreaterThan(MAX_POINTS);
    expect(runs).toBeGreaterThan(MAX_RUN_LINES);
    const charts = chartsFor([study]);

    const history = charts.find((c) => c.name === 'history')!;
    expect(history.title).toMatch(/mean of a configuration's [\d,]+ runs/);
    expect(history.bundles).toHaveLength(runs);
    const hv = (history.spec as Spec).data!.values;
    // One row per configuration, epoch and series: (epoch 1: 1 epoch, 2: 2, 3: 3) x 2 GPUs x 2 series.
    expect(hv).toHaveLength((1 + 2 + 3) * 2 * 2);
    const acc = hv.filter((v) => v.series === 'accuracy' && v.configuration === 'epoch=3 gpu=a100' && v.epoch === 2)[0]!;
    // Mean of +0.01/-0.01 around 0.52: exactly 0.52 when the repeats are even in number, else a hair above.
    expect(acc.value as number).toBeCloseTo(0.52 + (repeats % 2 ? 0.01 / repeats : 0), 10);

    const byEpoch = charts.find((c) => c.name === 'accuracy-by-epoch')!;
    expect(byEpoch.title).toMatch(/means of [\d,]+ runs, bands one standard deviation/);
    expect(byEpoch.bundles).toHaveLength(runs);
    const spec = byEpoch.spec as Spec;
    expect(spec.layer!.map((l) => (typeof l.mark === 'string' ? l.mark : (l.mark as { type: string }).type))).toEqual(['area', 'line']);
    const mv = spec.data!.values;
    expect(mv).toHaveLength(3 * 2);
    const a100e2 = mv.find((v) => v.epoch === 2 && v.group === 'gpu=a100')!;
    const xs = Array.from({ length: repeats }, (_, i) => 0.5 + 0.02 + 0.1 + ((i + 1) % 2 ? 0.01 : -0.01));
    const m = xs.reduce((a, x) => a + x, 0) / xs.length;
    const sd = Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1));
    expect(a100e2.runs).toBe(repeats);
    expect(a100e2.mean as number).toBeCloseTo(m, 12);
    expect(a100e2.low as number).toBeCloseTo(m - sd, 12);
    expect(a100e2.high as number).toBeCloseTo(m + sd, 12);

    // The whole report renders, and its SVGs stay small: not one mark per run.
    const out = tmpDir('eegen-report-scale-out-');
    const r = await report({ outs: [dir], dir: out });
    expect(r.charts).toContain('history');
    for (const name of ['history', 'accuracy-by-epoch']) {
      const svg = readFileSync(path.join(out, 'charts', `${name}.svg`), 'utf8');
      expect(svg.length).toBeLessThan(200_000);
    }
  }, 120_000);

  it('draws one line per run and one point per run up to the limits', async () => {
    const dir = tmpDir('eegen-report-small-');
    writeStudy(dir, 2, 5);
    const charts = chartsFor([await loadStudy(dir)]);
    const history = charts.find((c) => c.name === 'history')!;
    expect(history.title).toBe('Training history per epoch (each line one run)');
    expect(new Set((history.spec as Spec).data!.values.map((v) => v.bundle)).size).toBe(20);
    const byEpoch = charts.find((c) => c.name === 'accuracy-by-epoch')!;
    expect((byEpoch.spec as Spec).data!.values).toHaveLength(20);
  });
});
