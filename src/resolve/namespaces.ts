/**
 * What a placeholder's dotted name refers to: a place in the config, a provided value
 * (bundle id, host profile, directive block) or an environment variable. Shared by the
 * resolve stage (config values) and the renderer (cloudmesh templates), so both read
 * `{ee.identifier}` or `{os.USER}` the same way. See placeholders.ts for the namespaces.
 */
import { createHash } from 'node:crypto';
import { schedulers } from '../scheduler/registry.js';
import type { HostProfile, Mapping, Value } from '../types.js';
import { setting } from '../validate/settings.js';

/**
 * The job name cloudmesh-ee gives a combination, its `{ee.identifier}`: every experiment key
 * in order, as `key_value`, joined by `_` (cloudmesh-ee experimentexecutor.py,
 * `_generate_bootstrapping`), values as Python prints them (True, False, None). Computed from
 * the combination's own values (not the card_name eegen adds, as cloudmesh adds it later).
 * eegen's bundle directories keep their own names (bundle/id.ts).
 */
export function eeIdentifier(params: Mapping): string {
  const py = (v: Value): string => (v === true ? 'True' : v === false ? 'False' : v === null ? 'None' : typeof v === 'object' ? JSON.stringify(v) : String(v));
  return Object.entries(params)
    .map(([k, v]) => `${k}_${py(v)}`)
    .join('_');
}

