/**
 * Stage 3 (main thread): name each combination (eegen's id or the config's
 * `identifier:`), refuse two with the same name, key it by everything that produces it,
 * and take the previous build's bundle instead of rendering when that key is unchanged.
 */
import { lstatSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { bundleId, canonicalJson, canonicalJsonWith, identifierId } from '../bundle/id.js';
import { diag, hasErrors, type Diagnostic } from '../diagnostics/index.js';
import { resolveConfig } from '../resolve/index.js';
import { eeIdentifier } from '../resolve/namespaces.js';
import { LAYOUT, type BundlePlan, type Combination, type Mapping } from '../types.js';
import { setting, settingPath, withoutSweepRules } from '../validate/index.js';
import { EEGEN_VERSION } from '../version.js';
import { bundleSignatureHolds } from '../write/disk.js';
import { executableFiles, isExecutableMode, parseChecksums, parseManifest, sha256 } from '../write/manifest.js';
import { RUN_LAYOUT } from '../bundle/run-layout.js';
import type { BundleHead } from './pool.js';
import { bundleConfig, type BundleInputs } from './render.js';
import type { CompileOptions } from './types.js';

/** Bump when the compiler's output for the same inputs changes, so old keys stop matching. */
const KEY_VERSION = 3; // 2: config.yaml carries experiment.card_name (render/directive-table.ts withCardName); 3: ee.identifier, ee.uuid, slurm.sbatch (render/job-config.ts)

/** The main thread's part: naming, collision check, input keys and reuse. */
export interface NamingInputs {
  r: BundleInputs;
  varying: string[];
  /** Input keys of the previous build, for skipping unchanged bundles. */
  reuse?: CompileOptions['reuse'];
  /** Everything every bundle shares, hashed into each input key. */
  sharedKey: string;
  /** canonicalJson of the bundle's config (bundleConfig) for these params, the fixed part written once. */
  configJson: (params: Mapping) => string;
  /**
   * The ids seen so far, lower-cased (case-insensitive filesystems), as a small hash of
   * each -> the product position(s) of the combinations named so: numbers, not names or
   * params, so the check costs a few dozen bytes a bundle. A hash seen before names the
   * earlier combinations, named again to tell a clash from two names with one hash.
   */
  seenIds: Map<number, number | number[]>;
  /** The params of the combination at a product position (expand/iterate.ts paramsAt). */
  paramsAt: (index: number) => Mapping;
  /** Time limits over the config's, per bundle id (CompileOptions.timeLimits). */
  timeLimits?: ReadonlyMap<string, string>;
}


/** The bundle's name: eegen's id from the varying values, or the config's `identifier:` template. */
function idOf(s: NamingInputs, combo: Combination, diagnostics: Diagnostic[]): string | undefined {
  const id = bundleId(combo.params, s.varying);
  if (typeof setting(s.r.config, 'identifier') !== 'string') return id;
  const first = resolveConfig({ config: bundleConfig(s.r.config, combo.params), host: s.r.profile, loaded: s.r.loaded, bundle: { id, index: combo.index, ee: eeIdentifier(combo.params) } });
  if (!first.config || hasErrors(first.diagnostics)) {
    diagnostics.push(...first.diagnostics);
    return undefined;
  }
  return identifierId(String(setting(first.config, 'identifier')), combo.params, s.varying);
}

/** A 30-bit FNV-1a hash of a string: a small integer, held in a Map without an allocation. */
export function smallHash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h & 0x3fffffff;
}

/** Name the bundle and refuse a name an earlier combination got (EG3091). */
function nameBundle(s: NamingInputs, combo: Combination, diagnostics: Diagnostic[]): string | undefined {
  const id = idOf(s, combo, diagnostics);
  if (id === undefined) return undefined;
  const lower = id.toLowerCase();
  const h = smallHash(lower);
  const seen = s.seenIds.get(h);
  if (seen !== undefined) {
    const earlier = typeof seen === 'number' ? [seen] : seen;
    for (const index of earlier) {
      const params = s.paramsAt(index);
      // Named once before without an error, so it is named the same way again.
      if (idOf(s, { index, params }, [])?.toLowerCase() !== lower) continue;
      diagnostics.push(
        diag('EG3091', `Two combinations get the same bundle name "${id}": ${JSON.stringify(params)} and ${JSON.stringify(combo.params)}.`, s.r.loaded.locate(settingPath(s.r.config, 'identifier')), `Include every swept key (${s.varying.join(', ')}) in identifier, or remove identifier to let eegen name the bundles.`),
      );
      return undefined;
    }
    s.seenIds.set(h, [...earlier, combo.index]);
  } else s.seenIds.set(h, combo.index);
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

/** Every file SHA256SUMS lists is a regular file with that hash, and executable where its manifest says so. */
function filesHashAsListed(dir: string, sums: Buffer): boolean {
  const listed = parseChecksums(sums.toString('utf8'));
  if (!listed?.size) return false;
  const modes = new Map<string, number>();
  let manifest: Buffer | undefined;
  for (const [name, hash] of listed) {
    let content: Buffer;
    try {
      const st = lstatSync(path.join(dir, name));
      if (!st.isFile()) return false;
      modes.set(name, st.mode);
      content = readFileSync(path.join(dir, name));
    } catch {
      return false;
    }
    if (sha256(content) !== hash) return false;
    if (name === LAYOUT.manifest) manifest = content;
  }
  const m = manifest && parseManifest(manifest.toString('utf8'));
  if (!m || typeof m === 'string') return false;
  // A chmod changes no byte: a script made non-executable is not the bundle the last build wrote.
  const executable = executableFiles(m, RUN_LAYOUT.wrapper);
  for (const [name, mode] of modes) if (isExecutableMode(mode) !== executable.has(name)) return false;
  return true;
}

/** Name and key one combination; a reused bundle when its inputs are unchanged. */
export function headOf(s: NamingInputs, combo: Combination, diagnostics: Diagnostic[]): BundleHead | BundlePlan | undefined {
  const id = nameBundle(s, combo, diagnostics);
  if (id === undefined) return undefined;
  // A time limit over the config's is an input of its own: a new one renders the bundle again.
  const time = s.timeLimits?.get(id);
  const head: BundleHead = { index: combo.index, params: combo.params, id, inputKey: sha256(`${s.sharedKey}\n${id}\n${combo.index}\n${s.configJson(combo.params)}${time !== undefined ? `\ntime:${time}` : ''}`), ...(time !== undefined ? { resources: { time } } : {}) };
  return (s.reuse && reusedBundle(s, head)) || head;
}

/** The naming state of one compile: the keys every bundle shares, the ids seen so far. */
export function namingInputs(r: BundleInputs, varying: string[], reuse: CompileOptions['reuse'], paramsAt: (index: number) => Mapping, timeLimits?: ReadonlyMap<string, string>): NamingInputs {
  const { config, template } = r;
  return {
    r,
    varying,
    seenIds: new Map(),
    paramsAt,
    configJson: canonicalJsonWith(withoutSweepRules(config), 'experiment'),
    ...(reuse ? { reuse } : {}),
    ...(timeLimits?.size ? { timeLimits } : {}),
    sharedKey: canonicalJson({ v: KEY_VERSION, eegen: EEGEN_VERSION, schema: r.schema, fixedInputs: r.fixedInputs, template: [template.outputName, template.kind, template.scheduler] } as unknown as Mapping),
  };
}
