import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { mlResults, parseEvents, parseMlLog, parseProgressLines, parseStopWatch, readResultJson, summarizeRun } from '../../src/results/index.js';

/**
 * The runtime helpers run for real (python3, node) and the TypeScript readers read what they
 * wrote. The message is chosen to break naive writers: commas, both quotes, a backslash, a newline.
 */
const MSG = 'epoch 3/6, loss=0.31 "best" it\'s \\ok\nnext';
const PY = path.resolve('runtime/python');
const JS = path.resolve('runtime/js/eegen-runtime.mjs');

const programs = {
  python: {
    cmd: 'python3',
    args: (code: string) => ['-c', code],
    env: { PYTHONPATH: PY, PYTHONDONTWRITEBYTECODE: '1' },
    code: `
from eegen_runtime import progress, event, StopWatch, result, mllog
MSG = ${JSON.stringify(MSG)}
event("start", host="node1", jobId="42")
progress(50, MSG)
StopWatch.start("load, data", msg=MSG)
StopWatch.stop("load, data")
StopWatch.start("training")
StopWatch.stop("training")
StopWatch.start("training")
StopWatch.stop("training")
StopWatch.event("marker", msg="plain")
StopWatch.benchmark()
mllog("result", {"accuracy": 0.9, "loss": float("nan"), "history": {"loss": [0.5, 0.4], "accuracy": [0.8, 0.9]}})
print(result({"accuracy": 0.9, "loss": float("inf"), "pair": (1, 2), "msg": MSG}))
`,
  },
  node: {
    cmd: process.execPath,
    args: (code: string) => ['--input-type=module', '-e', code],
    env: {},
    code: `
import { progress, event, StopWatch, result, mllog } from ${JSON.stringify(JS)};
const MSG = ${JSON.stringify(MSG)};
event('start', { host: 'node1', jobId: '42' });
progress(50, MSG);
StopWatch.start('load, data', MSG);
StopWatch.stop('load, data');
StopWatch.start('training');
StopWatch.stop('training');
StopWatch.start('training');
StopWatch.stop('training');
StopWatch.event('marker', 'plain');
StopWatch.benchmark();
mllog('result', { accuracy: 0.9, loss: NaN, history: { loss: [0.5, 0.4], accuracy: [0.8, 0.9] } });
console.log(result({ accuracy: 0.9, loss: Infinity, pair: [1, 2], msg: MSG }));
`,
  },
};

describe.each(Object.entries(programs))('%s runtime helpers', (_name, p) => {
  const root = mkdtempSync(path.join(tmpdir(), 'eegen-rt-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  function run(env: Record<string, string>): string {
    const r = spawnSync(p.cmd, p.args(p.code), { cwd: root, env: { PATH: process.env.PATH ?? '', ...p.env, ...env }, encoding: 'utf8', timeout: 60_000 });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    return r.stdout;
  }

  it('with EEGEN_EVENTS: events land in the file, result.json in the bundle', () => {
    const bundle = path.join(root, 'bundle');
    const eventsFile = path.join(bundle, 'eegen-run/events.jsonl');
    const stdout = run({ EEGEN_EVENTS: eventsFile });
    expect(parseProgressLines(stdout).value).toEqual([]);
    const events = parseEvents(readFileSync(eventsFile, 'utf8'));
    expect(events.problems).toEqual([]);
    expect(events.value.every((e) => /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/.test(e.ts ?? ''))).toBe(true);
    expect(summarizeRun(events.value)).toMatchObject({ attempts: 1, host: 'node1', jobId: '42', progress: 50, lastMsg: MSG });

    const resultPath = path.join(bundle, 'result.json');
    expect(stdout.trim().split('\n').pop()).toBe(resultPath);
    expect(readdirSync(bundle).sort()).toEqual(['eegen-run', 'result.json']);
    const res = readResultJson(readFileSync(resultPath, 'utf8'), { type: 'object', required: ['accuracy'] });
    expect(res).toEqual({ value: { accuracy: 0.9, loss: null, pair: [1, 2], msg: MSG }, problems: [] });
  });

  it('without EEGEN_EVENTS: # eegen lines, quoted timers and MLLOG lines on stdout round-trip', () => {
    const stdout = run({});
    const lines = parseProgressLines(stdout);
    expect(lines.problems).toEqual([]);
    expect(summarizeRun([], lines.value)).toMatchObject({ host: 'node1', jobId: '42', progress: 50, lastMsg: MSG });

    const timers = parseStopWatch(stdout);
    expect(timers.problems).toEqual([]);
    expect(timers.value.map((t) => [t.timer, t.status, t.msg])).toEqual([
      ['load, data', 'ok', MSG.replace('\n', ' ')],
      ['training', 'ok', ''],
      ['marker', 'ok', 'plain'],
    ]);
    const training = timers.value[1];
    expect(training?.sum).toBeGreaterThanOrEqual(training?.seconds ?? Infinity);
    expect(Date.now() - Date.parse(training?.start ?? '')).toBeLessThan(120_000);
    expect(training?.system).toBe('Linux');

    const ml = parseMlLog(stdout);
    expect(ml.problems).toEqual([]);
    expect(mlResults(ml.value)).toMatchObject({ accuracy: 0.9, history: [{ epoch: 1, loss: 0.5, accuracy: 0.8 }, { epoch: 2, loss: 0.4, accuracy: 0.9 }] });
    expect(mlResults(ml.value).loss).toBeUndefined();
    expect(readdirSync(root)).toContain('result.json');
  });
});

it('python gpu_energy_mj() is empty without an NVIDIA driver, and energy_mark records nothing', () => {
  const r = spawnSync('python3', ['-c', 'from eegen_runtime import gpu_energy_mj, energy_mark; print(gpu_energy_mj(), energy_mark("start"))'], { env: { PATH: process.env.PATH ?? '', PYTHONPATH: PY, PYTHONDONTWRITEBYTECODE: '1' }, encoding: 'utf8' });
  expect(r.stdout).toBe('{} {}\n');
});
