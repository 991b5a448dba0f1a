/**
 * The compiler: load -> validate -> expand -> resolve -> render -> finalize.
 * Reads inputs, writes nothing: the result is a BuildPlan holding every byte of every
 * bundle, which `build` hands to the writer (or compares with disk for --check, or
 * prints for --dry-run). Stages stop at the first stage that reports errors, so the
 * user sees every problem of that stage at once and nothing derived from it.
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { canonicalJson, bundleId, identifierId } from './bundle/id.js';
import { mergeDirectives } from './bundle/directives.js';
import { indexFile, jobsScript } from './bundle/side-files.js';
import { findHostsFile, loadInventory } from './dispatch/hosts.js';
import { RUN_LAYOUT } from './dispatch/types.js';
import { insertHook, wrapperText } from './dispatch/wrapper.js';
import { dedupe, diag, hasErrors, SourceSet, type Diagnostic } from './diagnostics/index.js';
import { compileSweep, iterateCombinations, planSweep, productSize, varyingKeys, type Sweep, type SweepPlan } from './expand/index.js';
import { loadYamlFile, toYaml } from './load/index.js';
import { builtinTemplate, loadProfile, loadTemplate, type TemplateSource } from './render/index.js';
import { renderTemplate } from './render/index.js';
import { freezeValue } from './resolve/deferred.js';
import { resolveConfig } from './resolve/index.js';
import { LAYOUT, type BuildPlan, type BundleFile, type BundlePlan, type Combination, type HostProfile, type LoadedYaml, type Mapping, type Scheduler } from './types.js';
import { validateDocument } from './validate/index.js';
import { schemaVersion } from './validate/ajv.js';
import { EEGEN_VERSION } from './version.js';
import { finalizeBundle, sha256 } from './write/manifest.js';

export interface CompileOptions {
  /** Path to the experiment config (YAML). */
  config: string;
  /** Template file; overrides the config's `template:`. */
  template?: string;
  /** Host/site profile name; overrides the config's `system.host`. */
  host?: string;
  /** Host inventory to look the host up in first (default: hosts.yaml in the cwd or beside the config). */
  hostsFile?: string;
  /** Extra folders searched for profiles before the built-in ones. */
  profileDirs?: string[];
  /** Build sweeps larger than the limit. */
  force?: boolean;
  /** Called as bundles are rendered (for progress bars). */
  onProgress?: (done: number, total: number) => void;
  /**
   * Skip rendering bundles whose inputs are unchanged since the last build of `outDir`
   * (input keys recorded in OUT/.eegen/keys.json), as a static site generator does.
   */
  reuse?: { outDir: string; keys: Map<string, { key: string; hash: string }> };
}

/** Bump when the compiler's output for the same inputs changes, so old keys stop matching. */
const KEY_VERSION = 1;

export interface Inputs {
  loaded: LoadedYaml;
  config: Mapping;
  sweep: Sweep;
  sources: SourceSet;
}

export interface CompileResult {
  plan?: BuildPlan;
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
  const scheduler = (inputs.config.scheduler as Scheduler | undefined) ?? profile.scheduler ?? 'bash';
  return { template: builtinTemplate(scheduler), diagnostics: [] };
}

/** Inventory fields that only say how to reach a host; they do not change bundles. */
const DISPATCH_ONLY = ['port', 'identity', 'ssh_config', 'ssh_options', 'slots', 'array', 'max_array_size', 'workdir', 'hostname', 'kind', 'profile', 'description'];

/**
 * The profile templates see: an inventory entry (hosts.yaml) when the name is one,
 * on top of its site profile (`profile:`), else profiles/NAME.yaml.
 */
async function chooseProfile(opts: CompileOptions, inputs: Inputs): Promise<{ profile?: HostProfile; diagnostics: Diagnostic[] }> {
  const system = inputs.config.system as Mapping | undefined;
  const name = opts.host ?? (typeof system?.host === 'string' ? system.host : undefined);
  if (!name) return { profile: { name: 'default' }, diagnostics: [] };
  const searchDirs = [path.join(path.dirname(inputs.loaded.file), 'profiles'), ...(opts.profileDirs ?? [])];
  const { inventory, diagnostics } = await loadInventory(findHostsFile(opts.hostsFile, inputs.loaded.file), inputs.sources);
  if (!inventory) return { diagnostics };
  const entry = inventory.hosts.get(name);
  if (!entry) return loadProfile(name, searchDirs);
  const site = entry.profile ? await loadProfile(entry.profile, searchDirs) : { profile: undefined, diagnostics: [] };
  const own = Object.fromEntries(Object.entries(entry).filter(([k]) => !DISPATCH_ONLY.includes(k))) as HostProfile;
  const profile: HostProfile = { ...(site.profile ?? {}), ...own, name, directives: { ...(site.profile?.directives ?? {}), ...(entry.directives ?? {}) }, defaults: { ...(site.profile?.defaults ?? {}), ...(entry.defaults ?? {}) } };
  return { profile, diagnostics: [...diagnostics, ...site.diagnostics] };
}

