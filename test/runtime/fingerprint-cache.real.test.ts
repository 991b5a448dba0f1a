/**
 * The run wrapper's fingerprint cache (runtime/eegen-run.sh, eegen__fp_key): host, cpu, os,
 * python and node are measured once per host and reused only while what they were measured
 * from is the same; GPUs are measured every run. Fake `python3`, `nvidia-smi` and `hostname`
 * scripts count how often they run, so each test sees whether a run measured or reused.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RUN_LAYOUT } from '../../src/dispatch/types.js';
import { parseFingerprint } from '../../src/results/index.js';
import { fakeBin, makeBundle, readRun, removeTemps, runJob, tempDir } from './helpers.js';

afterAll(removeTemps);

/** A python3 that logs each call to $COUNT and prints the version in $DIR/version (or its own). */
const python = (version: string) => `#!/bin/sh\necho x >> "$FP_COUNT"\necho "Python ${version}"\n`;

function setup(version = '3.99.1') {
  const bin = fakeBin({ python3: python(version) });
  const count = path.join(tempDir('eegen-fpc-count-'), 'count');
  writeFileSync(count, '');
  const cache = tempDir('eegen-fpc-cache-');
  const env = { PATH: `${bin}:${process.env.PATH}`, FP_COUNT: count, EEGEN_CACHE_DIR: cache, OMP_NUM_THREADS: '', OMP_THREAD_LIMIT: '', EEGEN_FINGERPRINT_CACHE: '' };
  return { bin, count, cache, env, calls: () => readFileSync(count, 'utf8').split('\n').filter(Boolean).length };
}

function run(env: Record<string, string>, body = 'true') {
  const dir = makeBundle(body);
  const r = runJob(dir, env);
  expect(r.status).toBe(0);
  const text = readFileSync(path.join(dir, RUN_LAYOUT.fingerprint), 'utf8');
  const { value, problems } = parseFingerprint(text);
  expect(problems).toEqual([]);
  const raw = JSON.parse(text) as Record<string, unknown>;
  const event = readRun(dir).raw.find((e) => e.event === 'fingerprint');
  return { dir, fp: value, raw, event };
}

/** Replace a file by a new one (another inode, as a package upgrade does). */
function replace(file: string, text: string) {
  writeFileSync(`${file}.new`, text, { mode: 0o755 });
  renameSync(`${file}.new`, file);
}

