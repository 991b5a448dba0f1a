/**
 * The library API for `eegen build`: compile, then write (or check, or archive).
 * The CLI is a thin layer over these functions; so are later services.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { writeArchive } from './archive/index.js';
import { compile, type CompileOptions } from './compile.js';
import { diag, hasErrors, type Diagnostic, type SourceSet } from './diagnostics/index.js';
import { LAYOUT, type BuildPlan, type WriteReport } from './types.js';
import { checkBuild, writeBuild, type Difference } from './write/index.js';
import { writeFileAtomic } from './write/state.js';

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
  /** Called while bundles are written. */
  onWriteProgress?: (done: number, total: number) => void;
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
}

export const DEFAULT_OUT = 'out';

function archiveFormat(file: string): 'tar.gz' | 'zip' | undefined {
  if (/\.(tar\.gz|tgz)$/i.test(file)) return 'tar.gz';
  if (/\.zip$/i.test(file)) return 'zip';
  return undefined;
}

const KEYS_FILE = path.join(LAYOUT.stateDir, 'keys.json');

/** Input keys of the last build in `outDir` (none: a first build, or an unreadable file). */
async function readKeys(outDir: string): Promise<Map<string, { key: string; hash: string }>> {
  try {
    const data = JSON.parse(await readFile(path.join(outDir, KEYS_FILE), 'utf8')) as { bundles?: Record<string, { key: string; hash: string }> };
    return new Map(Object.entries(data.bundles ?? {}));
  } catch {
    return new Map();
  }
}

async function writeKeys(outDir: string, plan: BuildPlan): Promise<void> {
  const bundles = Object.fromEntries(plan.bundles.filter((b) => b.inputKey).map((b) => [b.id, { key: b.inputKey!, hash: b.hash }]));
  await writeFileAtomic(path.join(outDir, KEYS_FILE), `${JSON.stringify({ version: 1, bundles })}\n`);
}

export async function build(opts: BuildOptions): Promise<BuildResult> {
  const outDir = opts.out ?? DEFAULT_OUT;
  // A plain build skips rendering bundles whose inputs did not change; --check, --dry-run
  // and --archive need every byte, so they always render everything.
  const incremental = !opts.dryRun && !opts.check && !opts.archive;
  const reuse = incremental ? { outDir, keys: await readKeys(outDir) } : undefined;
  const { plan, sources, diagnostics } = await compile({ ...opts, ...(reuse ? { reuse } : {}) });
  if (!plan || hasErrors(diagnostics)) return { ok: false, outDir, diagnostics, sources };
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
  const report = await writeBuild(plan, outDir, { prune: opts.prune ?? false, ...(opts.onWriteProgress ? { onProgress: opts.onWriteProgress } : {}) });
  // Recovered interrupted builds, stale bundles kept because runs wrote into them, ...
  diagnostics.push(...report.warnings);
  if (incremental) await writeKeys(outDir, plan);
  if (opts.archive) await writeArchive(plan, opts.archive, archiveFormat(opts.archive)!);
  return { ok: true, outDir: path.normalize(outDir), plan, report, diagnostics, sources };
}
