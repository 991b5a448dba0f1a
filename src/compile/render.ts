/**
 * Stage 4: named combinations -> finalized bundles: resolve the config's references,
 * render the template, freeze config.yaml, add the run wrapper and copied files, and
 * hash it all (manifest.json, SHA256SUMS). Pure: runs on the main thread or on a render
 * worker (worker.ts) from the same plain-data RenderSetup, with the same bytes.
 */
import { mergeDirectives, withCardName } from '../render/directive-table.js';
import { RUN_LAYOUT } from '../bundle/run-layout.js';
import { insertHook, wrapperText } from '../bundle/wrapper.js';
import { hasErrors, type Diagnostic } from '../diagnostics/index.js';
import type { CopiedFile } from '../load/files.js';
import { parseYaml, toYaml } from '../load/index.js';
import { renderTemplates, type RenderContext } from '../render/index.js';
import { jobConfig } from '../render/job-config.js';
import { resolveConfig } from '../resolve/index.js';
import { eeIdentifier } from '../resolve/namespaces.js';
import { freezeValue } from '../syntax/deferred.js';
import type { BundleFile, BundlePlan, HostProfile, LoadedYaml, Mapping } from '../types.js';
import type { TemplateSource } from '../render/template.js';
import { canonicalJson } from '../bundle/id.js';
import { setting, settingPath, withoutSweepRules } from '../validate/index.js';
import { schemaVersion } from '../validate/ajv.js';
import { EEGEN_VERSION } from '../version.js';
import { finalizeBundle, sha256 } from '../write/manifest.js';
import type { BundleHead, RenderSetup } from './pool.js';
import type { Inputs } from './types.js';

/**
 * The config a bundle freezes: experiment replaced by this combination's values (plus
 * `card_name` from `directive`, as cloudmesh-ee writes it: render/directive-table.ts withCardName),
 * sweep rules dropped (a user's own `sweep` stays).
 */
export function bundleConfig(config: Mapping, params: Mapping, resources?: Mapping): Mapping {
  if (resources) config = withResources(config, resources);
  const out: Mapping = {};
  let placed = false;
  for (const [k, v] of Object.entries(withoutSweepRules(config))) {
    if (k === 'experiment') {
      out.experiment = withCardName(params);
      placed = true;
    } else out[k] = v;
  }
  if (!placed) out.experiment = withCardName(params);
  return out;
}

/**
 * The config with `resources` set over its own (in `eegen.resources` when the config has
 * that section). A `resources:` of another shape is the user's variable, left as it is.
 */
function withResources(config: Mapping, resources: Mapping): Mapping {
  const at = settingPath(config, 'resources');
  const set = (m: Mapping, i: number): Mapping => {
    const key = at[i] as string;
    const old = m[key];
    if (i === at.length - 1) return old === undefined || (old !== null && typeof old === 'object' && !Array.isArray(old)) ? { ...m, [key]: { ...(old as Mapping | undefined), ...resources } } : m;
    return { ...m, [key]: set(old as Mapping, i + 1) };
  };
  return set(config, 0);
}

/** RenderSetup, ready to render with. */
export interface BundleInputs extends RenderSetup {
  copied: CopiedFile[];
  loaded: LoadedYaml;
  config: Mapping;
  /** The run wrapper, one Buffer shared by every bundle. */
  wrapper: Buffer;
}

/**
 * What rendering needs, once per build: the shared inputs and the hash of each (template,
 * profile, wrapper, copied files and their modes), which every bundle's manifest records.
 */
export function renderInputs(inputs: Inputs, profile: HostProfile, template: TemplateSource, copied: CopiedFile[], strict: boolean): BundleInputs {
  const fixedInputs: Record<string, string> = { template: sha256(template.text), profile: sha256(canonicalJson(profile as unknown as Mapping)), wrapper: sha256(wrapperText()) };
  for (const f of copied) {
    fixedInputs[`file:${f.to}`] = sha256(f.content);
    // Mode is not content: an executable copy is an input of its own (a chmod rewrites the bundle).
    if (f.mode === 0o755) fixedInputs[`mode:${f.to}`] = '755';
  }
  const { loaded, config } = inputs;
  const setup: RenderSetup = { configFile: loaded.file, configText: loaded.text, profile, template, copied, fixedInputs, schema: schemaVersion('config'), strict };
  return { ...setup, copied, loaded, config, wrapper: Buffer.from(wrapperText()) };
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
    const resolved = resolveConfig({ config: bundleConfig(s.config, params, head.resources), host: s.profile, loaded: s.loaded, bundle: { id, index, ee } });
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
    // finalizeBundle's object is this bundle's own: add the key rather than copy it.
    bundle.inputKey = inputKey;
    o.bundle = bundle;
  }
  return out;
}