describe.concurrent('eegen-run.sh fingerprint cache', () => {
  it('measures once per host, then reuses it with "cached": when it was measured; the event says the same', () => {
    const s = setup();
    const a = run(s.env);
    expect(a.fp.python).toBe('3.99.1');
    expect(a.raw.cached).toBeUndefined();
    expect(s.calls()).toBe(1);
    const b = run(s.env);
    expect(s.calls()).toBe(1);
    expect(b.fp.python).toBe('3.99.1');
    expect(b.raw.cached).toBe(a.raw.ts);
    const { ts: _a, ...restA } = a.raw;
    const { ts: _b, cached: _c, ...restB } = b.raw;
    expect(restB).toEqual(restA);
    expect(b.event).toMatchObject({ python: '3.99.1', cached: a.raw.ts });
    expect(readdirSync(s.cache).filter((f) => f.startsWith('fingerprint-'))).toHaveLength(1);
  });

  it('a replaced python3 (new file, as an upgrade writes it) is measured again: the new version, never the cached one', () => {
    const s = setup('3.99.1');
    run(s.env);
    replace(path.join(s.bin, 'python3'), python('3.99.2'));
    const b = run(s.env);
    expect(b.fp.python).toBe('3.99.2');
    expect(b.raw.cached).toBeUndefined();
    expect(s.calls()).toBe(2);
  });

  it('python3 edited in place, same size, same second: measured again (ctime to the nanosecond)', () => {
    const s = setup('3.99.1');
    run(s.env);
    writeFileSync(path.join(s.bin, 'python3'), python('3.99.7'));
    const b = run(s.env);
    expect(b.fp.python).toBe('3.99.7');
    expect(s.calls()).toBe(2);
  });

  it('another PATH (a module or a venv put another python3 first) is measured again', () => {
    const s = setup('3.99.1');
    run(s.env);
    const other = fakeBin({ python3: python('3.98.0') });
    const b = run({ ...s.env, PATH: `${other}:${s.env.PATH}` });
    expect(b.fp.python).toBe('3.98.0');
    expect(b.raw.cached).toBeUndefined();
  });

  it('OMP_NUM_THREADS (which nproc honours) changes cpu.allowed: not reused', () => {
    const s = setup();
    const a = run(s.env);
    expect(a.fp.cpu?.allowed).toBeGreaterThanOrEqual(1);
    const b = run({ ...s.env, OMP_NUM_THREADS: '1' });
    expect(b.raw.cached).toBeUndefined();
    expect(b.fp.cpu?.allowed).toBe(1);
    expect(s.calls()).toBe(2);
  });

  it('a pyenv shim: a changed .python-version above the bundle is measured again', () => {
    const root = tempDir('eegen-fpc-pyenv-');
    const shims = path.join(root, 'shims');
    mkdirSync(shims);
    // Like pyenv's shim: the version comes from .python-version, looked up from the cwd.
    writeFileSync(path.join(shims, 'python3'), '#!/bin/bash\necho x >> "$FP_COUNT"\nd=$PWD; while [ -n "$d" ] && [ ! -f "$d/.python-version" ]; do d=${d%/*}; done\necho "Python $(cat "$d/.python-version")"\n', { mode: 0o755 });
    const parent = tempDir('eegen-fpc-proj-');
    writeFileSync(path.join(parent, '.python-version'), '3.97.1\n');
    const s = setup();
    const env = { ...s.env, PATH: `${shims}:${s.env.PATH}`, PYENV_ROOT: root };
    const first = makeBundle('true', { parent, name: 'a' });
    expect(runJob(first, env).status).toBe(0);
    expect(JSON.parse(readFileSync(path.join(first, RUN_LAYOUT.fingerprint), 'utf8')).python).toBe('3.97.1');
    writeFileSync(path.join(parent, '.python-version'), '3.97.22\n');
    const second = makeBundle('true', { parent, name: 'b' });
    expect(runJob(second, env).status).toBe(0);
    const fp = JSON.parse(readFileSync(path.join(second, RUN_LAYOUT.fingerprint), 'utf8'));
    expect(fp.python).toBe('3.97.22');
    expect(fp.cached).toBeUndefined();
  });

  it('a cache older than a day, or unreadable, is not used; the fingerprint is measured and valid', () => {
    const s = setup();
    run(s.env);
    const file = path.join(s.cache, readdirSync(s.cache).find((f) => f.startsWith('fingerprint-'))!);
    const lines = readFileSync(file, 'utf8').split('\n');
    const [tag, epoch, at] = lines[0]!.split(' ');
    writeFileSync(file, [`${tag} ${Number(epoch) - 90_000} ${at}`, ...lines.slice(1)].join('\n'));
    const old = run(s.env);
    expect(old.raw.cached).toBeUndefined();
    expect(s.calls()).toBe(2);
    writeFileSync(file, 'garbage\n"python":"0.0.1"\n');
    const bad = run(s.env);
    expect(bad.fp.python).toBe('3.99.1');
    expect(s.calls()).toBe(3);
    // ...and the measured one is cached again.
    expect(run(s.env).raw.cached).toBeTruthy();
    expect(s.calls()).toBe(3);
  });

  it('EEGEN_FINGERPRINT_CACHE=0: measured every run, nothing cached', () => {
    const s = setup();
    const env = { ...s.env, EEGEN_FINGERPRINT_CACHE: '0' };
    run(env);
    const b = run(env);
    expect(b.raw.cached).toBeUndefined();
    expect(s.calls()).toBe(2);
    expect(existsSync(s.cache) ? readdirSync(s.cache) : []).toEqual([]);
  });

  it('another host name (a home shared by cluster nodes): a cache file of its own, not the other host\'s', () => {
    const s = setup();
    const name = path.join(tempDir('eegen-fpc-host-'), 'name');
    writeFileSync(name, 'node-a\n');
    const hb = fakeBin({ hostname: `#!/bin/sh\ncat ${JSON.stringify(name)}\n` });
    const env = { ...s.env, PATH: `${hb}:${s.env.PATH}` };
    run(env);
    writeFileSync(name, 'node-b\n');
    const b = run(env);
    expect(b.raw.cached).toBeUndefined();
    expect(s.calls()).toBe(2);
    expect(readdirSync(s.cache).sort()).toEqual(['fingerprint-node-a.txt', 'fingerprint-node-b.txt']);
  });

  it('GPUs are measured every run, also when the rest is reused (fake nvidia-smi: no GPU here)', () => {
    const state = tempDir('eegen-fpc-smi-');
    writeFileSync(path.join(state, 'gpus'), 'NVIDIA A100, 550.54, 40960, GPU-aaaa\n');
    const smi = `#!/bin/sh\necho "$*" >> ${JSON.stringify(path.join(state, 'calls'))}\ncase "$*" in\n  *--query-gpu=name*) cat ${JSON.stringify(path.join(state, 'gpus'))} ;;\n  *--query-gpu=index,total*) exit 1 ;;\n  '') echo '| NVIDIA-SMI 550.54   Driver Version: 550.54   CUDA Version: 12.4 |' ;;\n  *) exit 1 ;;\nesac\n`;
    const gb = fakeBin({ 'nvidia-smi': smi });
    const s = setup();
    const env = { ...s.env, PATH: `${gb}:${s.env.PATH}`, EEGEN_POWER: '0' };
    const a = run(env);
    expect(a.fp.gpus?.map((g) => g.uuid)).toEqual(['GPU-aaaa']);
    writeFileSync(path.join(state, 'gpus'), 'NVIDIA A100, 550.54, 40960, GPU-bbbb\nNVIDIA A100, 550.54, 40960, GPU-cccc\n');
    const b = run(env);
    expect(b.raw.cached).toBeTruthy();
    expect(s.calls()).toBe(1);
    expect(b.fp.gpus?.map((g) => g.uuid)).toEqual(['GPU-bbbb', 'GPU-cccc']);
    expect(b.fp.cuda).toBe('12.4');
    const calls = readFileSync(path.join(state, 'calls'), 'utf8').split('\n').filter((l) => l.includes('--query-gpu=name'));
    expect(calls).toHaveLength(2);
    appendFileSync(path.join(state, 'calls'), '');
  });
});
