/**
 * eegen build --time-from OUT: on a synthetic study with a known law (duration 30 s +
 * 60 s per epoch, epochs 1-4 finished, 5 and 6 to run), each bundle predict predicts gets
 * `#SBATCH --time` = predict's walltime for it (on the main thread and on render workers
 * alike); bundles already finished keep the config's time, and so does a prediction far
 * outside the measured range (EG8005) or one with too few points (EG8006). The time is an
 * input: a new prediction re-renders, the same one leaves the bytes as they were.
 * OUT built from another config is EG8007; OUT with nothing collected is the plain EG8002.
 */
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { build } from '../../src/build.js';
import { predict } from '../../src/predict/index.js';
import { eegen } from '../support/cli.js';
import { tmpDir } from '../support/tree.js';

const CONFIG = `name: timefrom
scheduler: slurm
resources: {time: "02:00:00", nodes: 1}
run: {command: "python train.py --epochs {experiment.epoch}"}
experiment:
  epoch: "1,2,3,4,5,6"
sweep: {repeat: 3}
`;

/** A built study of CONFIG in DIR/out with the bundles of epochs `done` collected as finished, the law 30 s + 60 s × epoch (+ repeat s). */
async function study(done: (epoch: number) => boolean = (e) => e <= 4, config = CONFIG): Promise<{ dir: string; config: string; out: string }> {
  const dir = tmpDir('eegen-time-from-');
  writeFileSync(path.join(dir, 'config.yaml'), config);
  const out = path.join(dir, 'out');
  const r = await build({ config: path.join(dir, 'config.yaml'), out });
  expect(r.ok, JSON.stringify(r.diagnostics)).toBe(true);
  const index = JSON.parse(readFileSync(path.join(out, 'index.json'), 'utf8')) as { bundles: { id: string; params: Record<string, number> }[] };
  const rows = index.bundles.filter((b) => done(b.params.epoch!)).map((b) => JSON.stringify({ id: b.id, state: 'done', host: 'cluster', duration_s: 30 + 60 * b.params.epoch! + b.params.repeat! }));
  writeFileSync(path.join(out, 'results.jsonl'), rows.length ? `${rows.join('\n')}\n` : '');
  return { dir, config: path.join(dir, 'config.yaml'), out };
}

const timeOf = (out: string, id: string): string | undefined => /^#SBATCH --time=(\S+)$/m.exec(readFileSync(path.join(out, id, 'job.slurm'), 'utf8'))?.[1];

