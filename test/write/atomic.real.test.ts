/**
 * Kill a build with SIGKILL at random moments; after recovery every bundle must be
 * wholly the old or wholly the new version, and run outputs must still be there.
 */
import { fork } from 'node:child_process';
import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { beforeAll, describe, expect, it } from 'vitest';
import { verifyTree } from '../../src/verify/index.js';
import { writeBuild } from '../../src/write/index.js';
import { makePlan, tempDir } from './helpers.js';

const here = dirname(fileURLToPath(import.meta.url));
const src = join(here, '..', '..', 'src');
const N = 150;
const ROUNDS = 8;

/** The child runs under plain node, so it gets a JS copy of the modules it needs. */
async function transpileNeeded(to: string): Promise<void> {
  await writeFile(join(to, 'package.json'), '{"type":"module"}\n');
  const files = [
    'types.ts',
    ...(await Promise.all(['write', 'verify', 'diagnostics', 'util'].map(async (d) => (await readdir(join(src, d))).filter((f) => f.endsWith('.ts')).map((f) => `${d}/${f}`)))).flat(),
  ];
  for (const f of files) {
    const js = ts.transpileModule(await readFile(join(src, f), 'utf8'), {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
    }).outputText;
    await mkdir(dirname(join(to, f)), { recursive: true });
    await writeFile(join(to, f.replace(/\.ts$/, '.js')), js);
  }
}
async function killMidBuild(mods: string, out: string, delayMs: number, fsMode: string): Promise<number> {
  const child = fork(join(here, 'kill-child.mjs'), [mods, out, String(N)], {
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    env: { ...process.env, EEGEN_FS: fsMode },
  });
  let built = 0;
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    child.on('message', (m) => {
      if (m === 'ready') setTimeout(() => (child.kill('SIGKILL'), resolve()), delayMs);
      if (m === 'built') built++;
    });
    child.on('error', reject);
  });
  await exited; // reaped: its pid is dead, so its lock can be taken over
  return built;
}

describe('atomicity under SIGKILL', () => {
  let mods = '';
  beforeAll(async () => {
    mods = await tempDir();
    await transpileNeeded(mods);
  });

  it('leaves every bundle wholly old or wholly new', async () => {
    const a = makePlan(N, 'A');
    const b = makePlan(N + 20, 'B');
    const sumsOf = (p: typeof a) => new Map(p.bundles.map((x) => [x.dir, x.files.find((f) => f.path === 'SHA256SUMS')!.content.toString()]));
    const [sumsA, sumsB] = [sumsOf(a), sumsOf(b)];
    let mixed = 0;
    let recovered = 0;
    let interrupted = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const out = await tempDir();
      await writeBuild(a, out);
      for (const id of ['b0000', 'b0001', 'b0149']) await writeFile(join(out, id, 'job.log'), `ran ${id}\n`);

      const delay = 20 + Math.floor(Math.random() * 400);
      await killMidBuild(mods, out, delay, round % 2 ? 'async' : 'sync');

      const v = await verifyTree(out);
      expect(v.problems).toEqual([]);
      if (v.warnings.some((w) => w.code === 'EG5041')) recovered++;
      if (v.warnings.some((w) => w.code === 'EG5042')) interrupted++; // the dead build's lock
      const seen = { A: 0, B: 0 };
      for (const e of await readdir(out)) {
        if (e === '.eegen' || e === 'index.json') continue;
        const sums = await readFile(join(out, e, 'SHA256SUMS'), 'utf8');
        if (sums === sumsA.get(e)) seen.A++;
        else if (sums === sumsB.get(e)) seen.B++;
        else throw new Error(`bundle ${e} is neither version (round ${round}, delay ${delay} ms)`);
        expect(await readdir(join(out, e))).not.toContainEqual(expect.stringMatching(/^\.eegen-tmp/));
      }
      expect(seen.A + seen.B).toBeGreaterThanOrEqual(N);
      if (seen.A && seen.B) mixed++;
      for (const id of ['b0000', 'b0001', 'b0149']) expect(await readFile(join(out, id, 'job.log'), 'utf8')).toBe(`ran ${id}\n`);
      const index = await readFile(join(out, 'index.json'));
      expect(index.equals(a.sideFiles[0]!.content) || index.equals(b.sideFiles[0]!.content)).toBe(true);
      expect(await readdir(join(out, '.eegen', 'tmp'))).toEqual([]);

      // And the next build completes the tree.
      const r = await writeBuild(a, out, { prune: true });
      expect(r.stale).toEqual([]);
      expect(await verifyTree(out)).toMatchObject({ ok: true, bundles: N });
    }
    // Not asserted (timing-dependent), but shows the kills landed mid-build.
    console.log(`atomicity: ${interrupted}/${ROUNDS} kills landed inside a build, ${recovered} needed recovery, ${mixed} left a mix of old and new bundles`);
    expect(interrupted).toBeGreaterThan(0);
  }, 180_000);
});

describe('recovery of hand-made interrupted states', () => {
  /** Stage plan's first bundle as an in-place update of build `token`, committed or not. */
  const staged = async (out: string, token: string, plan: ReturnType<typeof makePlan>, state: 'w' | 'c') => {
    const bundle = plan.bundles[0]!;
    const staging = `.eegen-tmp-${state}-${token}`;
    for (const f of bundle.files) {
      await mkdir(dirname(join(out, bundle.dir, staging, f.path)), { recursive: true });
      await writeFile(join(out, bundle.dir, staging, f.path), f.content, { mode: f.mode }); // as the writer stages it
    }
    await writeFile(join(out, '.eegen', 'tmp', `${token}.intent`), JSON.stringify({ token, dirs: [bundle.dir] }));
    return { dir: bundle.dir, staging, paths: bundle.files.map((f) => f.path) };
  };

  it('rolls a committed update forward', async () => {
    const out = await tempDir();
    await writeBuild(makePlan(1, 'A'), out);
    const b = makePlan(1, 'B');
    const j = await staged(out, 't1', b, 'c');
    // Half carried out: two renames done before the kill.
    for (const p of j.paths.slice(0, 2)) await rename(join(out, j.dir, j.staging, p), join(out, j.dir, p));
    const v = await verifyTree(out);
    expect(v.warnings.map((w) => w.code)).toEqual(['EG5041']);
    expect(v.problems).toEqual([]);
    expect(await readFile(join(out, j.dir, 'SHA256SUMS'))).toEqual(b.bundles[0]!.files.find((f) => f.path === 'SHA256SUMS')!.content);
    expect(await readdir(join(out, j.dir))).not.toContain(j.staging);
  });

  it('discards an uncommitted update and stray staging dirs', async () => {
    const out = await tempDir();
    const a = makePlan(1, 'A');
    await writeBuild(a, out);
    const j = await staged(out, 't2', makePlan(1, 'B'), 'w');
    await writeFile(join(out, '.eegen', 'tmp', 't3.intent.part'), '{"dir":'); // cut short before its rename
    await mkdir(join(out, '.eegen', 'tmp', 'x.new', 'data'), { recursive: true });
    const r = await writeBuild(a, out);
    expect(r.unchanged).toEqual(['b0000']);
    expect(r.warnings.map((w) => w.code)).toEqual(['EG5041']);
    expect(await readdir(join(out, j.dir))).not.toContain(j.staging);
    expect(await readdir(join(out, '.eegen', 'tmp'))).toEqual([]);
  });
});