interface CopiedFile {
  to: string;
  content: Buffer;
}

async function readCopiedFiles(inputs: Inputs): Promise<{ files: CopiedFile[]; diagnostics: Diagnostic[] }> {
  const list = (inputs.config.files as (string | { from: string; to?: string })[] | undefined) ?? [];
  const configDir = path.dirname(inputs.loaded.file);
  const files: CopiedFile[] = [];
  const diagnostics: Diagnostic[] = [];
  for (const [i, entry] of list.entries()) {
    const from = typeof entry === 'string' ? entry : entry.from;
    const to = (typeof entry === 'string' ? undefined : entry.to) ?? path.basename(from);
    const to_ = to.split(path.sep).join('/');
    if (path.posix.isAbsolute(to_) || path.posix.normalize(to_).startsWith('..')) {
      diagnostics.push(diag('EG2020', `The bundle path "${to}" would land outside the bundle.`, inputs.loaded.locate(['files', i]), 'Use a relative path inside the bundle, e.g. "to: data/input.csv".'));
      continue;
    }
    try {
      files.push({ to: path.posix.normalize(to_), content: await readFile(path.join(configDir, from)) });
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      diagnostics.push(diag('EG2021', `The file "${from}" listed in files cannot be read (${code ?? String(e)}).`, inputs.loaded.locate(['files', i]), 'Paths in files are relative to the config file.'));
    }
  }
  return { files, diagnostics };
}

/** The config a bundle freezes: experiment replaced by this combination's values, sweep rules dropped. */
function bundleConfig(config: Mapping, params: Mapping): Mapping {
  const out: Mapping = {};
  let placed = false;
  for (const [k, v] of Object.entries(config)) {
    if (k === 'sweep') continue;
    if (k === 'experiment') {
      out.experiment = params;
      placed = true;
    } else out[k] = v;
  }
  if (!placed) out.experiment = params;
  return out;
}

const MAX_FAILING_BUNDLES = 20;

/** What every bundle of one build shares. */
interface BundleInputs {
  loaded: LoadedYaml;
  config: Mapping;
  profile: HostProfile;
  template: TemplateSource;
  copied: CopiedFile[];
  varying: string[];
  fixedInputs: Record<string, string>;
  schema: string;
  /** The run wrapper, one Buffer shared by every bundle. */
  wrapper: Buffer;
  /** Input keys of the previous build, for skipping unchanged bundles. */
  reuse?: CompileOptions['reuse'];
  /** Everything every bundle shares, hashed into each input key. */
  sharedKey: string;
  /** Lower-cased ids seen so far (case-insensitive filesystems) -> their params. */
  seenIds: Map<string, Mapping>;
}