describe('eegen build --time-from', () => {
  it('the #SBATCH --time line of each predicted bundle is predict\'s walltime; the rest keep the config\'s', async () => {
    const s = await study();
    const predicted = await predict({ out: s.out });
    const walltimes = new Map(predicted.groups.flatMap((g) => g.predictions.map((p) => [p.id, p.walltime])));
    expect(walltimes.get('epoch-5_repeat-1')).toBe('00:08:00'); // (30 + 300 s + band) × 1.25, in whole minutes
    const r = await build({ config: s.config, out: s.out, timeFrom: s.out });
    expect(r.ok).toBe(true);
    for (const id of ['epoch-5_repeat-1', 'epoch-5_repeat-2', 'epoch-5_repeat-3']) {
      expect(timeOf(s.out, id)).toBe(walltimes.get(id));
      expect(readFileSync(path.join(s.out, id, 'config.yaml'), 'utf8')).toContain(`time: ${walltimes.get(id)}`);
    }
    // Finished bundles (no prediction) keep the config's time and are not rewritten.
    expect(timeOf(s.out, 'epoch-1_repeat-1')).toBe('02:00:00');
    expect(r.report!.changed.map((b) => b)).toEqual(['epoch-5_repeat-1', 'epoch-5_repeat-2', 'epoch-5_repeat-3']);
    // Epoch 6 lies far beyond 1-4: a guess, so the config's time stays, with a coded warning.
    expect(timeOf(s.out, 'epoch-6_repeat-1')).toBe('02:00:00');
    expect(r.diagnostics).toEqual([expect.objectContaining({ code: 'EG8005', severity: 'warning', message: expect.stringContaining('epoch-6_repeat-1') })]);
  });

  it('bundles already submitted (OUT\'s ledger) or queued/running keep their time (EG8008): no bundle a scheduler holds is rewritten', async () => {
    const s = await study();
    const index = JSON.parse(readFileSync(path.join(s.out, 'index.json'), 'utf8')) as { bundles: { id: string; hash: string }[] };
    const hashOf = (id: string) => index.bundles.find((b) => b.id === id)!.hash;
    // epoch-5_repeat-2 was submitted (the ledger says so, no row yet); epoch-5_repeat-3 is running (a row collected while it ran).
    writeFileSync(path.join(s.out, '.eegen', 'ledger.jsonl'), `${JSON.stringify({ id: 'epoch-5_repeat-2', bundleHash: hashOf('epoch-5_repeat-2'), host: 'cluster', jobId: 'slurm:41' })}\n`);
    writeFileSync(path.join(s.out, 'results.jsonl'), `${readFileSync(path.join(s.out, 'results.jsonl'), 'utf8')}${JSON.stringify({ id: 'epoch-5_repeat-3', state: 'running', host: 'cluster' })}\n`);
    const r = await build({ config: s.config, out: s.out, timeFrom: s.out });
    expect(r.ok).toBe(true);
    expect(timeOf(s.out, 'epoch-5_repeat-1')).not.toBe('02:00:00');
    expect(timeOf(s.out, 'epoch-5_repeat-2')).toBe('02:00:00');
    expect(timeOf(s.out, 'epoch-5_repeat-3')).toBe('02:00:00');
    expect(r.report!.changed).toEqual(['epoch-5_repeat-1']);
    expect(r.report!.changedAfterSubmit).toEqual([]);
    const kept = r.diagnostics.find((d) => d.code === 'EG8008')!;
    expect(kept).toMatchObject({ severity: 'warning' });
    expect(kept.message).toContain('epoch-5_repeat-2, epoch-5_repeat-3');
  });

  it('the time is an input: the same prediction gives the same bytes, a new one re-renders, none restores the config\'s', async () => {
    const s = await study();
    await build({ config: s.config, out: s.out, timeFrom: s.out });
    const script = readFileSync(path.join(s.out, 'epoch-5_repeat-1', 'job.slurm'));
    const manifest = readFileSync(path.join(s.out, 'epoch-5_repeat-1', 'manifest.json'));
    const again = await build({ config: s.config, out: s.out, timeFrom: s.out });
    expect(again.report!.changed).toEqual([]);
    expect(readFileSync(path.join(s.out, 'epoch-5_repeat-1', 'job.slurm'))).toEqual(script);
    // The same prediction rendered from scratch elsewhere, on render workers, gives the same bytes.
    const fresh = path.join(tmpDir('eegen-time-from-fresh-'), 'out');
    expect((await build({ config: s.config, out: fresh, timeFrom: s.out, workers: 1 })).ok).toBe(true);
    expect(readFileSync(path.join(fresh, 'epoch-5_repeat-1', 'job.slurm'))).toEqual(script);
    expect(readFileSync(path.join(fresh, 'epoch-5_repeat-1', 'manifest.json'))).toEqual(manifest);
    // Slower runs collected: a new prediction, a new time limit, the bundle rendered again.
    const rows = readFileSync(path.join(s.out, 'results.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { duration_s: number });
    writeFileSync(path.join(s.out, 'results.jsonl'), `${rows.map((r) => JSON.stringify({ ...r, duration_s: r.duration_s * 3 })).join('\n')}\n`);
    const slower = await build({ config: s.config, out: s.out, timeFrom: s.out });
    expect(slower.report!.changed).toEqual(['epoch-5_repeat-1', 'epoch-5_repeat-2', 'epoch-5_repeat-3']);
    const p = await predict({ out: s.out });
    expect(timeOf(s.out, 'epoch-5_repeat-1')).toBe(p.groups[0]!.predictions.find((x) => x.id === 'epoch-5_repeat-1')!.walltime);
    expect(timeOf(s.out, 'epoch-5_repeat-1')).not.toBe('00:08:00');
    // Without --time-from, the config's time again.
    await build({ config: s.config, out: s.out });
    expect(timeOf(s.out, 'epoch-5_repeat-1')).toBe('02:00:00');
  });

  it('a time limit reaches eegen.resources in a config with an eegen: section, and LSF\'s -W', async () => {
    const config = CONFIG.replace('scheduler: slurm\nresources: {time: "02:00:00", nodes: 1}\nrun: {command: "python train.py --epochs {experiment.epoch}"}\n', '').replace('sweep: {repeat: 3}\n', 'eegen:\n  name: timefrom\n  scheduler: lsf\n  resources: {time: "02:00:00"}\n  run: {command: "python train.py"}\n  sweep: {repeat: 3}\n');
    const s = await study(undefined, config);
    const r = await build({ config: s.config, out: s.out, timeFrom: s.out });
    expect(r.ok, JSON.stringify(r.diagnostics)).toBe(true);
    const script = readFileSync(path.join(s.out, 'epoch-5_repeat-1', 'job.lsf'), 'utf8');
    expect(script).toMatch(/^#BSUB -W 0:08$/m);
    expect(readFileSync(path.join(s.out, 'epoch-1_repeat-1', 'job.lsf'), 'utf8')).toMatch(/^#BSUB -W 2:00$/m);
  });

  it('too few finished bundles, or none: coded warnings, and every bundle keeps the config\'s time', async () => {
    const few = await study((e) => e === 1);
    const r = await build({ config: few.config, out: few.out, timeFrom: few.out });
    expect(r.ok).toBe(true);
    expect(r.diagnostics).toEqual([expect.objectContaining({ code: 'EG8006', severity: 'warning', message: expect.stringContaining('15 bundles keep the config\'s time limit') })]);
    expect(r.diagnostics[0]!.message).toMatch(/Too few finished bundles/);
    expect(timeOf(few.out, 'epoch-5_repeat-1')).toBe('02:00:00');
    const none = await study(() => false);
    const n = await build({ config: none.config, out: none.out, timeFrom: none.out });
    expect(n.diagnostics).toEqual([expect.objectContaining({ code: 'EG8006', message: expect.stringContaining('nothing in') })]);
    expect(n.report!.changed).toEqual([]);
  });

  it('a study of another config is a clear error (EG8007), and nothing is written', async () => {
    const other = await study(undefined, CONFIG.replace('epoch: "1,2,3,4,5,6"', 'epoch: "1,2,3,4,5,6"\n  lr: "0.1,0.01"'));
    const s = await study();
    const target = path.join(s.dir, 'fresh');
    const r = await build({ config: s.config, out: target, timeFrom: other.out });
    expect(r.ok).toBe(false);
    expect(r.diagnostics).toEqual([expect.objectContaining({ code: 'EG8007', severity: 'error', message: expect.stringMatching(/was built from another config: its bundle \S+ is not one .*config\.yaml produces/) })]);
    expect(existsSync(target)).toBe(false);
    // At the command line: exit 1, the message, no stack trace; the output directory as it was.
    const before = readFileSync(path.join(s.out, 'epoch-5_repeat-1', 'job.slurm'));
    const cli = eegen(['build', s.config, '--out', s.out, '--time-from', other.out]);
    expect(cli.code).toBe(1);
    expect(cli.stderr).toContain('error EG8007');
    expect(cli.stderr).not.toMatch(/\n\s+at /);
    expect(readFileSync(path.join(s.out, 'epoch-5_repeat-1', 'job.slurm'))).toEqual(before);
  });

  it('a study with no results gives the plain message (EG8002), exit 1', async () => {
    const dir = tmpDir('eegen-time-from-empty-');
    writeFileSync(path.join(dir, 'config.yaml'), CONFIG);
    const built = path.join(dir, 'built');
    expect((await build({ config: path.join(dir, 'config.yaml'), out: built })).ok).toBe(true);
    const cli = eegen(['build', path.join(dir, 'config.yaml'), '--out', path.join(dir, 'out'), '--time-from', built]);
    expect(cli.code).toBe(1);
    expect(cli.stderr).toMatch(/error EG8002: --time-from .*built: .*results\.jsonl does not exist: nothing has been collected into .*built yet\./);
    expect(cli.stderr).not.toMatch(/\n\s+at /);
    expect(existsSync(path.join(dir, 'out'))).toBe(false);
    // Not a build at all: EG8001.
    mkdirSync(path.join(dir, 'empty'));
    expect(eegen(['build', path.join(dir, 'config.yaml'), '--out', path.join(dir, 'out'), '--time-from', path.join(dir, 'empty')]).stderr).toContain('error EG8001');
  });

  it('the CLI: --time-from in build --help; the warning on stderr, the time in the script', async () => {
    expect(eegen(['build', '--help']).stdout).toMatch(/--time-from <out>\s+each bundle's time limit/);
    const s = await study();
    const copy = path.join(s.dir, 'copy');
    cpSync(s.out, copy, { recursive: true });
    const cli = eegen(['build', s.config, '--out', copy, '--time-from', s.out]);
    expect(cli.code, cli.stderr).toBe(0);
    expect(cli.stderr).toContain('warning EG8005');
    expect(timeOf(copy, 'epoch-5_repeat-2')).toBe('00:08:00');
  });
});