/** A name-based UUID (RFC 9562 version 5 layout: SHA-1, eegen's namespace) for a bundle of an experiment. */
export function bundleUuid(config: Mapping, bundleId: string): string {
  // The experiment's name is a setting: with an eegen: section, a top-level `name` is the user's.
  const own = setting(config, 'name');
  const name = typeof own === 'string' ? own : isMapping(config.application) && typeof config.application.name === 'string' ? config.application.name : '';
  const h = createHash('sha1').update('6f1c5a5e-eegen-bundle\0').update(name).update('\0').update(bundleId).digest();
  h[6] = (h[6]! & 0x0f) | 0x50;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

export interface NamespaceInput {
  /** The config (unresolved during resolve, resolved during render). */
  config: Mapping;
  host: HostProfile;
  /** `ee`: the job name cloudmesh-ee gives this combination (`{ee.identifier}`, see eeIdentifier). */
  bundle: { id: string; index: number; script?: string; ee?: string };
  /** Directive blocks by the scheduler's template namespace (`slurm` for `{slurm.sbatch}`); templates only. */
  blocks?: Readonly<Record<string, () => string>>;
}

export type Reference =
  /** A place in the config; `path[0]` is a top-level key (after the ee/sbatch alias). */
  | { kind: 'config'; path: string[] }
  | { kind: 'value'; value: Value }
  /** `{os.NAME}`; `value` is undefined when the host profile does not know it (deferred). */
  | { kind: 'env'; name: string; value?: string }
  /** `known` exists, its child `missing` does not; `candidates` are the existing children. */
  | { kind: 'unknown'; known: string; missing: string; candidates: string[] }
  | { kind: 'invalid'; message: string; hint?: string; templateOnly?: boolean };

export function isMapping(v: unknown): v is Mapping {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The value of `{os.NAME}` on the host: profile `user`/`home`, then `env`; undefined = defer. */
export function hostEnv(host: HostProfile, name: string): string | undefined {
  if (name === 'USER' && host.user !== undefined) return host.user;
  if (name === 'HOME' && host.home !== undefined) return host.home;
  const v = host.env?.[name];
  return typeof v === 'string' ? v : undefined;
}

/** Walk `rest` inside a plain value. */
export function followValue(value: Value, known: string, rest: readonly string[]): Reference {
  let node = value;
  let at = known;
  for (const seg of rest) {
    if (!isMapping(node) || !Object.hasOwn(node, seg)) return { kind: 'unknown', known: at, missing: seg, candidates: isMapping(node) ? Object.keys(node) : [] };
    node = node[seg]!;
    at = `${at}.${seg}`;
  }
  return { kind: 'value', value: node };
}

function hostValue(host: HostProfile): Value {
  return JSON.parse(JSON.stringify(host)) as Value;
}

/** Classify the dotted name `path` (its first segment is a known root). */
export function classifyReference(path: readonly string[], ns: NamespaceInput): Reference {
  const root = path[0]!;
  const rest = path.slice(1);
  const { config } = ns;
  const has = (k: string): boolean => Object.hasOwn(config, k);
  switch (root) {
    case 'os': {
      if (rest.length !== 1) return { kind: 'invalid', message: `{${path.join('.')}} must name one environment variable, as in {os.USER}` };
      const name = rest[0]!;
      if (!ENV_NAME.test(name)) return { kind: 'invalid', message: `{${path.join('.')}}: "${name}" is not an environment variable name`, hint: 'Names use letters, digits and _ and do not start with a digit.' };
      return { kind: 'env', name, value: hostEnv(ns.host, name) };
    }
    case 'bundle': {
      const bundle: Mapping = { id: ns.bundle.id, index: ns.bundle.index };
      if (ns.bundle.script !== undefined) bundle.script = ns.bundle.script;
      return rest.length ? followValue(bundle, 'bundle', rest) : { kind: 'invalid', message: '{bundle} needs a field, as in {bundle.id}' };
    }
    case 'ee':
    case 'sbatch': {
      if (rest.length === 1 && rest[0] === 'identifier') return { kind: 'value', value: ns.bundle.ee ?? ns.bundle.id };
      const section = has(root) ? root : has(root === 'ee' ? 'sbatch' : 'ee') ? (root === 'ee' ? 'sbatch' : 'ee') : undefined;
      // cloudmesh-ee wrote a random `ee.uuid` into every job; templates use it to tell jobs
      // apart. eegen's is derived from the experiment and the bundle: unique, and the same
      // on every build.
      if (rest.length === 1 && rest[0] === 'uuid' && !(section && isMapping(config[section]) && Object.hasOwn(config[section] as Mapping, 'uuid'))) return { kind: 'value', value: bundleUuid(config, ns.bundle.id) };
      if (section) return { kind: 'config', path: [section, ...rest] };
      return rest.length ? { kind: 'unknown', known: root, missing: rest[0]!, candidates: ['identifier', 'uuid'] } : { kind: 'invalid', message: `{${root}} needs a field, as in {${root}.identifier}` };
    }
    case 'identifier':
      if (has('identifier')) return { kind: 'config', path: [...path] };
      return rest.length ? { kind: 'unknown', known: 'identifier', missing: rest[0]!, candidates: [] } : { kind: 'value', value: ns.bundle.id };
    default:
      break;
  }
  if (has(root)) return { kind: 'config', path: [...path] };
  if (root === 'host') return rest.length ? followValue(hostValue(ns.host), 'host', rest) : { kind: 'value', value: ns.host.name };
  // A scheduler's directive block: `{slurm.sbatch}`, `{lsf.bsub}` (the adapters' templateBlock).
  const block = schedulers().find((a) => a.templateBlock?.namespace === root)?.templateBlock;
  if (block) {
    const { field } = block;
    if (rest.length !== 1 || rest[0] !== field) return rest.length ? { kind: 'unknown', known: root, missing: rest[0]!, candidates: [field] } : { kind: 'invalid', message: `{${root}} needs a field: {${root}.${field}}` };
    const make = ns.blocks && Object.hasOwn(ns.blocks, root) ? ns.blocks[root] : undefined;
    if (!make) return { kind: 'invalid', templateOnly: true, message: `{${root}.${field}} is only available in templates`, hint: 'Use it in the job template, where it becomes the directive block.' };
    return { kind: 'value', value: make() };
  }
  // `experiment` missing from the config, or a root that is not known at all.
  return { kind: 'unknown', known: '', missing: root, candidates: Object.keys(config) };
}
