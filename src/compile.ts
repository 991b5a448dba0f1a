/**
 * The compiler: load -> validate -> expand -> resolve -> render -> finalize.
 * Reads inputs, writes nothing: the result is a BuildPlan holding every byte of every
 * bundle, which `build` hands to the writer (or compares with disk for --check, or
 * prints for --dry-run). Stages stop at the first stage that reports errors, so the
 * user sees every problem of that stage at once and nothing derived from it.
 */
import { throwIfAborted } from './util/abort.js';
import { lstatSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { canonicalJson, canonicalJsonWith, bundleId, identifierId } from './bundle/id.js';
import { checkDirectiveNames, mergeDirectives, withCardName } from './render/directive-table.js';
import { indexFile, jobsScript } from './bundle/side-files.js';
import { findHostsFile, loadInventory } from './inventory/hosts.js';
import { RUN_LAYOUT } from './bundle/run-layout.js';
import { insertHook, wrapperText } from './bundle/wrapper.js';
import { dedupe, diag, hasErrors, SourceSet, type Diagnostic } from './diagnostics/index.js';
import { compileSweep, iterateCombinations, planSweep, productSize, varyingKeys, type Sweep, type SweepPlan } from './expand/index.js';
import { readFiles, type CopiedFile, type FilesEntry } from './load/files.js';
import { loadYamlFile, parseYaml, toYaml } from './load/index.js';
import { defaultWorkers, PARALLEL_MIN, RenderPool, workerScript, type BundleHead, type RenderOutcome, type RenderSetup } from './render-pool.js';
export type { BundleHead, RenderSetup } from './render-pool.js';
import { builtinTemplate, loadProfile, loadTemplate, type TemplateSource } from './render/index.js';
import { renderTemplates, type RenderContext } from './render/index.js';
import { jobConfig } from './render/job-config.js';
import { freezeValue } from './syntax/deferred.js';
import { resolveConfig } from './resolve/index.js';
import { eeIdentifier } from './resolve/namespaces.js';
import { LAYOUT, type BuildEvent, type BuildPlan, type BundleFile, type BundlePlan, type Combination, type HostProfile, type LoadedYaml, type Mapping, type Scheduler } from './types.js';
import { isSetting, setting, validateDocument } from './validate/index.js';
import { schemaVersion } from './validate/ajv.js';
import { EEGEN_VERSION } from './version.js';
import { finalizeBundle, parseChecksums, sha256 } from './write/manifest.js';
import { bundleSignatureHolds } from './write/disk.js';

export interface CompileOptions {
  /** Path to the experiment config (YAML). */
  config: string;
  /** Template file; overrides the config's `template:`. */
  template?: string;
  /** Host/site profile name; overrides the config's `system.host`. */
  host?: string;
  /** Host inventory to look the host up in first (default: hosts.yaml in the cwd or beside the config). */
  hostsFile?: string;
  /** Where a relative `hostsFile` and the default hosts.yaml are looked up (default: the process's working directory). */
  cwd?: string;
  /** Extra folders searched for profiles before the built-in ones. */
  profileDirs?: string[];
  /** Build sweeps larger than the limit. */
  force?: boolean;
  /** What the build reports while it runs (progress of rendering and writing, its diagnostics). */
  onEvent?: (event: BuildEvent) => void;
  /**
   * Stops the compile (and a build's write) between bundles: it rejects with an
   * AbortError, and the output directory is as it was (nothing is put in place before
   * the whole config compiled).
   */
  signal?: AbortSignal;
  /**
   * Skip rendering bundles whose inputs are unchanged since the last build of `outDir`
   * (input keys recorded in OUT/.eegen/keys.json), as a static site generator does.
   */
  reuse?: { outDir: string; keys: Map<string, { key: string; hash: string; sig?: string }> };
  /**
   * Called once the inputs are known to be good, before the first bundle is rendered
   * (a build opens its output directory here).
   */
  onStart?: () => Promise<void>;
  /**
   * Called with each bundle, in sweep order, as soon as it is ready (a build writes it
   * while later bundles are still being rendered). A rejection stops the compile. What it
   * returns takes the bundle's place in the plan (the writer's copy without its bytes).
   */
  onBundle?: (bundle: BundlePlan) => Promise<BundlePlan | void>;
  /**
   * Report every placeholder-shaped text that is left as written (`{word}` whose first
   * segment is no config key or namespace), and fail on any warning.
   */
  strict?: boolean;
  /**
   * Worker threads that render bundles in parallel: 0 renders on the calling thread.
   * Default: one per CPU beyond two (at most 4), for sweeps large enough to pay for
   * starting them (see render-pool.ts defaultWorkers); the CLI passes --jobs or EEGEN_WORKERS. The output is the same bytes either way.
   */
  workers?: number;
}

/** Bump when the compiler's output for the same inputs changes, so old keys stop matching. */
const KEY_VERSION = 3; // 2: config.yaml carries experiment.card_name (render/directive-table.ts withCardName); 3: ee.identifier, ee.uuid, slurm.sbatch (render/job-config.ts)

export interface Inputs {
  loaded: LoadedYaml;
  config: Mapping;
  sweep: Sweep;
  sources: SourceSet;
}

/** How the bundles were produced (benchmarks, tests, --verbose output). */
export interface CompileStats {
  /** Worker threads started (0: everything rendered on the calling thread). */
  workers: number;
  /** Bundles rendered on the calling thread and on workers. */
  renderedHere: number;
  renderedOnWorkers: number;
  /** Bundles not rendered at all: their inputs were unchanged since the last build. */
  reused: number;
}

export interface CompileResult {
  plan?: BuildPlan;
  stats?: CompileStats;
  sources: SourceSet;
  diagnostics: Diagnostic[];
}

export const DEFAULT_LIMIT = 10_000;

/** Load, validate and compile the sweep: everything `plan` needs, and `build` starts from. */
export async function loadInputs(configPath: string): Promise<{ inputs?: Inputs; sources: SourceSet; diagnostics: Diagnostic[] }> {
  const sources = new SourceSet();
  const { loaded, text, diagnostics } = await loadYamlFile(configPath);
  if (text !== undefined) sources.add(configPath, text);
  if (!loaded || hasErrors(diagnostics)) return { sources, diagnostics };
  diagnostics.push(...validateDocument(loaded, 'config'));
  if (hasErrors(diagnostics)) return { sources, diagnostics };
  const config = loaded.data as Mapping;
  const { sweep, diagnostics: sweepDiagnostics } = compileSweep(loaded, config);
  diagnostics.push(...sweepDiagnostics);
  if (!sweep || hasErrors(diagnostics)) return { sources, diagnostics };
  return { inputs: { loaded, config, sweep, sources }, sources, diagnostics };
}

/** The sweep plan (counts per rule) without rendering anything. */
export async function planExperiment(configPath: string): Promise<{ plan?: SweepPlan; sources: SourceSet; diagnostics: Diagnostic[] }> {
  const { inputs, sources, diagnostics } = await loadInputs(configPath);
  if (!inputs) return { sources, diagnostics };
  const plan = planSweep(inputs.sweep);
  diagnostics.push(...plan.evalErrors);
  return { plan, sources, diagnostics };
}

function limitDiagnostic(inputs: Inputs, kept: number, limit: number): Diagnostic {
  const where = inputs.config.sweep !== undefined ? inputs.loaded.locate(['sweep']) : inputs.loaded.locate(['experiment'], 'key');
  return diag(
    'EG3090',
    `The sweep keeps ${kept.toLocaleString('en-US')} combinations, more than the limit of ${limit.toLocaleString('en-US')}.`,
    where,
    'Check the sweep with `eegen plan`; narrow it with sweep.exclude or sweep.sample, raise sweep.limit, or pass --force.',
  );
}

async function chooseTemplate(opts: CompileOptions, inputs: Inputs, profile: HostProfile): Promise<{ template?: TemplateSource; diagnostics: Diagnostic[] }> {
  const configDir = path.dirname(inputs.loaded.file);
  const fromConfig = typeof inputs.config.template === 'string' ? path.join(configDir, inputs.config.template) : undefined;
  const file = opts.template ?? fromConfig;
  if (file) return loadTemplate(file);
  const run = inputs.config.run as { command?: unknown; script?: unknown } | undefined;
  if (!run || typeof run !== 'object' || (!run.command && !run.script)) {
    // The built-in templates run run.command (or run.script): without either, every bundle would only fail.
    const first = Object.keys(inputs.config)[0];
    const where = inputs.loaded.locate(run !== undefined ? ['run'] : first !== undefined ? [first] : [], 'key');
    return {
      diagnostics: [
        diag('EG2030', 'The config has no template and no run.command (or run.script), so its bundles would have nothing to run.', where, 'Add run: {command: "python train.py --epochs {experiment.epoch}"}, or name a template (template: job.in.slurm, or --template FILE).'),
      ],
    };
  }
  const scheduler = (inputs.config.scheduler as Scheduler | undefined) ?? profile.scheduler ?? 'bash';
  return { template: builtinTemplate(scheduler), diagnostics: [] };
}

/** Inventory fields that only say how to reach a host; they do not change bundles. */
const DISPATCH_ONLY = ['port', 'identity', 'ssh_config', 'ssh_options', 'slots', 'array', 'max_array_size', 'workdir', 'hostname', 'kind', 'profile', 'description'];

/**
 * The profile templates see: an inventory entry (hosts.yaml) when the name is one,
 * on top of its site profile (`profile:`), else profiles/NAME.yaml. A name from the
 * config's `system.host` that names no profile is reported at that value. The config's
 * directive names are then checked against the profile's table (render/directive-table.ts).
 */
async function chooseProfile(opts: CompileOptions, inputs: Inputs): Promise<{ profile?: HostProfile; diagnostics: Diagnostic[] }> {
  const chosen = await findProfile(opts, inputs);
  if (!chosen.profile || hasErrors(chosen.diagnostics)) return chosen;
  return { profile: chosen.profile, diagnostics: [...chosen.diagnostics, ...checkDirectiveNames(chosen.profile, inputs.loaded, inputs.sweep)] };
}

async function findProfile(opts: CompileOptions, inputs: Inputs): Promise<{ profile?: HostProfile; diagnostics: Diagnostic[] }> {
  const system = inputs.config.system as Mapping | undefined;
  const name = opts.host ?? (typeof system?.host === 'string' ? system.host : undefined);
  if (!name) return { profile: { name: 'default' }, diagnostics: [] };
  // --host is reported without a place; system.host at its value in the config.
  const where = opts.host === undefined ? inputs.loaded.locate(['system', 'host']) : undefined;
  const searchDirs = [path.join(path.dirname(inputs.loaded.file), 'profiles'), ...(opts.profileDirs ?? [])];
  const { inventory, diagnostics } = await loadInventory(hostsFileFor(opts, inputs.loaded.file), inputs.sources);
  if (!inventory) return { diagnostics };
  const entry = inventory.hosts.get(name);
  if (!entry) return loadProfile(name, searchDirs, where);
  const site = entry.profile ? await loadProfile(entry.profile, searchDirs) : { profile: undefined, diagnostics: [] };
  const own = Object.fromEntries(Object.entries(entry).filter(([k]) => !DISPATCH_ONLY.includes(k))) as HostProfile;
  const profile: HostProfile = { ...(site.profile ?? {}), ...own, name, directives: { ...(site.profile?.directives ?? {}), ...(entry.directives ?? {}) }, defaults: { ...(site.profile?.defaults ?? {}), ...(entry.defaults ?? {}) } };
  return { profile, diagnostics: [...diagnostics, ...site.diagnostics] };
}

/** `files:` entries (files, directories, globs; rules in load/files.ts), read once per build. */
function readCopiedFiles(inputs: Inputs, script: string | undefined): { files: CopiedFile[]; diagnostics: Diagnostic[] } {
  return readFiles(inputs.loaded, setting<FilesEntry[]>(inputs.config, 'files') ?? [], script);
}

/**
 * The config a bundle freezes: experiment replaced by this combination's values (plus
 * `card_name` from `directive`, as cloudmesh-ee writes it: render/directive-table.ts withCardName),
 * sweep rules dropped (a user's own `sweep` stays).
 */
function bundleConfig(config: Mapping, params: Mapping): Mapping {
  const out: Mapping = {};
  let placed = false;
  const rules = isSetting(config, 'sweep');
  for (const [k, v] of Object.entries(config)) {
    if (k === 'sweep' && rules) continue;
    if (k === 'experiment') {
      out.experiment = withCardName(params);
      placed = true;
    } else out[k] = v;
  }
  if (!placed) out.experiment = withCardName(params);
  return out;
}

const MAX_FAILING_BUNDLES = 20;
/** Combinations rendered together on the main thread. */
const LOCAL_BATCH = 32;

/** RenderSetup, ready to render with. */
export interface BundleInputs extends RenderSetup {
  copied: CopiedFile[];
  loaded: LoadedYaml;
  config: Mapping;
  /** The run wrapper, one Buffer shared by every bundle. */
  wrapper: Buffer;
}

/** The main thread's part: naming, collision check, input keys and reuse. */
interface NamingInputs {
  r: BundleInputs;
  varying: string[];
  /** Input keys of the previous build, for skipping unchanged bundles. */
  reuse?: CompileOptions['reuse'];
  /** Everything every bundle shares, hashed into each input key. */
  sharedKey: string;
  /** canonicalJson of the bundle's config (bundleConfig) for these params, the fixed part written once. */
  configJson: (params: Mapping) => string;
  /** Lower-cased ids seen so far (case-insensitive filesystems) -> their params. */
  seenIds: Map<string, Mapping>;
}


/** Name the bundle: eegen's id from the varying values, or the config's `identifier:` template. */
function nameBundle(s: NamingInputs, combo: Combination, diagnostics: Diagnostic[]): string | undefined {
  let id = bundleId(combo.params, s.varying);
  if (typeof s.r.config.identifier === 'string') {
    const first = resolveConfig({ config: bundleConfig(s.r.config, combo.params), host: s.r.profile, loaded: s.r.loaded, bundle: { id, index: combo.index, ee: eeIdentifier(combo.params) } });
    if (!first.config || hasErrors(first.diagnostics)) {
      diagnostics.push(...first.diagnostics);
      return undefined;
    }
    id = identifierId(String(first.config.identifier), combo.params, s.varying);
  }
  const clash = s.seenIds.get(id.toLowerCase());
  if (clash) {
    diagnostics.push(
      diag('EG3091', `Two combinations get the same bundle name "${id}": ${JSON.stringify(clash)} and ${JSON.stringify(combo.params)}.`, s.r.loaded.locate(['identifier']), `Include every swept key (${s.varying.join(', ')}) in identifier, or remove identifier to let eegen name the bundles.`),
    );
    return undefined;
  }
  s.seenIds.set(id.toLowerCase(), combo.params);
  return id;
}

/**
 * The previous build's bundle, if nothing that produces it changed: same config (with
 * this combination), same template, profile, wrapper, copied files and eegen. The
 * bundle on disk must still be what that build wrote (its SHA256SUMS hash).
 */
function reusedBundle(s: NamingInputs, head: BundleHead): BundlePlan | undefined {
  const prev = s.reuse?.keys.get(head.id);
  if (!prev || prev.key !== head.inputKey) return undefined;
  const dir = path.join(s.reuse!.outDir, head.id);
  const t = s.r.template;
  const base = { id: head.id, dir: head.id, index: head.index, params: head.params, script: t.outputName, scheduler: t.scheduler, hash: prev.hash, inputKey: head.inputKey, reused: true } as const;
  // Every file as the last build left it (same inode, size and change time): no need to read them.
  if (prev.sig !== undefined && bundleSignatureHolds(dir, prev.sig)) return { ...base, files: [], sig: prev.sig };
  // Otherwise (another machine, a fresh clone, a touched file) each file is read and hashed.
  let sums: Buffer;
  try {
    sums = readFileSync(path.join(dir, LAYOUT.checksums));
  } catch {
    return undefined;
  }
  if (sha256(sums) !== prev.hash || !filesHashAsListed(dir, sums)) return undefined;
  return { ...base, files: [{ path: LAYOUT.checksums, content: sums, mode: 0o644 }] };
}

/** Every file SHA256SUMS lists is a regular file with that hash. */
function filesHashAsListed(dir: string, sums: Buffer): boolean {
  const listed = parseChecksums(sums.toString('utf8'));
  if (!listed?.size) return false;
  for (const [name, hash] of listed) {
    let content: Buffer;
    try {
      if (!lstatSync(path.join(dir, name)).isFile()) return false;
      content = readFileSync(path.join(dir, name));
    } catch {
      return false;
    }
    if (sha256(content) !== hash) return false;
  }
  return true;
}

/** Name and key one combination; a reused bundle when its inputs are unchanged. */
function headOf(s: NamingInputs, combo: Combination, diagnostics: Diagnostic[]): BundleHead | BundlePlan | undefined {
  const id = nameBundle(s, combo, diagnostics);
  if (id === undefined) return undefined;
  const head: BundleHead = { index: combo.index, params: combo.params, id, inputKey: sha256(`${s.sharedKey}\n${id}\n${combo.index}\n${s.configJson(combo.params)}`) };
  return (s.reuse && reusedBundle(s, head)) || head;
}

/** Rebuild the in-memory inputs from a RenderSetup (in a worker thread). */
export function bundleInputs(setup: RenderSetup): BundleInputs {
  const { loaded } = parseYaml(setup.configFile, setup.configText);
  if (!loaded) throw new Error(`eegen: the config ${setup.configFile} no longer parses in a render worker`);
  const copied = setup.copied.map((f) => ({ to: f.to, mode: f.mode, content: Buffer.isBuffer(f.content) ? f.content : Buffer.from(f.content.buffer, f.content.byteOffset, f.content.byteLength) }));
  return { ...setup, copied, loaded, config: loaded.data as Mapping, wrapper: Buffer.from(wrapperText()) };
}

/** Named combinations -> finalized bundles (resolve, render, freeze, hash), or diagnostics; the templates render in one batch. */
export function renderBundles(s: BundleInputs, heads: readonly BundleHead[]): { bundle?: BundlePlan; diagnostics: Diagnostic[] }[] {
  const script = s.template.outputName;
  const out = heads.map(() => ({ diagnostics: [] as Diagnostic[] }) as { bundle?: BundlePlan; diagnostics: Diagnostic[] });
  const todo: { at: number; resolved: ReturnType<typeof resolveConfig>; ctx: RenderContext }[] = [];
  for (const [i, head] of heads.entries()) {
    const { id, index, params } = head;
    const ee = eeIdentifier(params);
    const resolved = resolveConfig({ config: bundleConfig(s.config, params), host: s.profile, loaded: s.loaded, bundle: { id, index, ee } });
    out[i]!.diagnostics.push(...resolved.diagnostics);
    if (!resolved.config || hasErrors(resolved.diagnostics)) continue;
    todo.push({
      at: i,
      resolved,
      ctx: {
        params,
        config: resolved.config,
        host: s.profile,
        directives: mergeDirectives(s.profile, params, setting<Mapping>(resolved.config, 'resources')),
        bundle: { id, index, script, ee },
        scheduler: s.template.scheduler,
        strict: s.strict,
      },
    });
  }
  const rendered = renderTemplates(
    s.template,
    todo.map((x) => x.ctx),
  );
  for (const [k, x] of todo.entries()) {
    const r = rendered[k]!;
    const o = out[x.at]!;
    o.diagnostics.push(...r.diagnostics);
    if (r.text === undefined || hasErrors(r.diagnostics)) continue;
    const { id, index, params, inputKey } = heads[x.at]!;
    const frozen = Buffer.from(toYaml(freezeValue(jobConfig(x.ctx))));
    // Every run goes through the wrapper, which records how it started and ended.
    const files: BundleFile[] = [
      { path: script, content: Buffer.from(insertHook(r.text)), mode: 0o755 },
      { path: RUN_LAYOUT.wrapper, content: s.wrapper, mode: 0o755 },
      { path: 'config.yaml', content: frozen, mode: 0o644 },
      ...s.copied.map((f) => ({ path: f.to, content: f.content, mode: f.mode })),
    ];
    const bundle = finalizeBundle({
      id,
      dir: id,
      index,
      params,
      script,
      scheduler: s.template.scheduler,
      files,
      inputs: { ...s.fixedInputs, config: sha256(frozen) },
      env: { used: x.resolved.usedEnv, deferred: x.resolved.deferredEnv },
      eegenVersion: EEGEN_VERSION,
      schemaVersion: s.schema,
    });
    o.bundle = { ...bundle, inputKey };
  }
  return out;
}

/** One position of the sweep, once known: its bundle (if it compiled) and what it reported. */
interface Outcome {
  bundle?: BundlePlan;
  diagnostics: Diagnostic[];
  /** evalErrors.length when the combination was produced (a sequential compile stops there). */
  evalCount: number;
}

/**
 * Render every combination, here or on worker threads, and hand the bundles to
 * `onBundle` in sweep order. The main thread names and keys each combination (the
 * collision check needs to see them all, and reused bundles need no rendering) and
 * renders locally until workers are up. Results are taken in sweep order, so the
 * bundles, the diagnostics and where a failing compile stops are exactly those of a
 * sequential compile.
 */
async function compileAll(opts: CompileOptions, naming: NamingInputs, combos: Iterable<Combination>, evalErrors: Diagnostic[], diagnostics: Diagnostic[], total: number, stats: CompileStats): Promise<BundlePlan[]> {
  const bundles: BundlePlan[] = [];
  const done = new Map<number, Outcome>();
  let nextSeq = 0;
  let emitted = 0;
  // Most render errors repeat in every bundle: stop after a few failing bundles.
  let failing = 0;
  let stopped = false;
  let stopEval = -1;

  /** Take finished outcomes in sweep order. */
  const emit = async (): Promise<void> => {
    for (let o = done.get(emitted); o !== undefined && !stopped; o = done.get(emitted)) {
      done.delete(emitted++);
      diagnostics.push(...o.diagnostics);
      if (o.bundle) {
        const at = bundles.push(o.bundle) - 1;
        // What the writer keeps instead (the bundle without its bytes, once they are on disk).
        const kept = await opts.onBundle?.(o.bundle);
        if (kept) bundles[at] = kept;
      } else if (++failing >= MAX_FAILING_BUNDLES) {
        stopped = true;
        stopEval = o.evalCount;
      }
      opts.onEvent?.({ type: 'compile', done: bundles.length, total });
    }
  };

  // An explicit worker count sends every render to the workers from the first one (tests
  // rely on that); by default they start once a sweep shows enough work for them, and the
  // main thread renders meanwhile.
  const explicit = opts.workers !== undefined && opts.workers > 0;
  const requested = opts.workers ?? defaultWorkers(total);
  const script = requested > 0 ? workerScript() : undefined;
  let pool: RenderPool | undefined;
  /** Combinations that needed rendering so far; workers start once it is clear they pay. */
  let toRender = 0;
  const pending = new Map<number, number>(); // seq -> evalCount, for jobs on workers
  let lastYield = performance.now();
  const receive = async (outcomes: RenderOutcome[]): Promise<void> => {
    for (const o of outcomes) {
      done.set(o.seq, { ...(o.bundle ? { bundle: o.bundle } : {}), diagnostics: o.diagnostics, evalCount: pending.get(o.seq)! });
      pending.delete(o.seq);
    }
    await emit();
  };

  /** Combinations to render on this thread, in one batch. */
  let local: { seq: number; head: BundleHead; own: Diagnostic[]; evalCount: number }[] = [];
  const renderLocal = (): void => {
    if (!local.length) return;
    const batch = local;
    local = [];
    const rendered = renderBundles(
      naming.r,
      batch.map((b) => b.head),
    );
    for (const [i, b] of batch.entries()) {
      const r = rendered[i]!;
      done.set(b.seq, { ...(r.bundle ? { bundle: r.bundle } : {}), diagnostics: [...b.own, ...r.diagnostics], evalCount: b.evalCount });
    }
  };

  let lastTurn = performance.now();
  try {
    for (const combo of combos) {
      if (stopped) break;
      if (opts.signal) {
        // A caller's abort arrives as an event: give it a turn now and then.
        if (performance.now() - lastTurn > YIELD_MS) {
          await new Promise((resolve) => setImmediate(resolve));
          lastTurn = performance.now();
        }
        throwIfAborted(opts.signal);
      }
      const seq = nextSeq++;
      const evalCount = evalErrors.length;
      const own: Diagnostic[] = [];
      const head = headOf(naming, combo, own);
      if (head && !('files' in head)) {
        toRender++;
        if (!pool && script && (explicit || (toRender === POOL_START && total - seq >= PARALLEL_MIN / 2))) {
          pool = new RenderPool(script, setupOf(naming.r), requested, { wrapper: naming.r.wrapper, copied: naming.r.copied.map((f) => f.content) });
          stats.workers = requested;
        }
        if (pool && performance.now() - lastYield > YIELD_MS) {
          renderLocal();
          // Let the workers' messages in: they arrive as events, between our turns.
          await new Promise((resolve) => setImmediate(resolve));
          lastYield = performance.now();
          await receive(pool.take());
        }
        if (pool && (explicit || (pool.ready && !pool.full))) {
          pending.set(seq, evalCount);
          pool.submit({ ...head, seq });
          stats.renderedOnWorkers++;
          if (pool.full && explicit) {
            renderLocal();
            await receive(await pool.next());
          }
          continue;
        }
        // No workers, workers still starting, or all busy: render here rather than wait,
        // a few at a time (templates render faster in batches).
        local.push({ seq, head, own, evalCount });
        stats.renderedHere++;
        if (local.length >= LOCAL_BATCH) renderLocal();
      } else {
        if (head) stats.reused++;
        done.set(seq, { ...(head ? { bundle: head } : {}), diagnostics: own, evalCount });
      }
      await emit();
    }
    renderLocal();
    await emit();
    if (pool) {
      pool.flush();
      while (!stopped && pool.outstanding > 0) {
        throwIfAborted(opts.signal);
        await receive(await pool.next());
      }
    }
    throwIfAborted(opts.signal);
    await emit();
  } finally {
    await pool?.close();
  }
  // A sequential compile stops producing combinations (and their evaluation errors) where it stopped.
  if (stopped && stopEval >= 0) evalErrors.length = Math.min(evalErrors.length, stopEval);
  return bundles;
}

/** The inventory a compile looks the host up in (findHostsFile answers relative to `cwd`). */
function hostsFileFor(opts: CompileOptions, config: string): string | undefined {
  const file = findHostsFile(opts.hostsFile, config, opts.cwd);
  return file !== undefined && opts.cwd !== undefined ? path.resolve(opts.cwd, file) : file;
}

/** --strict: every warning is an error. */
function strictly(diagnostics: Diagnostic[]): void {
  for (const [i, d] of diagnostics.entries()) if (d.severity === 'warning') diagnostics[i] = { ...d, severity: 'error', message: `${d.message} (an error with --strict)` };
}

/** Combinations that must need rendering before workers are started. */
const POOL_START = 64;
/** With workers, the main thread looks up for their results at least this often (ms). */
const YIELD_MS = 2;

function setupOf(r: BundleInputs): RenderSetup {
  return { configFile: r.configFile, configText: r.configText, profile: r.profile, template: r.template, copied: r.copied, fixedInputs: r.fixedInputs, schema: r.schema, strict: r.strict };
}

/** Compile a config into a complete, in-memory BuildPlan. */
export async function compile(opts: CompileOptions): Promise<CompileResult> {
  const { inputs, sources, diagnostics } = await loadInputs(opts.config);
  if (!inputs) return { sources, diagnostics };
  const { sweep, loaded, config } = inputs;

  const limit = sweep.limit ?? DEFAULT_LIMIT;
  if (!opts.force && productSize(sweep) > limit) {
    const planned = planSweep(sweep);
    if (planned.kept > limit) return { sources, diagnostics: [...diagnostics, limitDiagnostic(inputs, planned.kept, limit)] };
  }

  const prof = await chooseProfile(opts, inputs);
  diagnostics.push(...prof.diagnostics);
  const tmpl = prof.profile ? await chooseTemplate(opts, inputs, prof.profile) : { diagnostics: [] };
  diagnostics.push(...tmpl.diagnostics);
  const copied = readCopiedFiles(inputs, tmpl.template?.outputName);
  diagnostics.push(...copied.diagnostics);
  const profile = prof.profile;
  const template = tmpl.template;
  if (!profile || !template || hasErrors(diagnostics)) return { sources, diagnostics };
  sources.add(template.file, template.text);

  const varying = varyingKeys(sweep);
  const schema = schemaVersion('config');
  const fixedInputs: Record<string, string> = { template: sha256(template.text), profile: sha256(canonicalJson(profile as unknown as Mapping)), wrapper: sha256(wrapperText()) };
  for (const f of copied.files) {
    fixedInputs[`file:${f.to}`] = sha256(f.content);
    // Mode is not content: an executable copy is an input of its own (a chmod rewrites the bundle).
    if (f.mode === 0o755) fixedInputs[`mode:${f.to}`] = '755';
  }

  const setup: RenderSetup = { configFile: loaded.file, configText: loaded.text, profile, template, copied: copied.files, fixedInputs, schema, strict: opts.strict === true };
  const r: BundleInputs = { ...setup, copied: copied.files, loaded, config, wrapper: Buffer.from(wrapperText()) };
  const naming: NamingInputs = {
    r,
    varying,
    seenIds: new Map(),
    configJson: canonicalJsonWith(Object.fromEntries(Object.entries(config).filter(([k]) => k !== 'sweep')), 'experiment'),
    ...(opts.reuse ? { reuse: opts.reuse } : {}),
    sharedKey: canonicalJson({ v: KEY_VERSION, eegen: EEGEN_VERSION, schema, fixedInputs, template: [template.outputName, template.kind, template.scheduler] } as unknown as Mapping),
  };
  const total = opts.force ? productSize(sweep) : Math.min(productSize(sweep), limit);
  await opts.onStart?.();
  const evalErrors: Diagnostic[] = [];
  const stats: CompileStats = { workers: 0, renderedHere: 0, renderedOnWorkers: 0, reused: 0 };
  const bundles = await compileAll(opts, naming, iterateCombinations(sweep, evalErrors), evalErrors, diagnostics, total, stats);
  diagnostics.push(...evalErrors);
  if (opts.strict) strictly(diagnostics);
  if (hasErrors(diagnostics)) return { sources, diagnostics: dedupe(diagnostics), stats };

  const name = typeof config.name === 'string' ? config.name : typeof (config.application as Mapping | undefined)?.name === 'string' ? String((config.application as Mapping).name) : undefined;
  const sideFiles = [indexFile({ eegen: EEGEN_VERSION, schema, varying, ...(name !== undefined ? { name } : {}) }, bundles), jobsScript(bundles)];
  // A warning from the template repeats in every bundle: report it once.
  const reported = dedupe(diagnostics);
  return { plan: { bundles, sideFiles, diagnostics: reported }, sources, diagnostics: reported, stats };
}
