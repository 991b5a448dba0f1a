/**
 * The resolve stage: for one combination, substitute every placeholder in every string
 * of the config (grammar: placeholders.ts).
 *
 *   - References chain: `data.scratch: "/scratch/{os.USER}/data"` may itself be used as
 *     `{data.scratch}` anywhere; each location is resolved once (memoised).
 *   - A string that is exactly one placeholder takes the referenced value with its type
 *     (`"{experiment.epoch}"` stays the number 30); otherwise the value is interpolated
 *     (numbers and booleans as written, null as empty; mappings and lists are refused).
 *   - Cycles and unknown names are errors located at the string that holds them.
 *   - `{os.NAME}` comes from the host profile only; unknown ones are deferred to run time
 *     (deferred.ts). The builder's process.env is never read.
 *   - Shell-text fields (`run.command`, `resources.setup[]`) are commands written into the
 *     job script as is, so a placeholder there is substituted with the quoting its shell
 *     position needs (shell/context.ts) instead of plain text: a parameter value can never
 *     become part of the command's syntax.
 */
import { SECTION, settingsSection } from '../validate/settings.js';
import { diag, nearest, type Diagnostic, type Span } from '../diagnostics/index.js';
import { substituteSlots } from '../shell/context.js';
import { scalarText } from '../shell/quote.js';
import { blockingProblems, scanShell, type ShellScan } from '../shell/scan.js';

/** Shell-text fields (run.command) are the same raw text in every bundle: scan each once. */
const scanCache = new Map<string, ShellScan>();
function scanCached(text: string): ShellScan {
  let s = scanCache.get(text);
  if (!s) {
    if (scanCache.size > 1000) scanCache.clear();
    s = scanShell(text);
    scanCache.set(text, s);
  }
  return s;
}
import type { HostProfile, LoadedYaml, Mapping, PathSegment, Value } from '../types.js';
import { RESOLVE_CODES as C } from './codes.js';
import { deferredRef } from '../syntax/deferred.js';
import { classifyReference, isMapping, type NamespaceInput } from './namespaces.js';
import { findCandidates, placeholderRoots, wholePlaceholder, type PlaceholderMatch } from '../syntax/placeholders.js';

export { deferredRef, deferredToShellWord, deferredToText, freezeValue, hasDeferred, splitDeferred } from '../syntax/deferred.js';
export { RESOLVE_CODES } from './codes.js';
export { PROVIDED_NAMESPACES, findCandidates, matchPlaceholderAt, placeholderRoots } from '../syntax/placeholders.js';

export interface ResolveInput {
  /** The validated config with `experiment` replaced by this combination's params. */
  config: Mapping;
  host: HostProfile;
  /** The loaded config, for positions of the strings holding a reference. */
  loaded: LoadedYaml;
  bundle: { id: string; index: number; ee?: string };
}

export interface ResolveResult {
  /** The resolved config; absent when there are errors. */
  config?: Mapping;
  /** `{os.NAME}` names referenced, sorted. */
  usedEnv: string[];
  /** Those among them the host profile does not define: expanded by the job's shell. */
  deferredEnv: string[];
  diagnostics: Diagnostic[];
}

/**
 * Strings that are shell commands, written into the script as is: eegen's run.command and
 * resources.setup lines, inside the `eegen:` section when the config has one (a top-level
 * `run:` is then the user's variable, plain text).
 */
function isShellField(path: readonly PathSegment[], sectioned: boolean): boolean {
  const p = sectioned ? (path[0] === SECTION ? path.slice(1) : undefined) : path;
  if (p === undefined) return false;
  return (p.length === 2 && p[0] === 'run' && p[1] === 'command') || (p.length === 3 && p[0] === 'resources' && p[1] === 'setup');
}

/** An unambiguous memo key for a path (length-prefixed strings, `#` for indexes). */
function pathKey(path: readonly PathSegment[]): string {
  let key = '';
  for (const p of path) key += typeof p === 'number' ? `#${p}|` : `${p.length}:${p}|`;
  return key;
}

function display(path: readonly PathSegment[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i ? `.${p}` : p)).join('') || '(top level)';
}

/** Every bundle's config has the same top-level keys: reuse the last roots set (never mutated). */
let lastRoots: { keys: string[]; roots: Set<string> } | undefined;
function rootsOf(config: Mapping): Set<string> {
  const keys = Object.keys(config);
  const last = lastRoots;
  if (last && last.keys.length === keys.length && keys.every((k, i) => k === last.keys[i])) return last.roots;
  const roots = placeholderRoots(config);
  lastRoots = { keys, roots };
  return roots;
}

const FAILED: unique symbol = Symbol('failed');
type Result = Value | typeof FAILED;

interface Site {
  path: readonly PathSegment[];
  match: PlaceholderMatch;
}

