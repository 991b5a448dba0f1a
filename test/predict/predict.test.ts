/**
 * eegen predict on synthetic studies with a known law and noise: the held-back bundles'
 * true runtimes lie in the stated band, each GPU type gets its own law, stragglers do not
 * bend it, a prediction far beyond the measured range is flagged, and too few points
 * give the plain message, not a number. The CLI prints it and refuses bad input with a
 * code.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { build } from '../../src/build.js';
import { predict } from '../../src/predict/index.js';
import { eegen } from '../support/cli.js';
import { tmpDir } from '../support/tree.js';

/** A deterministic normal sampler (mulberry32 + Box–Muller). */
function normal(seed: number): () => number {
  let a = seed >>> 0;
  const u = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return () => Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
}

interface Study {
  params: Record<string, number | string>[];
  /** True runtime of each bundle (with its noise). */
  truth: number[];
  finished: boolean[];
  host?: (p: Record<string, number | string>) => string;
  energy?: (y: number) => number;
  /** Output bytes of bundle i (its collect output_bytes), where it recorded them. */
  bytes?: (i: number) => number | undefined;
}

function write(s: Study): { out: string; ids: string[] } {
  const out = tmpDir('eegen-predict-');
  mkdirSync(out, { recursive: true });
  const keys = Object.keys(s.params[0]!);
  const ids = s.params.map((p) => keys.map((k) => `${k}-${p[k]}`).join('_'));
  const varying = keys.filter((k) => new Set(s.params.map((p) => p[k])).size > 1);
  writeFileSync(path.join(out, 'index.json'), JSON.stringify({ eegen: '0.1.0', schema: 'x', varying, count: ids.length, bundles: ids.map((id, i) => ({ id, dir: id, index: i, script: 'job.slurm', scheduler: 'slurm', hash: '0'.repeat(64), params: s.params[i] })) }, null, 2));
  const rows = ids.map((id, i) =>
    s.finished[i]
      ? { id, ...s.params[i], host: s.host?.(s.params[i]!) ?? 'cluster', state: 'done', exitCode: 0, duration_s: s.truth[i], ...(s.energy ? { energy_j: s.energy(s.truth[i]!) } : {}), ...(s.bytes?.(i) !== undefined ? { output_bytes: s.bytes(i) } : {}), 'fp.gpu': String(s.params[i]!.gpu ?? 'NVIDIA A100') }
      : { id, ...s.params[i], state: 'unsubmitted' },
  );
  writeFileSync(path.join(out, 'results.jsonl'), rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
  return { out, ids };
}

/** epoch 1..maxEpoch × repeat 1..repeats, runtime = a + b·epoch + noise. */
function linear(opts: { a: number; b: number; sigma: number; maxEpoch: number; repeats: number; seed: number; finished: (epoch: number) => boolean }): Study {
  const noise = normal(opts.seed);
  const params: Record<string, number>[] = [];
  const truth: number[] = [];
  const finished: boolean[] = [];
  for (let e = 1; e <= opts.maxEpoch; e++)
    for (let r = 1; r <= opts.repeats; r++) {
      params.push({ epoch: e, repeat: r });
      truth.push(opts.a + opts.b * e + opts.sigma * noise());
      finished.push(opts.finished(e));
    }
  return { params, truth, finished };
}

describe('eegen predict', () => {
  it('a line (start-up + cost per epoch): the held-back bundles lie in the band, and the band is not vacuous', async () => {
    const s = linear({ a: 30, b: 12, sigma: 2, maxEpoch: 12, repeats: 8, seed: 7, finished: (e) => e % 2 === 1 && e <= 9 });
    const { out, ids } = write(s);
    const r = await predict({ out });
    expect(r.groups).toHaveLength(1);
    const g = r.groups[0]!;
    expect(g.features).toEqual(['epoch']);
    expect(g.model).toMatch(/^duration_s ≈ .* × epoch \(Theil–Sen line, 40 points, robust σ/);
    expect(g.fit!.coef[1]).toBeGreaterThan(11.5);
    expect(g.fit!.coef[1]).toBeLessThan(12.5);
    expect(g.fit!.coef[0]).toBeGreaterThan(27);
    expect(g.fit!.coef[0]).toBeLessThan(33);
    const truth = new Map(ids.map((id, i) => [id, s.truth[i]!]));
    let inside = 0;
    for (const p of g.predictions) if (truth.get(p.id)! >= p.low && truth.get(p.id)! <= p.high) inside++;
    expect(g.predictions).toHaveLength(56);
    expect(inside / g.predictions.length).toBeGreaterThanOrEqual(0.9);
    // An honest band: about ±2σ (σ = 2 s), not ±100 s.
    for (const p of g.predictions) expect(p.high - p.low).toBeLessThan(14);
    // epoch 10-12 lie beyond the measured 1-9: marked, but not far (within half the range).
    expect(g.predictions.filter((p) => p.extrapolated === 'near').map((p) => p.x.epoch)).toEqual(expect.arrayContaining([10, 11, 12]));
    expect(g.predictions.some((p) => p.extrapolated === 'far')).toBe(false);
    // The time limit covers the slowest bundle's upper band plus 25%.
    const slowest = Math.max(...g.predictions.map((p) => p.high));
    const [h, m] = g.walltime!.split(':').map(Number);
    expect(h! * 3600 + m! * 60).toBeGreaterThanOrEqual(slowest * 1.25);
    expect(h! * 3600 + m! * 60).toBeLessThan(slowest * 1.25 + 60);
    expect(r.total.bundles).toBe(56);
    expect(r.total.seconds).toBeCloseTo(g.predictions.reduce((a, p) => a + p.seconds, 0), 6);
    expect(r.done.bundles).toBe(40);
  });

  it('each GPU type (a non-numeric swept value) gets its own law', async () => {
    const noise = normal(3);
    const params: Record<string, number | string>[] = [];
    const truth: number[] = [];
    const finished: boolean[] = [];
    for (const gpu of ['a100', 'v100'])
      for (let e = 1; e <= 10; e++)
        for (let r = 1; r <= 3; r++) {
          params.push({ gpu, epoch: e, repeat: r });
          truth.push((gpu === 'a100' ? 20 + 5 * e : 40 + 11 * e) + noise());
          finished.push(e <= 6);
        }
    const { out } = write({ params, truth, finished, host: (p) => (p.gpu === 'a100' ? 'rivanna' : 'greene') });
    const r = await predict({ out });
    const by = Object.fromEntries(r.groups.map((g) => [g.key.values.gpu, g]));
    expect(Object.keys(by).sort()).toEqual(['a100', 'v100']);
    expect(by.a100!.key.host).toBe('rivanna');
    expect(by.a100!.fit!.coef[1]).toBeCloseTo(5, 0);
    expect(by.v100!.fit!.coef[1]).toBeCloseTo(11, 0);
    expect(by.a100!.predictions).toHaveLength(12);
    expect(by.v100!.predictions).toHaveLength(12);
  });

  it('stragglers (a tenth of the runs five times slower) do not bend the law', async () => {
    const s = linear({ a: 10, b: 20, sigma: 1, maxEpoch: 8, repeats: 5, seed: 11, finished: (e) => e <= 5 });
    s.truth = s.truth.map((y, i) => (i % 10 === 3 ? y * 5 : y));
    const { out } = write(s);
    const g = (await predict({ out })).groups[0]!;
    expect(Math.abs(g.fit!.coef[1]! - 20)).toBeLessThan(1);
    // Plain least squares would be pulled far off (checked here, so the test cannot pass on a fit that ignores nothing).
    const pts = s.params.map((p, i) => [p.epoch as number, s.truth[i]!] as const).filter((_, i) => s.finished[i]);
    const mx = pts.reduce((a, p) => a + p[0], 0) / pts.length;
    const my = pts.reduce((a, p) => a + p[1], 0) / pts.length;
    const ols = pts.reduce((a, p) => a + (p[0] - mx) * (p[1] - my), 0) / pts.reduce((a, p) => a + (p[0] - mx) ** 2, 0);
    expect(Math.abs(ols - 20)).toBeGreaterThan(3);
  });

  it('two numeric parameters: a plane, coefficients recovered', async () => {
    const noise = normal(5);
    const params: Record<string, number>[] = [];
    const truth: number[] = [];
    const finished: boolean[] = [];
    for (let e = 1; e <= 6; e++)
      for (const batch of [16, 32, 64, 128]) {
        params.push({ epoch: e, batch });
        truth.push(10 + 3 * e + 0.5 * batch + 0.5 * noise());
        finished.push(!(e === 6 && batch === 128) && !(e === 5 && batch === 16));
      }
    const { out, ids } = write({ params, truth, finished });
    const g = (await predict({ out })).groups[0]!;
    expect(g.features).toEqual(['epoch', 'batch']);
    expect(g.model).toMatch(/Huber-weighted least squares/);
    expect(g.fit!.coef[1]).toBeCloseTo(3, 0);
    expect(g.fit!.coef[2]).toBeCloseTo(0.5, 1);
    for (const p of g.predictions) {
      const t = truth[ids.indexOf(p.id)]!;
      expect(t).toBeGreaterThanOrEqual(p.low);
      expect(t).toBeLessThanOrEqual(p.high);
    }
  });

  it('far beyond the measured range: predicted, flagged and warned about', async () => {
    const s = linear({ a: 5, b: 2, sigma: 0.2, maxEpoch: 3, repeats: 4, seed: 2, finished: () => true });
    s.params.push({ epoch: 30, repeat: 1 });
    s.truth.push(65);
    s.finished.push(false);
    const { out } = write(s);
    const g = (await predict({ out })).groups[0]!;
    expect(g.predictions).toHaveLength(1);
    expect(g.predictions[0]!.extrapolated).toBe('far');
    expect(g.warnings.join('\n')).toMatch(/1 of 1 predictions .* lie far outside the measured range of epoch \(1-3\)/);
  });

  it('too few points: the plain message, not a number', async () => {
    const s = linear({ a: 5, b: 2, sigma: 0.2, maxEpoch: 5, repeats: 1, seed: 2, finished: (e) => e <= 2 });
    const { out } = write(s);
    const r = await predict({ out });
    const g = r.groups[0]!;
    expect(g.tooFew).toBe('Too few finished bundles on cluster (NVIDIA A100) to predict from: 2 done, at least 3 needed with different values of epoch. Run a few more cheap combinations first.');
    expect(g.fit).toBeUndefined();
    expect(g.predictions).toEqual([]);
    expect(g.walltime).toBeUndefined();
    expect(r.total.bundles).toBe(0);
    expect(r.unpredicted).toHaveLength(3);
    const cli = eegen(['predict', out]);
    expect(cli.code, cli.stderr).toBe(0);
    expect(cli.stdout).toContain('Too few finished bundles on cluster');
    expect(cli.stdout).not.toMatch(/#SBATCH --time/);
  });

  it('repeats of one combination only: no law to fit from one value of epoch', async () => {
    const s = linear({ a: 5, b: 2, sigma: 0.2, maxEpoch: 4, repeats: 5, seed: 2, finished: (e) => e === 1 });
    const g = (await predict({ out: write(s).out })).groups[0]!;
    expect(g.tooFew).toMatch(/5 done, at least 3 needed with different values of epoch/);
  });

  it('energy where recorded: fitted the same way and totalled', async () => {
    const s = linear({ a: 30, b: 12, sigma: 1, maxEpoch: 6, repeats: 4, seed: 9, finished: (e) => e <= 4 });
    s.energy = (y) => 250 * y;
    const r = await predict({ out: write(s).out });
    const expected = r.groups[0]!.predictions.reduce((a, p) => a + 250 * p.seconds, 0);
    expect(r.total.energyJ).toBeGreaterThan(expected * 0.95);
    expect(r.total.energyJ).toBeLessThan(expected * 1.05);
    // With a band, around the estimate, and the GPU-hours too.
    for (const p of r.groups[0]!.predictions) {
      expect(p.energyLowJ).toBeLessThanOrEqual(p.energyJ!);
      expect(p.energyHighJ).toBeGreaterThan(p.energyJ!);
    }
    expect(r.total.energyLowJ).toBeLessThan(r.total.energyJ!);
    expect(r.total.energyHighJ).toBeGreaterThan(r.total.energyJ!);
    expect(r.total.gpuHoursLow).toBeLessThan(r.total.gpuHours);
    expect(r.total.gpuHoursHigh).toBeGreaterThan(r.total.gpuHours);
  });

  it('output bytes where recorded: a law of their own, the held-back bundles in the band, totalled with an upper end', async () => {
    // 5 MB of start-up files + 2 MB of checkpoints per epoch, ±50 kB.
    const s = linear({ a: 30, b: 12, sigma: 2, maxEpoch: 12, repeats: 6, seed: 21, finished: (e) => e <= 8 });
    const noise = normal(22);
    const trueBytes = s.params.map((p) => 5e6 + 2e6 * (p.epoch as number) + 5e4 * noise());
    s.bytes = (i) => Math.round(trueBytes[i]!);
    const { out, ids } = write(s);
    const r = await predict({ out });
    const g = r.groups[0]!;
    expect(g.bytesModel).toMatch(/^output_bytes ≈ 5\.\d+ MB \+ 2\.\d+ MB × epoch \(Theil–Sen line, 48 points/);
    const truth = new Map(ids.map((id, i) => [id, trueBytes[i]!]));
    let inside = 0;
    for (const p of g.predictions) {
      expect(p.bytes).toBeGreaterThan(0);
      expect(p.bytesHigh).toBeGreaterThanOrEqual(p.bytes!);
      // The upper end is what a quota request should cover: above the truth for nearly every bundle.
      if (truth.get(p.id)! <= p.bytesHigh!) inside++;
    }
    expect(g.predictions).toHaveLength(24);
    expect(inside / g.predictions.length).toBeGreaterThanOrEqual(0.9);
    const expected = g.predictions.reduce((a, p) => a + truth.get(p.id)!, 0);
    expect(r.total.bytes).toBeGreaterThan(expected * 0.98);
    expect(r.total.bytes).toBeLessThan(expected * 1.02);
    expect(r.total.bytesHigh).toBeGreaterThan(r.total.bytes!);
    const text = eegen(['predict', out]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/output: output_bytes ≈ 5\.\d+ MB \+ 2\.\d+ MB × epoch/);
    expect(text.stdout).toMatch(/24 to run: .*, \d+(\.\d+)? MB of output \(up to \d+(\.\d+)? MB\)/);
    expect(text.stdout).toMatch(/The rest of the sweep: 24 bundles, .* MB of output \(up to .* MB\) where finished bundles recorded it\./);
  });

  it('no output bytes recorded (runs from before the size event): nothing said about output, no numbers made up', async () => {
    const s = linear({ a: 30, b: 12, sigma: 2, maxEpoch: 6, repeats: 4, seed: 9, finished: (e) => e <= 4 });
    const { out } = write(s);
    const r = await predict({ out });
    expect(r.groups[0]!.bytesModel).toBeUndefined();
    expect(r.groups[0]!.predictions.every((p) => p.bytes === undefined)).toBe(true);
    expect(r.total.bytes).toBeUndefined();
    expect(eegen(['predict', out]).stdout).not.toMatch(/output/);
  });

  it('results from before a rebuild: rows of bundles the build no longer has are left out (EG8009), rows of other content are used and said so (EG8010)', async () => {
    const s = linear({ a: 30, b: 12, sigma: 1, maxEpoch: 6, repeats: 4, seed: 13, finished: (e) => e <= 4 });
    const { out, ids } = write(s);
    const rows = readFileSync(path.join(out, 'results.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    // The sweep once went to epoch 40: those rows (slow ones) are still in results.jsonl.
    for (let r = 1; r <= 4; r++) rows.push({ id: `epoch-40_repeat-${r}`, epoch: 40, repeat: r, host: 'cluster', state: 'done', duration_s: 9999, bundleHash: 'f'.repeat(64) });
    // Two finished rows were run from content built over since.
    rows[0]!.bundleHash = 'e'.repeat(64);
    rows[1]!.bundleHash = 'e'.repeat(64);
    for (const r of rows.slice(2)) if (r.state === 'done' && r.bundleHash === undefined) r.bundleHash = '0'.repeat(64);
    writeFileSync(path.join(out, 'results.jsonl'), rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
    const r = await predict({ out });
    expect(r.diagnostics.map((d) => [d.code, d.severity])).toEqual([
      ['EG8009', 'warning'],
      ['EG8010', 'warning'],
    ]);
    expect(r.diagnostics[0]!.message).toMatch(/^4 rows of results\.jsonl are of bundles .*index\.json does not have \(epoch-40_repeat-1, epoch-40_repeat-2, epoch-40_repeat-3, \.\.\.\); left out\.$/);
    expect(r.diagnostics[1]!.message).toMatch(/^2 finished rows .* \(epoch-1_repeat-1, epoch-1_repeat-2\)/);
    // The epoch-40 runs bend nothing: the law is the one of the 16 finished bundles of this build.
    expect(r.done.bundles).toBe(16);
    const g = r.groups[0]!;
    expect(g.fit!.coef[1]).toBeCloseTo(12, 0);
    expect(g.predictions.map((p) => p.id).sort()).toEqual(ids.filter((id) => /epoch-[56]_/.test(id)).sort());
    const cli = eegen(['predict', out]);
    expect(cli.code, cli.stderr).toBe(0);
    expect(cli.stderr).toMatch(/EG8009/);
    expect(cli.stderr).toMatch(/EG8010/);
  });

  for (const scheduler of ['slurm', 'lsf'] as const) {
    it(`node-hours and GPU-hours as each ${scheduler} bundle's script requests (built by eegen: 2 nodes × 1 or 4 GPUs)`, async () => {
      const dir = tmpDir('eegen-predict-gpus-');
      writeFileSync(
        path.join(dir, 'config.yaml'),
        `name: gq\nscheduler: ${scheduler}\nexperiment:\n  epoch: "1,2,3,4,5,6"\n  ngpu: "1,4"\nresources:\n  nodes: 2\n  gpus_per_node: "{experiment.ngpu}"\n  time: "01:00:00"\nrun:\n  command: echo {experiment.epoch}\n`,
      );
      const out = path.join(dir, 'out');
      const b = await build({ config: path.join(dir, 'config.yaml'), out });
      expect(b.ok, JSON.stringify(b.diagnostics)).toBe(true);
      // Epochs 1-3 finished in 100 s per epoch (every GPU count alike); 4-6 are to run.
      const index = JSON.parse(readFileSync(path.join(out, 'index.json'), 'utf8')) as { bundles: { id: string; params: { epoch: number; ngpu: string | number } }[] };
      const rows = index.bundles.map((x) => (x.params.epoch <= 3 ? { id: x.id, host: 'cluster', state: 'done', duration_s: 100 * x.params.epoch } : { id: x.id, state: 'built' }));
      writeFileSync(path.join(out, 'results.jsonl'), rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
      const r = await predict({ out });
      expect(r.total.bundles).toBe(6);
      expect(r.total.assumed).toBe(0);
      const requests = Object.fromEntries(r.groups.flatMap((g) => g.predictions.map((p) => [p.id, p.request])));
      expect(requests['epoch-4_ngpu-4']).toEqual({ nodes: 2, gpus: 8 });
      expect(requests['epoch-4_ngpu-1']).toEqual({ nodes: 2, gpus: 2 });
      // 400+500+600 s for each GPU count: node-hours 2 × 3000 s, GPU-hours (2 + 8) × 1500 s.
      expect(r.total.seconds).toBeCloseTo(3000, 0);
      expect(r.total.nodeHours).toBeCloseTo((2 * 3000) / 3600, 2);
      expect(r.total.gpuHours).toBeCloseTo((10 * 1500) / 3600, 2);
      const text = eegen(['predict', out]);
      expect(text.stdout).toContain(`${r.total.nodeHours.toFixed(2)} node-hours (${r.total.nodeHoursLow.toFixed(2)}-${r.total.nodeHoursHigh.toFixed(2)}) and ${r.total.gpuHours.toFixed(2)} GPU-hours (${r.total.gpuHoursLow.toFixed(2)}-${r.total.gpuHoursHigh.toFixed(2)}; as each bundle's job script requests nodes and GPUs)`);
    });
  }

  it('bundles whose scripts request nothing (bash, or scripts gone): one node and one GPU each, and said so', async () => {
    const s = linear({ a: 30, b: 12, sigma: 1, maxEpoch: 6, repeats: 4, seed: 17, finished: (e) => e <= 4 });
    const { out } = write(s);
    const r = await predict({ out });
    expect(r.total.assumed).toBe(8);
    expect(r.total.gpuHours).toBeCloseTo(r.total.seconds / 3600, 6);
    expect(eegen(['predict', out]).stdout).toMatch(/GPU-hours \(\d+\.\d+-\d+\.\d+; at one node and one GPU per bundle: no job script says otherwise\)/);
  });

  it('the CLI: --json, a bad margin, no results, a corrupt results line', () => {
    const s = linear({ a: 30, b: 12, sigma: 2, maxEpoch: 6, repeats: 3, seed: 1, finished: (e) => e <= 4 });
    const { out } = write(s);
    const json = eegen(['predict', out, '--json']);
    expect(json.code, json.stderr).toBe(0);
    const doc = JSON.parse(json.stdout) as { total: { bundles: number }; groups: { predictions: unknown[] }[] };
    expect(doc.total.bundles).toBe(6);
    expect(doc.groups[0]!.predictions).toHaveLength(6);
    const text = eegen(['predict', out]);
    expect(text.stdout).toMatch(/request: #SBATCH --time=\d\d:\d\d:00/);

    const bad = eegen(['predict', out, '--margin', 'lots']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/EG8004/);
    expect(bad.stderr).not.toMatch(/at .*\.js:\d+/);

    const empty = tmpDir('eegen-predict-none-');
    writeFileSync(path.join(empty, 'index.json'), '{"bundles": [], "varying": []}');
    const none = eegen(['predict', empty]);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/EG8002: .*results\.jsonl does not exist/);
    expect(eegen(['predict', path.join(empty, 'nope')]).stderr).toMatch(/EG8001/);

    writeFileSync(path.join(out, 'results.jsonl'), `{"id": "epoch-1_repeat-1", "state": "done"\n`, { flag: 'a' });
    const corrupt = eegen(['predict', out]);
    expect(corrupt.code).toBe(0);
    expect(corrupt.stderr).toMatch(/results\.jsonl:\d+(:\d+)? - warning EG8003/);
  });
});
