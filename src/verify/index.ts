/**
 * `eegen verify`: does every bundle on disk still hold what its manifest says? Checks each
 * listed file against its sha256 and manifest.json against SHA256SUMS. Files a manifest
 * does not list are run outputs and are fine. Works on an output directory (every bundle
 * below it) or on a single bundle directory.
 */
import { readdir } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { diag, DiagnosticError, type Diagnostic } from '../diagnostics/index.js';
import { LAYOUT } from '../types.js';
import { recover } from '../write/commit.js';
import { errnoOf, kindOf, readIfExists } from '../write/disk.js';
import { RUN_LAYOUT } from '../bundle/run-layout.js';
import { executableFiles, isExecutableMode, parseChecksums, parseManifest, sha256 } from '../write/manifest.js';
import { compareBytes } from '../write/paths.js';
import { forEachAdaptive, type HotFs } from '../write/fsx.js';
import { acquireLock, statePaths } from '../write/state.js';

export interface VerifyProblem {
  /** The bundle's directory relative to the verified dir ('.' when that dir is the bundle). */
  bundle: string;
  file: string;
  /** `missing-bundle`: index.json lists a bundle whose directory is gone (`file` is ''). */
  /** `mode`: the file's execute bit is not what eegen wrote (a script made non-executable, a data file made executable). */
  kind: 'missing' | 'changed' | 'mode' | 'unlisted-manifest' | 'bad-manifest' | 'missing-bundle';
}

export interface VerifyResult {
  ok: boolean;
  bundles: number;
  problems: VerifyProblem[];
  /** Recovery of an interrupted build, if one was found. */
  warnings: Diagnostic[];
}

/** Average time per bundle above which reads go async (a network filesystem). */
const SLOW_VERIFY_MS = 3;

/** Codes of verify's refusals (EG5050–EG5059). */
export const VERIFY_CODES = { notADirectory: 'EG5050', noBundles: 'EG5051' } as const;

/**
 * Verify every bundle at or below `dir`. A directory that does not exist, or that holds no
 * bundle at all, is a refusal (DiagnosticError), never "0 bundles intact".
 */
export async function verifyTree(dir: string): Promise<VerifyResult> {
  const root = resolve(dir);
  const kind = await kindOf(root);
  if (kind !== 'dir') {
    throw new DiagnosticError(
      diag(VERIFY_CODES.notADirectory, `${dir} ${kind === undefined ? 'does not exist' : 'is not a directory'}.`, undefined, 'Give the output directory of a build (eegen build ... --out DIR) or one bundle directory.'),
    );
  }
  const warnings: Diagnostic[] = [];
  await recoverNearest(root, warnings);
  const bundles = await findBundles(root);
  const problems: VerifyProblem[] = [];
  for (const missing of await indexedButAbsent(root, bundles)) problems.push({ bundle: missing, file: '', kind: 'missing-bundle' });
  if (bundles.length === 0 && problems.length === 0) {
    throw new DiagnosticError(diag(VERIFY_CODES.noBundles, `${dir} holds no bundle (no directory with manifest.json or SHA256SUMS).`, undefined, 'Check the path; build first with eegen build ... --out DIR.'));
  }
  await forEachAdaptive(bundles, SLOW_VERIFY_MS, async (abs, _i, hot) => {
    const name = relative(root, abs).split(sep).join('/') || '.';
    problems.push(...(await verifyBundle(abs, name, hot)));
  });
  problems.sort((a, b) => compareBytes(a.bundle, b.bundle) || compareBytes(a.file, b.file));
  return { ok: problems.length === 0, bundles: bundles.length, problems, warnings };
}

