import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { finalizeBundle } from '../../src/write/manifest.js';
import type { BuildPlan } from '../../src/types.js';
// @ts-expect-error plain JS helper shared with the kill-test child
import { makeDraft as makeDraftJs, makePlan as makePlanJs } from './plans.mjs';

export const makeDraft = makeDraftJs as (i: number, variant?: string, extra?: object) => Parameters<typeof finalizeBundle>[0];
export const makePlan = (n: number, variant = 'A', first = 0): BuildPlan => makePlanJs(finalizeBundle, n, variant, first) as BuildPlan;

const made: string[] = [];
afterEach(async () => {
  for (const d of made.splice(0)) await rm(d, { recursive: true, force: true });
});

/** A fresh temp dir, removed after the test. */
export async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'eegen-write-'));
  made.push(d);
  return d;
}

/** Relative path -> bytes of every file below `dir` (sorted), for byte-identical tree comparisons. */
export async function snapshot(dir: string, skip: (rel: string) => boolean = (r) => r.startsWith('.eegen')): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const walk = async (abs: string, rel: string) => {
    for (const e of (await readdir(abs, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (skip(r)) continue;
      if (e.isDirectory()) await walk(join(abs, e.name), r);
      else out.set(r, `${((await stat(join(abs, e.name))).mode & 0o777).toString(8)} ${(await readFile(join(abs, e.name))).toString('base64')}`);
    }
  };
  await walk(dir, '');
  return out;
}

export async function mtimes(dir: string): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  const walk = async (abs: string, rel: string) => {
    for (const e of await readdir(abs, { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (r.startsWith('.eegen')) continue;
      out.set(r, (await stat(join(abs, e.name))).mtimeMs);
      if (e.isDirectory()) await walk(join(abs, e.name), r);
    }
  };
  await walk(dir, '');
  return out;
}
