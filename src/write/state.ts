/**
 * eegen's state beside the bundles, in `<out>/.eegen/`:
 *   lock            pid and host of the build writing now
 *   tmp/            staging dirs, update intents and trash of builds in progress (commit.ts)
 *   bundles.json    the bundle dirs eegen wrote, so stale nested bundles can be found
 *   side-files.json sha256 of index.json and jobs.sh as written, so a user's own are never replaced
 *   ledger.jsonl    submissions (written by dispatch; read here)
 *   keys.json       input keys of the last build (build.ts): the same bytes on every machine
 *   sigs.json       file signatures of this machine's copies (build.ts): machine-local
 *   .gitignore      keeps everything machine-local out of git, so OUT can be checked in
 */
import { hostname } from 'node:os';
import { mkdir, open, rename, unlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { LAYOUT } from '../types.js';
import type { Diagnostic } from '../diagnostics/index.js';
import { WRITE_CODES, WriteError, warning } from './codes.js';
import { errnoOf, readIfExists } from './disk.js';
import { relPathProblem } from './paths.js';

export interface StatePaths {
  root: string;
  tmp: string;
  lock: string;
  bundles: string;
  /** sha256 of each side file (index.json, jobs.sh) as eegen last wrote it. */
  sideFiles: string;
  ledger: string;
}

export function statePaths(outAbs: string): StatePaths {
  const root = join(outAbs, LAYOUT.stateDir);
  return {
    root,
    tmp: join(root, 'tmp'),
    lock: join(root, 'lock'),
    bundles: join(root, 'bundles.json'),
    sideFiles: join(root, 'side-files.json'),
    ledger: join(outAbs, LAYOUT.ledger),
  };
}

export async function ensureStateDirs(s: StatePaths): Promise<void> {
  await mkdir(s.tmp, { recursive: true });
  const ignore = join(s.root, '.gitignore');
  if (!(await readIfExists(ignore))?.equals(GITIGNORE)) await writeAtomic(ignore, GITIGNORE, s.tmp);
}

/**
 * What of .eegen may be committed with checked-in bundles: only files that are the same
 * bytes for the same inputs on every machine. Locks, staging, the ledger of this user's
 * submissions and the stat signatures of this machine's files stay out.
 */
const GITIGNORE = Buffer.from(
  [
    '# Written by eegen. Everything here is machine-local except keys.json, bundles.json and side-files.json,',
    '# which are the same bytes for the same inputs everywhere and may be committed with the bundles.',
    '*',
    '!.gitignore',
    '!keys.json',
    '!bundles.json',
    '!side-files.json',
    '',
  ].join('\n'),
);

let tokenCounter = 0;
const runTag = `${process.pid.toString(36)}-${Date.now().toString(36)}`;
/** A name no other writer (process or call) uses; cheap enough for every bundle. */
export function freshToken(): string {
  return `${runTag}-${(tokenCounter++).toString(36)}`;
}

/** Write `data` to `target` by temp file + rename, so readers see old or new bytes. */
export async function writeAtomic(target: string, data: string | Buffer, tmpDir: string, mode = 0o644): Promise<void> {
  const tmp = join(tmpDir, `${freshToken()}.side`);
  await writeFile(tmp, data, { mode });
  await rename(tmp, target);
}

/** Replace `file` atomically (temp file beside it + rename), creating its folder. */
export async function writeFileAtomic(file: string, data: string | Buffer): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  // The same bytes are not written again: a no-op rebuild leaves checked-in state untouched.
  const old = await readIfExists(file);
  if (old?.equals(typeof data === 'string' ? Buffer.from(data) : data)) return;
  const tmp = `${file}.${freshToken()}.tmp`;
  await writeFile(tmp, data);
  await rename(tmp, file);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return errnoOf(e) === 'EPERM';
  }
}

export interface Lock {
  release(): Promise<void>;
}

/**
 * Take the output directory's lock. A lock left by a dead process on this host is taken
 * over (with a warning); a live one is EG5010, or undefined when `mustGet` is false (a
 * reader that only wants to recover when nobody else is writing).
 */
