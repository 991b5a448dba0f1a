/**
 * Experiment nodes: an eegen config built (`build`, incremental: an unchanged config
 * rewrites nothing) into the node's own output directory, submitted to its hosts as one
 * sweep (`submit`: split between them in sweep order, as job arrays where asked), asked
 * (`status`) and, once done, collected (`collect`: results.csv and results.jsonl in that
 * directory). The node's state is the sweep's, in one word:
 *   - no bundle submitted yet: the node has not run;
 *   - a bundle still submitted, queued or running: `running` (`queued` while none runs);
 *   - every bundle ended: `failed` when more than `allow_failed` did not succeed, else `done`.
 * A sweep only partly submitted (a coordinator killed during its submit) is submitted again:
 * submit adds only the bundles no host has.
 *
 * `inputs:` of an experiment node land in every bundle of its sweep as inputs/FROM/PATH,
 * beside the bundle's own files (where its job runs, so a template's script or the
 * command reads them by that relative path on any host), listed in its manifest and
 * SHA256SUMS, as for a script node. They are added to the bundles the build made
 * (compiled in memory, then written by the same incremental writer); the node is
 * submitted only once every input is there (else blocked: `input missing: FROM/PATH`).
 * An input whose bundle path is one of the sweep's own files is an error (EG7118).
 */
import { build } from '../build.js';
import { diag, DiagnosticError, hasErrors } from '../diagnostics/index.js';
import { collect, status, submit, cancel, FINAL_STATES, type BundleStatus, type CancelResult, type DispatchContext, type HostError, type RetryWhat } from '../dispatch/index.js';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { indexFile, jobsScript } from '../bundle/side-files.js';
import { LAYOUT, type BuildPlan, type BundleFile, type BundlePlan, type Mapping } from '../types.js';
import { finalizeBundle, sha256, writeBuild } from '../write/index.js';
import { experimentOut, inputFiles } from './bundles.js';
import { WORKFLOW_CODES as C } from './codes.js';
import type { NodeState, NodeStatus, WorkflowNode, WorkflowSpec } from './types.js';

/** What a node's run looks like now (the fields of NodeStatus a run gives). */
export type RunSummary = Omit<NodeStatus, 'name' | 'kind' | 'label' | 'host'> & {
  host: string;
  state: NodeState;
  jobId: string;
  incomplete?: boolean;
  /**
   * The job ids the sweep's runs stand on, as a dependency names them (chain.ts): each job
   * array once (`slurm:123`, all its tasks) while every bundle is at its first run, else
   * each bundle's own job (`slurm:123_4`: a retried task replaced one of the array's).
   */
  jobs: string[];
  /** Bundles that ended and did not succeed (at most allow_failed for a done sweep). */
  failed: number;
};

const sig = (signal?: AbortSignal) => (signal ? { signal } : {});

/** Build every experiment node's sweep; a config that does not build stops the workflow before anything runs. */
export async function buildExperiments(spec: WorkflowSpec, signal?: AbortSignal): Promise<void> {
  for (const n of spec.nodes) if (n.experiment) await buildExperiment(spec, n, signal);
}

/**
 * Build one experiment node's sweep into its output directory, with the node's inputs
 * that are here now in every bundle (see the module doc). Throws a DiagnosticError
 * (EG7115 and the build's errors, or EG7118) when it cannot be built.
 */