/** Finish an interrupted build first (unless one is running), so verify judges whole bundles. */
async function recoverNearest(root: string, warnings: Diagnostic[]): Promise<void> {
  for (let d = root; ; d = dirname(d)) {
    if ((await kindOf(join(d, LAYOUT.stateDir))) === 'dir') {
      const s = statePaths(d);
      const lock = await acquireLock(s, warnings, false).catch(() => undefined); // read-only media: just verify
      if (lock) await recover(d, s, warnings).finally(() => lock.release());
      return;
    }
    if (dirname(d) === d) return;
  }
}

/** Bundle dirs that `root/index.json` lists but that are not on disk as bundles. */
async function indexedButAbsent(root: string, found: readonly string[]): Promise<string[]> {
  const text = await readIfExists(join(root, LAYOUT.index)).catch(() => undefined);
  if (!text) return [];
  let dirs: unknown[];
  try {
    const index = JSON.parse(text.toString('utf8')) as { bundles?: { dir?: unknown }[] };
    dirs = Array.isArray(index.bundles) ? index.bundles.map((b) => b?.dir) : [];
  } catch {
    return [];
  }
  const have = new Set(found.map((abs) => relative(root, abs).split(sep).join('/')));
  return dirs.filter((d): d is string => typeof d === 'string' && !d.split('/').includes('..') && !have.has(d)).sort(compareBytes);
}

/**
 * Directories holding manifest.json or SHA256SUMS at or below `root` (a bundle that lost
 * one of them is still found, and reported); dot-directories are eegen's or hidden.
 */
async function findBundles(root: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (abs: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(abs, { withFileTypes: true });
    } catch (e) {
      if (errnoOf(e) === 'ENOENT' || errnoOf(e) === 'ENOTDIR') return;
      throw e;
    }
    if (entries.some((e) => (e.name === LAYOUT.manifest || e.name === LAYOUT.checksums) && !e.isDirectory())) return void out.push(abs);
    for (const e of entries) if (e.isDirectory() && !e.name.startsWith('.')) await walk(join(abs, e.name));
  };
  await walk(root);
  return out.sort(compareBytes);
}

async function verifyBundle(abs: string, bundle: string, hot: HotFs): Promise<VerifyProblem[]> {
  const problems: VerifyProblem[] = [];
  const problem = (file: string, kind: VerifyProblem['kind']) => problems.push({ bundle, file, kind });

  const sumsText = await readIfExists(join(abs, LAYOUT.checksums), hot);
  const sums = sumsText ? parseChecksums(sumsText.toString('utf8')) : undefined;
  if (!sumsText) problem(LAYOUT.checksums, 'missing');
  else if (!sums) problem(LAYOUT.checksums, 'bad-manifest');

  const manifestText = await readIfExists(join(abs, LAYOUT.manifest), hot);
  if (!manifestText) return problem(LAYOUT.manifest, 'missing'), problems;
  if (sums) {
    const listed = sums.get(LAYOUT.manifest);
    if (listed === undefined) problem(LAYOUT.manifest, 'unlisted-manifest');
    else if (listed !== sha256(manifestText)) problem(LAYOUT.manifest, 'changed');
  }
  const manifest = parseManifest(manifestText.toString('utf8'));
  if (typeof manifest === 'string') return problem(LAYOUT.manifest, 'bad-manifest'), problems;

  const executable = executableFiles(manifest, RUN_LAYOUT.wrapper);
  for (const [file, hash] of Object.entries(manifest.files)) {
    const content = await readIfExists(join(abs, file), hot);
    if (!content) problem(file, 'missing');
    else if (sha256(content) !== hash) problem(file, 'changed');
    else if (isExecutableMode((await hot.lstat(join(abs, file))).mode) !== executable.has(file)) problem(file, 'mode');
    if (sums && sums.get(file) !== hash) problem(file, 'bad-manifest'); // SHA256SUMS and manifest disagree
  }
  if (sums) {
    for (const file of sums.keys()) {
      if (file !== LAYOUT.manifest && !Object.hasOwn(manifest.files, file)) problem(file, 'bad-manifest');
    }
  }
  return problems;
}