/** Name the bundle: eegen's id from the varying values, or the config's `identifier:` template. */
function nameBundle(s: BundleInputs, combo: Combination, raw: Mapping, diagnostics: Diagnostic[]): string | undefined {
  let id = bundleId(combo.params, s.varying);
  if (typeof s.config.identifier === 'string') {
    const first = resolveConfig({ config: raw, host: s.profile, loaded: s.loaded, bundle: { id, index: combo.index } });
    if (!first.config || hasErrors(first.diagnostics)) {
      diagnostics.push(...first.diagnostics);
      return undefined;
    }
    id = identifierId(String(first.config.identifier), combo.params, s.varying);
  }
  const clash = s.seenIds.get(id.toLowerCase());
  if (clash) {
    diagnostics.push(
      diag('EG3091', `Two combinations get the same bundle name "${id}": ${JSON.stringify(clash)} and ${JSON.stringify(combo.params)}.`, s.loaded.locate(['identifier']), `Include every swept key (${s.varying.join(', ')}) in identifier, or remove identifier to let eegen name the bundles.`),
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
function reusedBundle(s: BundleInputs, combo: Combination, id: string, inputKey: string): BundlePlan | undefined {
  const prev = s.reuse?.keys.get(id);
  if (!prev || prev.key !== inputKey) return undefined;
  let sums: Buffer;
  try {
    sums = readFileSync(path.join(s.reuse!.outDir, id, LAYOUT.checksums));
  } catch {
    return undefined;
  }
  if (sha256(sums) !== prev.hash) return undefined;
  const script = s.template.outputName;
  return { id, dir: id, index: combo.index, params: combo.params, script, scheduler: s.template.scheduler, files: [{ path: LAYOUT.checksums, content: sums, mode: 0o644 }], hash: prev.hash, inputKey, reused: true };
}

/** One combination -> one finalized bundle (resolve, render, freeze, hash), or diagnostics. */
function compileBundle(s: BundleInputs, combo: Combination, diagnostics: Diagnostic[]): BundlePlan | undefined {
  const raw = bundleConfig(s.config, combo.params);
  const id = nameBundle(s, combo, raw, diagnostics);
  if (id === undefined) return undefined;
  const inputKey = sha256(`${s.sharedKey}\n${id}\n${combo.index}\n${canonicalJson(raw)}`);
  const reused = s.reuse ? reusedBundle(s, combo, id, inputKey) : undefined;
  if (reused) return reused;
  const resolved = resolveConfig({ config: raw, host: s.profile, loaded: s.loaded, bundle: { id, index: combo.index } });
  diagnostics.push(...resolved.diagnostics);
  if (!resolved.config || hasErrors(resolved.diagnostics)) return undefined;
  const script = s.template.outputName;
  const rendered = renderTemplate(s.template, {
    params: combo.params,
    config: resolved.config,
    host: s.profile,
    directives: mergeDirectives(s.profile, combo.params, resolved.config.resources as Mapping | undefined),
    bundle: { id, index: combo.index, script },
    scheduler: s.template.scheduler,
  });
  diagnostics.push(...rendered.diagnostics);
  if (rendered.text === undefined || hasErrors(rendered.diagnostics)) return undefined;

  const frozen = toYaml(freezeValue(resolved.config));
  // Every run goes through the wrapper, which records how it started and ended.
  const files: BundleFile[] = [
    { path: script, content: Buffer.from(insertHook(rendered.text)), mode: 0o755 },
    { path: RUN_LAYOUT.wrapper, content: s.wrapper, mode: 0o755 },
    { path: 'config.yaml', content: Buffer.from(frozen), mode: 0o644 },
    ...s.copied.map((f) => ({ path: f.to, content: f.content, mode: 0o644 })),
  ];
  const bundle = finalizeBundle({
    id,
    dir: id,
    index: combo.index,
    params: combo.params,
    script,
    scheduler: s.template.scheduler,
    files,
    inputs: { ...s.fixedInputs, config: sha256(frozen) },
    env: { used: resolved.usedEnv, deferred: resolved.deferredEnv },
    eegenVersion: EEGEN_VERSION,
    schemaVersion: s.schema,
  });
  return { ...bundle, inputKey };
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
  const copied = await readCopiedFiles(inputs);
  diagnostics.push(...copied.diagnostics);
  const profile = prof.profile;
  const template = tmpl.template;
  if (!profile || !template || hasErrors(diagnostics)) return { sources, diagnostics };
  sources.add(template.file, template.text);

  const varying = varyingKeys(sweep);
  const schema = schemaVersion('config');
  const fixedInputs: Record<string, string> = { template: sha256(template.text), profile: sha256(canonicalJson(profile as unknown as Mapping)), wrapper: sha256(wrapperText()) };
  for (const f of copied.files) fixedInputs[`file:${f.to}`] = sha256(f.content);

  const shared: BundleInputs = { loaded, config, profile, template, copied: copied.files, varying, fixedInputs, schema, wrapper: Buffer.from(wrapperText()), seenIds: new Map(),
    reuse: opts.reuse,
    sharedKey: canonicalJson({ v: KEY_VERSION, eegen: EEGEN_VERSION, schema, fixedInputs, template: [template.outputName, template.kind, template.scheduler] } as unknown as Mapping),
  };
  const bundles: BundlePlan[] = [];
  const evalErrors: Diagnostic[] = [];
  const total = Math.min(productSize(sweep), limit);
  // Most render errors repeat in every bundle: stop after a few failing bundles.
  let failing = 0;
  for (const combo of iterateCombinations(sweep, evalErrors)) {
    const bundle = compileBundle(shared, combo, diagnostics);
    if (bundle) bundles.push(bundle);
    else if (++failing >= MAX_FAILING_BUNDLES) break;
    opts.onProgress?.(bundles.length, total);
  }
  diagnostics.push(...evalErrors);
  if (hasErrors(diagnostics)) return { sources, diagnostics: dedupe(diagnostics) };

  const name = typeof config.name === 'string' ? config.name : typeof (config.application as Mapping | undefined)?.name === 'string' ? String((config.application as Mapping).name) : undefined;
  const sideFiles = [indexFile({ eegen: EEGEN_VERSION, schema, varying, ...(name !== undefined ? { name } : {}) }, bundles), jobsScript(bundles)];
  return { plan: { bundles, sideFiles, diagnostics }, sources, diagnostics };
}
