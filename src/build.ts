/**
 * The library API for `eegen build`: compile, then write (or check, or archive).
 * The CLI is a thin layer over these functions; so are later services.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { streamedSideFiles } from './bundle/side-files.js';
import { compile, type CompileOptions, type CompileStats } from './compile/index.js';
import { diag, hasErrors, isDiagnosticError, SourceSet, type Diagnostic } from './diagnostics/index.js';
import type { StudyBundle } from './report/study.js';
import { LAYOUT, type BuildPlan, type WriteReport } from './types.js';
import { checkBuild, openWrite, writeBuild, type Difference, type WriteSession } from './write/index.js';
import type { FsMode } from './write/fsx.js';
import { throwIfAborted } from './util/abort.js';

export interface BuildOptions extends CompileOptions {
  /** Output directory (default `out`). */
  out?: string;
  /** Compile only; write nothing. */
  dryRun?: boolean;
  /** Compare with what is on disk and report differences; write nothing. */
  check?: boolean;
  /** Remove bundles the config no longer produces (run outputs are never removed). */
  prune?: boolean;
  /** Also write the bundles as one archive (`.tar.gz` or `.zip`, by extension). */
  archive?: string;
  /** Filesystem calls: adaptive (default: sync while fast, async on a slow filesystem), or pinned. */
  fs?: FsMode;
  /**
   * A build of the same config with collected results: each bundle predict can predict
   * gets its predicted walltime as `resources.time` (predict/time-from.ts); the others keep the config's.
   */
  timeFrom?: string;
  /** With timeFrom: predict's margin over the upper band (default 0.25). */
  timeMargin?: number;
  /**
   * false: a plain build returns a plan without its bundles (`count` says how many), so
   * that its memory stays flat however large the sweep (the CLI, unless --json lists them).
   * Default true. --dry-run, --check and --archive hold every bundle's bytes anyway.
   */
  keepBundles?: boolean;
}

/** A difference found by --check; `id` is '' for a side file (index.json, jobs.sh). */
export type { Difference } from './write/index.js';

export interface BuildResult {
  /** True when the build succeeded (and, for --check, nothing differs). */
  ok: boolean;
  outDir: string;
  plan?: BuildPlan;
  report?: WriteReport;
  /** For --check: what differs between disk and the config. */
  differences?: Difference[];
  diagnostics: Diagnostic[];
  sources: SourceSet;
  /** How the bundles were produced (workers, reused bundles). */
  stats?: CompileStats;
  /** Bundles the config produces (plan.bundles.length unless keepBundles was false). */
  count?: number;
}

export const DEFAULT_OUT = 'out';

function archiveFormat(file: string): 'tar.gz' | 'zip' | undefined {
  if (/\.(tar\.gz|tgz)$/i.test(file)) return 'tar.gz';
  if (/\.zip$/i.test(file)) return 'zip';
  return undefined;
}

const KEYS_FILE = path.join(LAYOUT.stateDir, 'keys.json');
/**
 * Signatures (inode, size, ctime) of every file of each bundle as last written: a cache of
 * this machine's filesystem, kept apart from keys.json so that keys.json stays the same
 * bytes for the same inputs everywhere.
 */
const SIGS_FILE = path.join(LAYOUT.stateDir, 'sigs.json');

type Keys = Map<string, { key: string; hash: string; sig?: string }>;

/** Input keys of the last build in `outDir` (none: a first build, or an unreadable file). */
async function readKeys(outDir: string): Promise<Keys> {
  let keys: Keys;
  try {
    const data = JSON.parse(await readFile(path.join(outDir, KEYS_FILE), 'utf8')) as { bundles?: Record<string, { key: string; hash: string }> };
    keys = new Map(Object.entries(data.bundles ?? {}).map(([id, k]) => [id, { key: k.key, hash: k.hash }]));
  } catch {
    return new Map();
  }
  try {
    const sigs = JSON.parse(await readFile(path.join(outDir, SIGS_FILE), 'utf8')) as { bundles?: Record<string, string> };
    for (const [id, sig] of Object.entries(sigs.bundles ?? {})) {
      const k = keys.get(id);
      if (k && typeof sig === 'string') k.sig = sig;
    }
  } catch {
    // No signatures: every reused bundle's SHA256SUMS is read and hashed once.
  }
  return keys;
}

const writeEvents =
  (onEvent: NonNullable<BuildOptions['onEvent']>) =>
  (done: number, total: number): void =>
    onEvent({ type: 'write', done, total });

/** The build's diagnostics as events, once the result knows its final (deduplicated) list. */
function reported(opts: BuildOptions, r: BuildResult): BuildResult {
  for (const d of r.diagnostics) opts.onEvent?.({ type: 'diagnostic', diagnostic: d });
  return r;
}

/**
 * Compile, then write (or check, or archive). Aborting `signal` stops it before anything
 * is put in place: the output directory is as it was, staged bytes are removed.
 */
export async function build(opts: BuildOptions): Promise<BuildResult> {
  return reported(opts, await buildQuietly(opts));
}

/** The time limits --time-from gives (none without it), or the reason there are none. */
async function timeLimits(opts: BuildOptions): Promise<{ limits?: Map<string, string>; bundles?: StudyBundle[]; diagnostics: Diagnostic[] }> {
  if (opts.timeFrom === undefined) return { diagnostics: [] };
  // predict loads for --time-from only.
  const { timeLimitsFrom } = await import('./predict/time-from.js');
  try {
    return await timeLimitsFrom(opts.timeFrom, opts.timeMargin);
  } catch (e) {
    if (isDiagnosticError(e)) return { diagnostics: e.diagnostics.map((d) => ({ ...d, message: `--time-from ${opts.timeFrom}: ${d.message}` })) };
    throw e;
  }
}

