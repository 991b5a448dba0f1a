/**
 * eegen's library API. Every CLI command is a call to one of these.
 *
 *   import { build, plan, verify } from 'eegen';
 */
export { build, DEFAULT_OUT, type BuildOptions, type BuildResult, type Difference } from './build.js';
export { compile, loadInputs, planExperiment as plan, DEFAULT_LIMIT, type CompileOptions, type CompileResult, type CompileStats } from './compile/index.js';
export { verifyTree as verify, type VerifyProblem } from './verify/index.js';
/** Write a compiled plan into an output directory, as `build` does (atomic per bundle; `WriteOptions`: prune, fs, onProgress). */
export { writeBuild, type WriteOptions, type WriteOutcome } from './write/index.js';
/** Write a plan's bundles as one reproducible `.tar.gz` or `.zip` (archiver loads on first use). */
export async function writeArchive(...args: Parameters<typeof import('./archive/index.js').writeArchive>): ReturnType<typeof import('./archive/index.js').writeArchive> {
  return (await import('./archive/index.js')).writeArchive(...args);
}
export { formatDiagnostic, formatDiagnostics, DiagnosticError, SourceSet, type Diagnostic } from './diagnostics/index.js';
export type { SweepPlan, RuleReport } from './expand/index.js';
export type * from './types.js';
export { LAYOUT } from './types.js';
export { EEGEN_VERSION } from './version.js';
// The dispatcher: submit, status, watch, cancel, collect, runSweep (see src/dispatch/index.ts).
export {
  submit,
  status,
  watch,
  cancel,
  collect,
  runSweep,
  hostsToAsk,
  loadInventory,
  findHostsFile,
  pickHosts,
  createContext,
  DEFAULT_SCHEDULERS,
  withSchedulers,
  AbortError,
  isAbortError,
  realRunner,
  DryRunner,
  commandLine,
  LOCAL_HOST,
  RETRY_WHAT,
  DISPATCH_CODES,
  FINAL_STATES,
  ACTIVE_STATES,
  type SubmitOptions,
  type SubmitResult,
  type HostSubmitReport,
  type RetryWhat,
  type StatusOptions,
  type StatusResult,
  type CancelResult,
  type CollectOptions,
  type CollectResult,
  type Row,
  type Pending,
  type WatchOptions,
  type WatchUpdate,
  type StateChange,
  type RunSweepOptions,
  type RunSweepResult,
  type HostEntry,
  type HostKind,
  type Inventory,
  type DispatchContext,
  type SchedulerRegistry,
  type SchedulerAdapter,
  type DispatchCallOptions,
  type DispatchEvent,
  type HostError,
  type DispatchCode,
  type BundleStatus,
  type BundleState,
  type Runner,
  type RunOptions,
  type Command,
  type ExecResult,
} from './dispatch/index.js';
// The workflow coordinator: a task graph whose nodes run on hosts (see src/workflow/index.ts).
export {
  loadWorkflow,
  runWorkflow,
  workflowStatus,
  cancelWorkflow,
  renderGraph,
  GRAPH_FORMATS,
  WORKFLOW_CODES,
  type LoadWorkflowOptions,
  type LoadWorkflowResult,
  type RunWorkflowOptions,
  type WorkflowCallOptions,
  type WorkflowResult,
  type GraphFormat,
  type WorkflowSpec,
  type WorkflowNode,
  type NodeStatus,
  type NodeState,
  type WorkflowEvent,
} from './workflow/index.js';
// Reports of collected studies (src/report/index.ts).
export { report, REPORT_CODES, ReportSettingsError, validateCrate, type ReportOptions, type ReportResult, type ReportSettings } from './report/index.js';
// Runtime prediction from the bundles that finished (src/predict/index.ts).
export { predict, formatPrediction, PREDICT_CODES, type PredictOptions, type PredictResult, type GroupPrediction, type BundlePrediction } from './predict/index.js';
/** Every progress event eegen reports: the build's, then the dispatcher's. */
export type EegenEvent = import('./types.js').BuildEvent | import('./dispatch/types.js').DispatchEvent;