class Resolver {
  readonly diagnostics: Diagnostic[] = [];
  readonly usedEnv = new Set<string>();
  readonly deferredEnv = new Set<string>();
  private readonly roots: Set<string>;
  private readonly ns: NamespaceInput;
  private readonly memo = new Map<string, { active: true } | { active: false; value: Result }>();
  private readonly stack: PathSegment[][] = [];
  private readonly reported = new Set<string>();

  /** The config keeps eegen's settings in an `eegen:` section. */
  private readonly sectioned: boolean;

  constructor(private readonly input: ResolveInput) {
    this.sectioned = settingsSection(input.config) !== undefined;
    this.roots = rootsOf(input.config);
    this.ns = { config: input.config, host: input.host, bundle: input.bundle };
  }

  run(): Result {
    return this.location([], this.input.config);
  }

  private error(code: string, message: string, where: Span, hint?: string, severity: 'error' | 'warning' = 'error'): void {
    const key = `${code}|${where.start}|${message}`;
    if (this.reported.has(key)) return;
    this.reported.add(key);
    this.diagnostics.push(diag(code, message, where, hint, severity));
  }

  /** Span of the placeholder inside the string at `path`, else of the whole value. */
  private spanOf(path: readonly PathSegment[], match?: PlaceholderMatch): Span {
    const span = this.input.loaded.locate(path);
    if (!match) return span;
    const idx = this.input.loaded.text.slice(span.start, span.start + span.length).indexOf(`{${match.name}}`);
    return idx < 0 ? span : { file: span.file, start: span.start + idx, length: match.name.length + 2 };
  }

