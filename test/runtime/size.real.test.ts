/**
 * The wrapper's `size` event: the bundle directory's bytes once the script ended, written
 * before `end` (so whoever sees the run ended finds it), with `end` keeping the moment the
 * script ended. Real bash runs of runtime/eegen-run.sh.
 */
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fakeBin, makeBundle, readRun, removeTemps, runJob } from './helpers.js';

afterAll(removeTemps);

/** Bytes of every regular file under dir, as the wrapper's GNU find counts them. */
function fileBytes(dir: string): number {
  let sum = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) sum += fileBytes(p);
    else if (e.isFile()) sum += statSync(p).size;
  }
  return sum;
}

describe.concurrent('eegen-run.sh size event (real bash runs)', () => {
  it('counts the files the run wrote, in bytes, before `end`; end keeps the moment the script ended', () => {
    // 1 MiB in a subdirectory, 3 bytes at the top, and a symlink (not followed, not counted twice).
    const dir = makeBundle('mkdir -p out/deep && head -c 1048576 /dev/zero > out/deep/big.bin && printf abc > top.txt && ln -s out/deep/big.bin link.bin && sleep 0.3');
    const before = fileBytes(dir);
    expect(runJob(dir).status).toBe(0);
    const { events, summary, raw } = readRun(dir);
    const names = events.filter((e) => e.event !== 'fingerprint').map((e) => e.event);
    expect(names).toEqual(['start', 'size', 'end']);
    const size = raw.find((e) => e.event === 'size')!;
    // What the files held when du ran: the bundle's, the run's and the records written so far
    // (events.jsonl up to `start`, output is on the terminal here).
    expect(summary.bytes).toBe(size.bytes);
    expect(summary.bytes).toBeGreaterThanOrEqual(before + 1048576 + 3);
    expect(summary.bytes).toBeLessThan(before + 1048576 + 3 + 4096);
    // `end` carries the script's end, taken before the size was measured.
    const end = raw.find((e) => e.event === 'end')!;
    expect(Date.parse(String(end.ts))).toBeLessThanOrEqual(Date.parse(String(size.ts)));
    expect(summary.exitCode).toBe(0);
  });

  it('is written for a failing script too', () => {
    const dir = makeBundle('head -c 5000 /dev/zero > part.bin; exit 4');
    expect(runJob(dir).status).toBe(4);
    const { summary } = readRun(dir);
    expect(summary.exitCode).toBe(4);
    expect(summary.bytes).toBeGreaterThanOrEqual(5000);
  });

  it('without GNU find -printf (BSD/macOS: fake find that refuses it) falls back to du -k, in bytes', () => {
    const bin = fakeBin({ find: '#!/bin/sh\necho "find: -printf: unknown primary or operator" >&2\nexit 1\n' });
    const dir = makeBundle('head -c 200000 /dev/urandom > out.bin');
    expect(runJob(dir, { PATH: `${bin}:${process.env.PATH}` }).status).toBe(0);
    const { summary } = readRun(dir);
    // du -k: whole KiB of space used, directories included.
    expect(summary.bytes! % 1024).toBe(0);
    expect(summary.bytes).toBeGreaterThanOrEqual(200000);
  });

  it('with neither find nor du working: no size event, and the run is recorded as before', () => {
    const bin = fakeBin({ find: '#!/bin/sh\nexit 1\n', du: '#!/bin/sh\nexit 1\n' });
    const dir = makeBundle('echo hi > a.txt');
    expect(runJob(dir, { PATH: `${bin}:${process.env.PATH}` }).status).toBe(0);
    const { events, summary } = readRun(dir);
    expect(events.some((e) => e.event === 'size')).toBe(false);
    expect(summary.bytes).toBeUndefined();
    expect(summary.exitCode).toBe(0);
  });
});
