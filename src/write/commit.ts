/**
 * How bundles change on disk so that a kill at any moment leaves each bundle whole —
 * either its old or its new version:
 *
 * - New bundle: every file goes into `.eegen/tmp/<token>.new/`, then one `rename` puts the
 *   directory in place.
 * - Existing bundle (it may hold run outputs, so it cannot be swapped as a whole): an
 *   intent `.eegen/tmp/<token>.intent` names a staging dir `<bundle>/.eegen-tmp-<token>/`;
 *   the new files are written there; then the journal `.eegen/journal/<token>.json`
 *   (deletes + renames) is renamed into place — the commit point — and carried out.
 * - Pruned bundle: renamed to `.eegen/tmp/<token>.trash`, then deleted.
 *
 * `recover` runs before anything else reads or writes the tree: it carries out every
 * committed journal (each step is idempotent) and deletes whatever else is in tmp/,
 * including the staging dirs that intents point at. Only process death is covered:
 * nothing is fsync'ed, so a power cut may still lose recent writes.
 */
import { mkdir, readdir, readFile, rename, rm, rmdir, unlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { BundleFile } from '../types.js';
import { LAYOUT } from '../types.js';
import type { Diagnostic } from '../diagnostics/index.js';
import { WRITE_CODES, warning } from './codes.js';
import { errnoOf } from './disk.js';
import { TEMP_PREFIX } from './manifest.js';
import { ancestors, relPathProblem } from './paths.js';
import { freshToken, type StatePaths } from './state.js';

interface Journal {
  dir: string;
  staging: string;
  /** Files of the old version that the new one no longer has. */
  deletes: string[];
  /** Paths moved from `<staging>/<path>` to `<path>`, in order. */
  renames: string[];
}

/** Create the parent directories, then write every file (mode as given, less the umask). */
async function writeFilesInto(root: string, files: readonly BundleFile[]): Promise<void> {
  const dirs = new Set<string>();
  for (const f of files) for (const a of ancestors(f.path)) dirs.add(a);
  for (const d of [...dirs].sort()) await mkdir(join(root, d), { recursive: true });
  await Promise.all(files.map((f) => writeFile(join(root, f.path), f.content, { mode: f.mode })));
}

export async function writeNewBundle(outAbs: string, s: StatePaths, dir: string, files: readonly BundleFile[], madeParents: Set<string>): Promise<void> {
  const staging = join(s.tmp, `${freshToken()}.new`);
  await mkdir(staging);
  await writeFilesInto(staging, files);
  const parent = dirname(dir);
  if (parent !== '.' && !madeParents.has(parent)) {
    await mkdir(join(outAbs, parent), { recursive: true });
    madeParents.add(parent);
  }
  await rename(staging, join(outAbs, dir));
}

export async function updateBundle(outAbs: string, s: StatePaths, dir: string, files: readonly BundleFile[], deletes: string[]): Promise<void> {
  const token = freshToken();
  const staging = `${TEMP_PREFIX}-${token}`;
  const base = join(outAbs, dir);
  const intent = join(s.tmp, `${token}.intent`);
  await writeFile(intent, JSON.stringify({ dir, staging }));
  await mkdir(join(base, staging));
  await writeFilesInto(join(base, staging), files);
  // The checksums go last, so even a reader that skips recovery sees a mismatch, not a lie.
  const last = [LAYOUT.manifest, LAYOUT.checksums] as string[];
  const renames = [...files.map((f) => f.path).filter((p) => !last.includes(p)), ...last.filter((p) => files.some((f) => f.path === p))];
  const journal: Journal = { dir, staging, deletes, renames };
  const committed = join(s.journal, `${token}.json`);
  await writeFile(committed + '.tmp', JSON.stringify(journal));
  await rename(committed + '.tmp', committed);
  await applyJournal(base, journal);
  await unlink(committed);
  await unlink(intent);
}

export async function removeBundle(outAbs: string, s: StatePaths, dir: string): Promise<void> {
  const trash = join(s.tmp, `${freshToken()}.trash`);
  await rename(join(outAbs, dir), trash);
  await rm(trash, { recursive: true, force: true });
}

async function applyJournal(base: string, j: Journal): Promise<void> {
  // A delete that fails leaves a file the manifest no longer lists: it is kept like a run output.
  for (const p of j.deletes) await rm(join(base, p), { force: true }).catch(() => undefined);
  const emptied = new Set(j.deletes.flatMap(ancestors));
  for (const d of [...emptied].sort().reverse()) {
    await rmdir(join(base, d)).catch(() => undefined); // only succeeds when empty
  }
  for (const p of j.renames) {
    if (p.includes('/')) await mkdir(dirname(join(base, p)), { recursive: true });
    try {
      await rename(join(base, j.staging, p), join(base, p));
    } catch (e) {
      if (errnoOf(e) !== 'ENOENT') throw e; // already moved by an earlier, interrupted run
    }
  }
  await rm(join(base, j.staging), { recursive: true, force: true });
}

function parseJournal(text: string): Journal | undefined {
  try {
    const j = JSON.parse(text) as Partial<Journal>;
    const paths = [j.dir, j.staging, ...(j.deletes ?? []), ...(j.renames ?? [])];
    if (!Array.isArray(j.deletes) || !Array.isArray(j.renames)) return undefined;
    if (paths.some((p) => typeof p !== 'string' || relPathProblem(p))) return undefined;
    if (!validStaging(j.staging) || j.dir!.split('/')[0] === LAYOUT.stateDir) return undefined;
    return j as Journal;
  } catch {
    return undefined;
  }
}

function validStaging(name: unknown): name is string {
  return typeof name === 'string' && name.startsWith(TEMP_PREFIX + '-') && !name.includes('/') && !relPathProblem(name);
}

async function names(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).sort();
  } catch (e) {
    if (errnoOf(e) === 'ENOENT') return [];
    throw e;
  }
}

/** Finish what an interrupted build committed and throw away what it had not. */
export async function recover(outAbs: string, s: StatePaths, warnings: Diagnostic[]): Promise<void> {
  let rolledForward = 0;
  let discarded = 0;
  for (const name of await names(s.journal)) {
    const file = join(s.journal, name);
    if (name.endsWith('.json')) {
      const j = parseJournal(await readFile(file, 'utf8'));
      if (j) {
        await applyJournal(join(outAbs, j.dir), j);
        rolledForward++;
      }
    }
    await unlink(file);
  }
  for (const name of await names(s.tmp)) {
    const file = join(s.tmp, name);
    if (name.endsWith('.intent')) {
      try {
        const { dir, staging } = JSON.parse(await readFile(file, 'utf8')) as { dir?: unknown; staging?: unknown };
        if (typeof dir === 'string' && !relPathProblem(dir) && validStaging(staging)) {
          await rm(join(outAbs, dir, staging), { recursive: true, force: true });
        }
      } catch {
        // Cut short while being written: its staging dir was never created.
      }
    }
    await rm(file, { recursive: true, force: true });
    discarded++;
  }
  if (rolledForward || discarded) {
    warnings.push(
      warning(
        WRITE_CODES.recovered,
        `Recovered from an interrupted build: completed ${rolledForward} bundle update(s), discarded ${discarded} unfinished item(s).`,
      ),
    );
  }
}