  /**
   * Resolve the value at a config location, deeply. `path` is a scratch array that this
   * walk extends and restores; it is copied only for strings that hold a `{`, the only
   * ones that need their location (memo key, shell fields, diagnostics).
   */
  private location(path: PathSegment[], node: Value, site?: Site): Result {
    if (typeof node === 'string') return node.includes('{') ? this.string(path.slice(), node, site) : node;
    if (typeof node !== 'object' || node === null) return node;
    if (Array.isArray(node)) {
      const out: Value[] = [];
      let failed = false;
      for (let i = 0; i < node.length; i++) {
        path.push(i);
        const r = this.location(path, node[i]!, site);
        path.pop();
        if (r === FAILED) failed = true;
        else out.push(r);
      }
      return failed ? FAILED : out;
    }
    const out: Mapping = {};
    let failed = false;
    const keys = Object.keys(node);
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i]!;
      path.push(k);
      const r = this.location(path, node[k]!, site);
      path.pop();
      if (r === FAILED) failed = true;
      else out[k] = r;
    }
    return failed ? FAILED : out;
  }

  private string(path: PathSegment[], text: string, site?: Site): Result {
    // Strings without `{` hold no placeholder: never memoised, never part of a cycle.
    if (!text.includes('{')) return text;
    const key = pathKey(path);
    const seen = this.memo.get(key);
    if (seen && !seen.active) return seen.value;
    if (seen?.active) {
      const from = this.stack.findIndex((p) => pathKey(p) === key);
      const chain = [...this.stack.slice(from), path].map(display);
      const where = site ? this.spanOf(site.path, site.match) : this.spanOf(path);
      this.error(C.referenceCycle, `The references form a cycle: ${chain.join(' -> ')}.`, where, 'Break the cycle: one of these values must not refer back to the others.');
      return FAILED;
    }
    this.memo.set(key, { active: true });
    this.stack.push(path);
    const value = isShellField(path, this.sectioned) ? this.shellText(path, text) : this.text(path, text);
    this.stack.pop();
    this.memo.set(key, { active: false, value });
    return value;
  }

  private text(path: PathSegment[], text: string): Result {
    const whole = wholePlaceholder(text, this.roots);
    if (whole) return this.reference(path, whole);
    let out = '';
    let last = 0;
    let failed = false;
    for (const m of findCandidates(text)) {
      if (!this.isRoot(path, m)) continue;
      const v = this.reference(path, m);
      if (v === FAILED) {
        failed = true;
        continue;
      }
      if (typeof v === 'object' && v !== null) {
        this.error(C.structuredInString, `{${m.name}} is ${Array.isArray(v) ? 'a list' : 'a mapping'} and cannot be placed inside the text of ${display(path)}.`, this.spanOf(path, m), `Refer to one of its fields, or make the whole value "{${m.name}}".`);
        failed = true;
        continue;
      }
      out += text.slice(last, m.start) + scalarText(v);
      last = m.end;
    }
    return failed ? FAILED : out + text.slice(last);
  }

  private shellText(path: PathSegment[], text: string): Result {
    const scan = scanCached(text);
    const problems = blockingProblems(scan);
    if (problems.length) {
      for (const p of problems) this.error(C.unbalancedShellText, `${display(path)} is a shell command, but ${p.message}.`, this.spanOf(path), 'Close the quote or substitution, so placeholders can be quoted safely.');
      return FAILED;
    }
    let failed = false;
    const { text: out, failures } = substituteSlots(text, scan.slots, (slot) => {
      if (!this.isRoot(path, slot)) return undefined;
      const v = this.reference(path, slot);
      if (v === FAILED) failed = true;
      else if (typeof v === 'object' && v !== null) {
        this.error(C.structuredInString, `{${slot.name}} is ${Array.isArray(v) ? 'a list' : 'a mapping'} and cannot be placed into the command ${display(path)}.`, this.spanOf(path, slot), 'Refer to one of its fields.');
        failed = true;
      } else return scalarText(v);
      return undefined;
    });
    for (const f of failures) this.error(C.unsafeShellValue, `{${f.slot.name}} cannot be placed into the command ${display(path)}: ${f.error.message}.`, this.spanOf(path, f.slot), 'Change the value, or move the placeholder to a plain (unquoted) position of the command.');
    return failed || failures.length ? FAILED : out;
  }

  /** Is this `{...}` a placeholder? An unknown first segment that looks like a typo is an error. */
  private isRoot(path: readonly PathSegment[], m: PlaceholderMatch): boolean {
    const root = m.path[0]!;
    if (this.roots.has(root)) return true;
    // Only dotted names with a longish first segment: `{obj.attr}` in embedded Python is legitimate.
    const near = m.path.length > 1 && root.length >= 5 ? nearest(root, this.roots) : undefined;
    // In config values such a name is almost surely a typo, and leaving it would put
    // the literal text into the job; templates (which embed other languages) only warn.
    if (near) this.error(C.nearMissPlaceholder, `{${m.name}} in ${display(path)} refers to nothing: there is no key "${root}".`, this.spanOf(path, m), `Did you mean {${[near, ...m.path.slice(1)].join('.')}}?`);
    return false;
  }

  private reference(from: PathSegment[], m: PlaceholderMatch): Result {
    const ref = classifyReference(m.path, this.ns);
    switch (ref.kind) {
      case 'value':
        return ref.value;
      case 'env':
        this.usedEnv.add(ref.name);
        if (ref.value !== undefined) return ref.value;
        this.deferredEnv.add(ref.name);
        return deferredRef(ref.name);
      case 'invalid':
        this.error(ref.templateOnly ? C.templateOnlyNamespace : C.invalidEnvReference, `${ref.message} (in ${display(from)}).`, this.spanOf(from, m), ref.hint);
        return FAILED;
      case 'unknown':
        this.unknown(from, m, ref.known, ref.missing, ref.candidates);
        return FAILED;
      case 'config':
        return this.follow(ref.path, { path: from, match: m });
    }
  }

  private unknown(from: PathSegment[], m: PlaceholderMatch, known: string, missing: string, candidates: string[]): void {
    const near = nearest(missing, candidates);
    const full = (k: string): string => (known ? `${known}.${k}` : k);
    const what = known ? `${known} has no key "${missing}"` : `there is no key "${missing}"`;
    const hint = near ? `Did you mean {${full(near)}}?` : candidates.length ? `Known keys: ${candidates.slice(0, 12).join(', ')}${candidates.length > 12 ? ', ...' : ''}.` : undefined;
    this.error(C.unknownReference, `{${m.name}} in ${display(from)} refers to nothing: ${what}.`, this.spanOf(from, m), hint);
  }

  /** Walk a config path; strings met on the way are resolved first (`a: "{b}"`, `{a.c}`). */
  private follow(segments: string[], site: Site): Result {
    const root = segments[0]!;
    const locPath: PathSegment[] = [root];
    let node: Value = this.input.config[root]!;
    let resolved = false;
    for (let i = 1; i < segments.length; i++) {
      const seg = segments[i]!;
      if (!resolved && typeof node === 'string') {
        const r = this.string([...locPath], node, site);
        if (r === FAILED) return FAILED;
        node = r;
        resolved = true;
      }
      if (!isMapping(node) || !Object.hasOwn(node, seg)) {
        this.unknown(site.path as PathSegment[], site.match, display(locPath), seg, isMapping(node) ? Object.keys(node) : []);
        return FAILED;
      }
      node = node[seg]!;
      locPath.push(seg);
    }
    return resolved ? node : this.location(locPath, node, site);
  }
}

/** Resolve every placeholder of one combination's config. */
export function resolveConfig(input: ResolveInput): ResolveResult {
  const r = new Resolver(input);
  const value = r.run();
  const result: ResolveResult = {
    usedEnv: [...r.usedEnv].sort(),
    deferredEnv: [...r.deferredEnv].sort(),
    diagnostics: r.diagnostics,
  };
  if (value !== FAILED && !r.diagnostics.some((d) => d.severity === 'error')) result.config = value as Mapping;
  return result;
}