export async function buildExperiment(spec: WorkflowSpec, n: WorkflowNode, signal?: AbortSignal): Promise<void> {
  const exp = n.experiment!;
  const out = experimentOut(spec, n.name);
  // One host of hosts.yaml: its entry is the profile the bundles are rendered for (as `eegen build --host`).
  const only = exp.hosts.length === 1 && spec.inventory.file && exp.hosts[0]!.name !== 'local' ? { host: exp.hosts[0]!.name } : {};
  const opts = { config: exp.config, ...(exp.template ? { template: exp.template } : {}), out, ...(spec.inventory.file ? { hostsFile: spec.inventory.file } : {}), ...only, ...sig(signal) };
  // Without inputs: the plain incremental build. With: compiled in memory, the inputs added, then written.
  const r = await build(n.inputs.length ? { ...opts, dryRun: true } : opts);
  if (!r.ok || hasErrors(r.diagnostics) || (n.inputs.length && !r.plan)) {
    throw new DiagnosticError([diag(C.badExperiment, `The experiment of the node "${n.name}" (${exp.config}) does not build; nothing was started.`, n.at, 'Fix the config (the errors below); eegen build CONFIG shows the same.'), ...r.diagnostics.filter((d) => d.severity === 'error')]);
  }
  if (!n.inputs.length) return;
  // Every declared input's place is checked, also of those not here yet: a clash stops the workflow before anything runs.
  const declared = n.inputs.map((i) => `inputs/${i.from}/${i.path}`);
  const plan = withInputs(r.plan!, declared, inputFiles(spec, n).files, n);
  await writeBuild(plan, out);
  // The build's reuse keys describe bundles without the inputs: a later plain build must render again.
  await Promise.all(['keys.json', 'sigs.json'].map((f) => rm(path.join(out, LAYOUT.stateDir, f), { force: true })));
}

/** The sweep's bundles with `files` (inputs/FROM/PATH) added: each finalized again (manifest, SHA256SUMS), index.json and jobs.sh anew. */
function withInputs(plan: BuildPlan, declared: readonly string[], files: readonly BundleFile[], n: WorkflowNode): BuildPlan {
  const bundles = plan.bundles.map((b) => withFiles(b, declared, files, n));
  const index = plan.sideFiles.find((f) => f.path === LAYOUT.index);
  const info = index ? (JSON.parse(index.content.toString('utf8')) as { eegen: string; schema: string; name?: string; varying: string[] }) : undefined;
  const sideFiles = plan.sideFiles.map((f) => (f.path === LAYOUT.index && info ? indexFile(info, bundles) : f.path === LAYOUT.jobs ? jobsScript(bundles) : f));
  return { ...plan, bundles, sideFiles };
}

function withFiles(b: BundlePlan, declared: readonly string[], extra: readonly BundleFile[], n: WorkflowNode): BundlePlan {
  const manifestFile = b.files.find((f) => f.path === LAYOUT.manifest)!;
  const m = JSON.parse(manifestFile.content.toString('utf8')) as { eegen: string; schema: string; inputs?: Record<string, string>; env: { used: string[]; deferred: string[] } };
  const own = b.files.filter((f) => f.path !== LAYOUT.manifest && f.path !== LAYOUT.checksums);
  const clash = declared.find((x) => own.some((f) => f.path === x || f.path.startsWith(`${x}/`) || x.startsWith(`${f.path}/`)));
  if (clash) {
    throw new DiagnosticError(diag(C.inputClash, `The input ${clash.slice('inputs/'.length)} of the node "${n.name}" would be ${clash} in each bundle of its sweep, where the bundle ${b.id} has a file of its own.`, n.at, 'Copy nothing to inputs/ with the config\'s files:, or name the input otherwise.'));
  }
  return finalizeBundle({
    id: b.id,
    dir: b.dir,
    index: b.index,
    params: b.params as Mapping,
    script: b.script,
    scheduler: b.scheduler,
    files: [...own, ...extra],
    inputs: { ...(m.inputs ?? {}), ...Object.fromEntries(extra.map((f) => [`workflow:${f.path}`, sha256(f.content)])) },
    env: m.env,
    eegenVersion: m.eegen,
    schemaVersion: m.schema,
  });
}

