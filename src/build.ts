/**
 * The library API for `eegen build`: compile, then write (or check, or archive).
 * The CLI is a thin layer over these functions; so are later services.
 */
import path from 'node:path';
import { writeArchive } from './archive/index.js';
import { compile, type CompileOptions } from './compile.js';
import { diag, hasErrors, type Diagnostic, type SourceSet } from './diagnostics/index.js';
import type { BuildPlan, WriteReport } from './types.js';
import { checkBuild, writeBuild } from './write/index.js';

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
import type { Difference } from './write/index.js';

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

export async function build(opts: BuildOptions): Promise<BuildResult> {
  const outDir = opts.out ?? DEFAULT_OUT;
  const { plan, sources, diagnostics } = await compile(opts);
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
  if (opts.archive) await writeArchive(plan, opts.archive, archiveFormat(opts.archive)!);
  return { ok: true, outDir: path.normalize(outDir), plan, report, diagnostics, sources };
}