type Times = Awaited<ReturnType<typeof timeLimits>>;

/** --time-from names a build of another config: an error, found once the config compiled (its predictions' warnings then say nothing). */
async function otherConfig(opts: BuildOptions, plan: BuildPlan, times: Times): Promise<Diagnostic | undefined> {
  if (!times.bundles) return undefined;
  const { sameConfig } = await import('./predict/time-from.js');
  const other = sameConfig(opts.timeFrom!, opts.config, times.bundles, plan.bundles);
  if (other) times.diagnostics.length = 0;
  return other;
}

async function buildQuietly(opts: BuildOptions): Promise<BuildResult> {
  const outDir = opts.out ?? DEFAULT_OUT;
  const times = await timeLimits(opts);
  if (hasErrors(times.diagnostics)) return { ok: false, outDir, diagnostics: times.diagnostics, sources: new SourceSet() };
  if (times.limits) opts = { ...opts, timeLimits: times.limits };
  const r = await buildWithTimes(opts, outDir, times);
  r.diagnostics.unshift(...times.diagnostics);
  return r;
}

async function buildWithTimes(opts: BuildOptions, outDir: string, times: Times): Promise<BuildResult> {
  // A plain build skips rendering bundles whose inputs did not change; --check, --dry-run
  // and --archive need every byte, so they always render everything.
  const incremental = !opts.dryRun && !opts.check && !opts.archive;
  if (incremental) return writeWhileCompiling(opts, outDir, { outDir, keys: await readKeys(outDir) }, times);
  const { plan, sources, diagnostics } = await compile({ ...opts, keepBundles: true });
  if (!plan || hasErrors(diagnostics)) return { ok: false, outDir, diagnostics, sources };
  const other = await otherConfig(opts, plan, times);
  if (other) return { ok: false, outDir, diagnostics: [...diagnostics, other], sources };
  if (opts.archive && !archiveFormat(opts.archive)) {
    diagnostics.push(diag('EG5060', `Cannot tell the archive format of "${opts.archive}".`, undefined, 'Name the archive *.tar.gz, *.tgz or *.zip.'));
    return { ok: false, outDir, plan, diagnostics, sources };
  }
  if (opts.dryRun) return { ok: true, outDir, plan, diagnostics, sources };
  if (opts.check) {
    const { report, differences } = await checkBuild(plan, outDir);
    diagnostics.push(...report.warnings);
    return { ok: differences.length === 0, outDir, plan, report, differences, diagnostics, sources };
  }
  throwIfAborted(opts.signal);
  const report = await writeBuild(plan, outDir, { prune: opts.prune ?? false, ...(opts.fs ? { fs: opts.fs } : {}), ...(opts.onEvent ? { onProgress: writeEvents(opts.onEvent) } : {}) });
  // Recovered interrupted builds, stale bundles kept because runs wrote into them, ...
  diagnostics.push(...report.warnings);
  // archiver loads only for --archive.
  const { writeArchive } = await import('./archive/index.js');
  await writeArchive(plan, opts.archive!, archiveFormat(opts.archive!)!);
  return { ok: true, outDir: path.normalize(outDir), plan, report, diagnostics, sources };
}

/**
 * A plain build: each bundle is staged on disk as soon as it is compiled (while later
 * ones are still rendering), and put in place only once the whole config compiled, so a
 * config error still leaves the output directory as it was.
 */
async function writeWhileCompiling(opts: BuildOptions, outDir: string, reuse: NonNullable<CompileOptions['reuse']>, times: Times): Promise<BuildResult> {
  let session: WriteSession | undefined;
  let result: Awaited<ReturnType<typeof compile>> | undefined;
  // index.json's head is known once the compile ends; its entries are written as bundles are staged.
  const sideFiles = streamedSideFiles(() => result!.index!);
  try {
    result = await compile({
      ...opts,
      reuse,
      // --time-from compares the bundles with its study's (otherConfig).
      keepBundles: opts.keepBundles !== false || times.bundles !== undefined,
      streamed: true,
      onStart: async () => {
        // Progress is the compile's: a bundle counts once it is staged (onBundle).
        session = await openWrite(outDir, { trustReused: true, stream: { sideFiles }, ...(opts.fs ? { fs: opts.fs } : {}) });
      },
      onBundle: (b) => session!.stage(b),
    });
  } catch (e) {
    await session?.abort();
    throw e;
  }
  const { plan, sources, diagnostics, stats, count, index } = result;
  const other = plan && (await otherConfig(opts, plan, times));
  if (other) diagnostics.push(other);
  if (!plan || !index || hasErrors(diagnostics) || !session) {
    await session?.abort();
    return { ok: false, outDir, diagnostics, sources, ...(stats ? { stats } : {}) };
  }
  // The last moment an abort is taken: from here the tree changes (atomically, bundle by bundle).
  if (opts.signal?.aborted) {
    await session.abort();
    throwIfAborted(opts.signal);
  }
  // index.json, jobs.sh, keys.json and sigs.json: written by the session from the bundles it staged.
  const report = await session.finish({ prune: opts.prune ?? false });
  // Recovered interrupted builds, stale bundles kept because runs wrote into them, ...
  diagnostics.push(...report.warnings);
  if (opts.keepBundles === false) plan.bundles = [];
  return { ok: true, outDir: path.normalize(outDir), plan, report, diagnostics, sources, ...(stats ? { stats } : {}), ...(count !== undefined ? { count } : {}) };
}