export async function acquireLock(s: StatePaths, warnings: Diagnostic[]): Promise<Lock>;
export async function acquireLock(s: StatePaths, warnings: Diagnostic[], mustGet: false): Promise<Lock | undefined>;
export async function acquireLock(s: StatePaths, warnings: Diagnostic[], mustGet = true): Promise<Lock | undefined> {
  const me = JSON.stringify({ pid: process.pid, host: hostname() });
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fh = await open(s.lock, 'wx');
      await fh.writeFile(me);
      await fh.close();
      return { release: () => unlink(s.lock).catch(() => undefined) };
    } catch (e) {
      if (errnoOf(e) !== 'EEXIST') throw e;
    }
    const held = await readIfExists(s.lock);
    if (held === undefined) continue;
    let owner: { pid?: unknown; host?: unknown } = {};
    try {
      owner = JSON.parse(held.toString('utf8')) as typeof owner;
    } catch {
      // A lock cut short by a kill between open and write: its writer is gone.
    }
    const sameHost = owner.host === undefined || owner.host === hostname();
    const live = typeof owner.pid === 'number' && sameHost && alive(owner.pid);
    const elsewhere = !sameHost;
    if (live || elsewhere) {
      if (!mustGet) return undefined;
      throw new WriteError(WRITE_CODES.locked, `Another eegen build (pid ${String(owner.pid)} on ${String(owner.host)}) is writing to this output directory.`, {
        path: s.lock,
        hint: `Wait for it to finish. If no such build is running, delete ${s.lock}.`,
      });
    }
    warnings.push(warning(WRITE_CODES.staleLock, `Took over the lock of an interrupted build (pid ${String(owner.pid)}).`));
    await unlink(s.lock).catch(() => undefined);
  }
  throw new WriteError(WRITE_CODES.locked, 'Could not take the output directory lock.', { path: s.lock });
}

/** Last submitted bundle hash per id. Malformed lines are ignored: the ledger is append-only and may end mid-line. */
export async function readLedger(s: StatePaths): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const buf = await readIfExists(s.ledger);
  if (!buf) return out;
  for (const line of buf.toString('utf8').split('\n')) {
    if (!line.trim()) continue;
    try {
      const rec = JSON.parse(line) as { id?: unknown; bundleHash?: unknown };
      if (typeof rec.id === 'string' && typeof rec.bundleHash === 'string') out.set(rec.id, rec.bundleHash);
    } catch {
      // ignore
    }
  }
  return out;
}

/**
 * Nested bundle dirs (`sweep/a/b`) recorded by earlier builds, so a stale one can be found
 * without walking the tree. Top-level dirs need no record: one readdir finds them.
 */
export async function readKnownDirs(s: StatePaths): Promise<string[]> {
  const buf = await readIfExists(s.bundles);
  if (!buf) return [];
  try {
    const list = JSON.parse(buf.toString('utf8')) as unknown;
    return Array.isArray(list) ? list.filter((d): d is string => typeof d === 'string' && !relPathProblem(d)) : [];
  } catch {
    return [];
  }
}

/** Record the nested ones among `dirs`; returns what was recorded. Skips the write when nothing changed. */
export async function writeKnownDirs(s: StatePaths, dirs: Iterable<string>, recorded: readonly string[]): Promise<string[]> {
  const list = [...new Set([...dirs].filter((d) => d.includes('/')))].sort();
  if (list.length === recorded.length && list.every((d, i) => d === recorded[i])) return list;
  await writeAtomic(s.bundles, JSON.stringify(list, null, 2) + '\n', s.tmp);
  return list;
}

/** Side-file hashes recorded by the last build (none: a first build, or an unreadable file). */
export async function readSideFileHashes(s: StatePaths): Promise<Map<string, string>> {
  try {
    const doc = JSON.parse((await readIfExists(s.sideFiles))?.toString('utf8') ?? '{}') as Record<string, unknown>;
    return new Map(Object.entries(doc).filter((e): e is [string, string] => typeof e[1] === 'string'));
  } catch {
    return new Map();
  }
}

export async function writeSideFileHashes(s: StatePaths, hashes: ReadonlyMap<string, string>): Promise<void> {
  const doc = Object.fromEntries([...hashes].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  const text = `${JSON.stringify(doc, null, 2)}\n`;
  if ((await readIfExists(s.sideFiles))?.toString('utf8') === text) return;
  await writeAtomic(s.sideFiles, text, s.tmp);
}
