/**
 * eegen's library API. Every CLI command is a call to one of these.
 *
 *   import { build, plan, verify } from 'eegen';
 */
export { build, DEFAULT_OUT, type BuildOptions, type BuildResult, type Difference } from './build.js';
export { compile, loadInputs, planExperiment as plan, DEFAULT_LIMIT, type CompileOptions, type CompileResult, type CompileStats } from './compile.js';
export { verifyTree as verify, type VerifyProblem } from './verify/index.js';
/** Write a plan's bundles as one reproducible `.tar.gz` or `.zip` (archiver loads on first use). */
export async function writeArchive(...args: Parameters<typeof import('./archive/index.js').writeArchive>): ReturnType<typeof import('./archive/index.js').writeArchive> {
  return (await import('./archive/index.js')).writeArchive(...args);
}
export { formatDiagnostic, formatDiagnostics, DiagnosticError, SourceSet, type Diagnostic } from './diagnostics/index.js';
export type { SweepPlan, RuleReport } from './expand/index.js';
export type * from './types.js';
export { LAYOUT } from './types.js';
export { EEGEN_VERSION } from './version.js';