function summarize(node: WorkflowNode, bundles: readonly BundleStatus[]): RunSummary | undefined {
  const submitted = bundles.filter((b) => b.jobId);
  if (!submitted.length) return undefined;
  const exp = node.experiment!;
  const counts = new Map<string, number>();
  for (const b of bundles) counts.set(b.state, (counts.get(b.state) ?? 0) + 1);
  const bad = bundles.filter((b) => FINAL_STATES.has(b.state) && b.state !== 'done');
  const active = submitted.filter((b) => !FINAL_STATES.has(b.state));
  const incomplete = submitted.length < bundles.length;
  const progress = bundles.reduce((sum, b) => sum + (b.state === 'done' ? 100 : FINAL_STATES.has(b.state) ? 100 : (b.progress ?? 0)), 0) / bundles.length;
  const starts = bundles.map((b) => b.started).filter((t): t is string => !!t).sort();
  const ends = bundles.map((b) => b.ended).filter((t): t is string => !!t).sort();
  let state: NodeState;
  if (active.length || incomplete) state = active.some((b) => b.state === 'running') ? 'running' : active.length ? 'queued' : 'submitted';
  else state = bad.length > exp.allowFailed ? 'failed' : 'done';
  const hosts = [...new Set(submitted.map((b) => b.host).filter((h): h is string => !!h))];
  const firstRuns = submitted.every((b) => (b.run ?? 1) === 1);
  return {
    host: hosts.join(',') || exp.hosts.map((h) => h.name).join(','),
    state,
    progress: state === 'done' ? 100 : progress,
    ...(starts.length ? { started: starts[0]! } : {}),
    ...(state === 'done' || state === 'failed' ? (ends.length ? { ended: ends[ends.length - 1]! } : {}) : {}),
    jobId: submitted[0]!.jobId!,
    run: Math.max(...submitted.map((b) => b.run ?? 1)),
    ...(state === 'failed' ? { why: `${bad.length} of ${bundles.length} bundles did not succeed (allow_failed: ${exp.allowFailed})` } : {}),
    ...(submitted.some((b) => b.changedSinceSubmit) ? { changed: true } : {}),
    bundles: [...counts].map(([s, n]) => `${s} ${n}`).join(', '),
    // The job ids the sweep was submitted to wait for (a chain: workflow/chain.ts).
    ...(submitted.some((b) => b.after?.length) ? { after: [...new Set(submitted.flatMap((b) => b.after ?? []))] } : {}),
    ...(incomplete ? { incomplete: true } : {}),
    jobs: [...new Set(submitted.map((b) => (firstRuns ? arrayOf(b.jobId!) : b.jobId!)))],
    failed: bad.length,
  };
}

/**
 * The job a dependency on this recorded id waits for as a whole: an array task's array
 * (`slurm:123_4` and LSF's `lsf:456[2]` -> `slurm:123`, `lsf:456`), else the id itself.
 */
export function arrayOf(jobId: string): string {
  return jobId.replace(/^([A-Za-z0-9]+:\d+)(?:_\d+|\[\d+\])$/, '$1');
}

export async function observeExperiment(spec: WorkflowSpec, node: WorkflowNode, ctx: DispatchContext, signal?: AbortSignal): Promise<{ run?: RunSummary; hostErrors: HostError[] }> {
  const r = await status({ out: experimentOut(spec, node.name), hosts: node.experiment!.hosts, context: ctx, ...sig(signal) });
  const run = summarize(node, r.bundles);
  return { ...(run ? { run } : {}), hostErrors: r.hostErrors };
}

/** Submit the sweep (what no host has yet, and `retry`); with `after`, held until those jobs ended well. */
export async function submitExperiment(spec: WorkflowSpec, node: WorkflowNode, retry: RetryWhat[], ctx: DispatchContext, signal?: AbortSignal, after?: readonly string[]): Promise<HostError[]> {
  const exp = node.experiment!;
  const r = await submit({ out: experimentOut(spec, node.name), hosts: exp.hosts, retry, ...(exp.array ? { array: true } : {}), ...(after?.length ? { after } : {}), context: ctx, ...sig(signal) });
  return r.hosts.filter((h) => h.diagnostic).map((h) => ({ host: h.host, error: h.error ?? '', diagnostic: h.diagnostic! }));
}

/** The merged results, into the node's output directory: results.csv (its path). */
export async function collectExperiment(spec: WorkflowSpec, node: WorkflowNode, ctx: DispatchContext, signal?: AbortSignal): Promise<{ csv: string; hostErrors: HostError[] }> {
  const r = await collect({ out: experimentOut(spec, node.name), hosts: node.experiment!.hosts, context: ctx, ...sig(signal) });
  return { csv: r.files.csv, hostErrors: r.hostErrors };
}

export async function cancelExperiment(spec: WorkflowSpec, node: WorkflowNode, ctx: DispatchContext, signal?: AbortSignal): Promise<CancelResult> {
  return cancel({ out: experimentOut(spec, node.name), hosts: node.experiment!.hosts, context: ctx, ...sig(signal) });
}
