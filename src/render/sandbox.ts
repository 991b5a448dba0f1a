/**
 * Where Eta template code runs: a V8 context of its own (node:vm) that sees only the
 * values eegen gives it. Template code is JavaScript written by whoever wrote the template
 * (and, once the REST service exists, by whoever sends one), so it must not reach the
 * builder's process, and it must come out the same on every build:
 *
 *   - no `process`, `require`, `import()`, `console`, timers or Node builtins: the context
 *     is a fresh global with only the ECMAScript intrinsics; `import()` has no loader, and
 *     code generation from strings (`eval`, `new Function`) and WebAssembly are off;
 *   - nothing from the builder's realm: the template's data crosses as JSON text and is
 *     parsed inside, so no object of ours (whose `constructor.constructor` would be the
 *     builder's `Function`) is ever in reach; `it.sh` and the `<%= %>` recorder are defined
 *     inside and hand back tokens and plain strings;
 *   - no clock, randomness, locale or promises: `Date`, `Intl`, `Math.random`, `Promise`,
 *     `Atomics`, `SharedArrayBuffer`, `WeakRef` and `FinalizationRegistry` throw a clear
 *     error when used, `import`, `async` and `await` are refused in template code, and the `toLocale*` / `localeCompare` methods use `en-US` unless given a locale
 *     (their default would be the builder's `LANG`);
 *   - no state from one render to the next: every intrinsic is frozen, the global's
 *     properties are read-only, a render that adds one fails (and a context that cannot
 *     be cleaned is replaced), and template code runs in strict mode;
 *   - no hang: renders run under a time limit (microtasks included), in batches sized to
 *     a small part of it, and a template that exceeds it is an error for every bundle at
 *     once, not one limit per bundle.
 *
 * What crosses back is one JSON string: the rendered text with tokens where values go,
 * and the values as text, which eta.ts quotes for the position each token landed in.
 */
import vm from 'node:vm';

/** How long one bundle's render may take before the template is called stuck. */
export const RENDER_TIMEOUT_MS = 5_000;

/** A value as it crosses back: text, or a list (one shell word per element; JSON data). */
export type Carried = string | unknown[];

export interface SandboxOutput {
  /** The rendered text: `\u0001N\u0002` where `<%= %>` value N goes, `\u0003N\u0004` where `it.sh` word N goes. */
  raw: string;
  values: { v: Carried; line: number }[];
  words: { v: Carried; line: number }[];
}

export type SandboxResult = { ok: SandboxOutput } | { error: { message: string; line: number } };

/** Runs once in each new context, before any template code exists there. */
const RUNTIME = String.raw`'use strict';
(() => {
  const G = globalThis;
  const why = ': a template sees only the values eegen gives it, and renders the same on every build';
  const refuse = (name) => function () { throw new Error(name + ' is not available in templates' + why); };
  const kinds = { Date: 'the clock', Intl: 'the locale', Promise: 'templates render synchronously' };
  for (const name of ['Date', 'Intl', 'Promise', 'Atomics', 'SharedArrayBuffer', 'WeakRef', 'FinalizationRegistry', 'WebAssembly']) {
    if (!(name in G)) continue;
    Object.defineProperty(G, name, { get: refuse(name + ' (' + (kinds[name] || 'shared or garbage-collected state') + ')'), configurable: false });
  }
  // V8 gives every context a console (the inspector's); a template has nobody to talk to.
  delete G.console;
  Math.random = refuse('Math.random');
  // RegExp's legacy statics (RegExp.$1, lastMatch, ...) hold the last match of any render.
  for (const k of ['$1', '$2', '$3', '$4', '$5', '$6', '$7', '$8', '$9', 'input', '$_', 'lastMatch', '$&', 'lastParen', '$+', 'leftContext', '$\x60', 'rightContext', "$'"]) delete RegExp[k];
  const locale = (proto, names) => {
    for (const n of names) {
      const orig = proto[n];
      if (typeof orig !== 'function') continue;
      proto[n] = n === 'localeCompare'
        ? { localeCompare(that, l, o) { return orig.call(this, that, l === undefined ? 'en-US' : l, o); } }.localeCompare
        : { [n](l, o) { return orig.call(this, l === undefined ? 'en-US' : l, o); } }[n];
    }
  };
  locale(Number.prototype, ['toLocaleString']);
  locale(BigInt.prototype, ['toLocaleString']);
  locale(String.prototype, ['localeCompare', 'toLocaleUpperCase', 'toLocaleLowerCase']);
  locale(Array.prototype, ['toLocaleString']);
  locale(Object.getPrototypeOf(Int8Array.prototype), ['toLocaleString']);

  const scalar = (v) => {
    if (v === null || v === undefined) return '';
    if (typeof v === 'string') return v;
    if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
    let s;
    try { s = JSON.stringify(v); } catch (e) { s = undefined; }
    return s === undefined ? String(v) : s;
  };
  // Lists cross as JSON (elements keep their types: quoted positions show the list as
  // JSON); what JSON would change (NaN, BigInt) crosses as its text.
  const element = (x) => (typeof x === 'bigint' || (typeof x === 'number' && !Number.isFinite(x)) ? String(x) : Array.isArray(x) ? x.map(element) : x);
  const carry = (v) => (Array.isArray(v) ? v.map(element) : scalar(v));
  const message = (e) => {
    try { return e instanceof Error ? String(e.message) : String(e); } catch (x) { return 'an exception that cannot be shown'; }
  };

  let current;
  let input;
  let baseline;
  let poisoned = false;
  const added = () => {
    const keys = Reflect.ownKeys(G);
    if (keys.length === baseline.size) return undefined;
    const extra = keys.filter((k) => !baseline.has(k));
    const names = extra.map(String);
    for (const k of extra) { try { delete G[k]; } catch (e) { /* found below */ } }
    if (Reflect.ownKeys(G).length !== baseline.size) poisoned = true;
    return 'the template code set the global ' + names.join(', ') + '; keep its state in local variables (let, const), so that no bundle depends on another';
  };
  function record(value) {
    if (value === undefined) throw new Error('<%= %> got undefined (a misspelled name, or a key this config does not have?)');
    current.values.push({ v: carry(value), line: (this && this.line) || 0 });
    return '\u0001' + (current.values.length - 1) + '\u0002';
  }
  function word(value, line) {
    current.words.push({ v: carry(value), line: line || 0 });
    return '\u0003' + (current.words.length - 1) + '\u0004';
  }
  class Failure { constructor(cause, line) { this.cause = cause; this.line = line; } }
  const self = Object.freeze({
    config: Object.freeze({ escapeFunction: record, filterFunction: (v) => String(v) }),
    RuntimeErr(e, _text, line) { throw new Failure(e, line); },
    render() { throw new Error('include() and layout() are not available: eegen renders one template file'); },
    renderAsync() { throw new Error('includeAsync() is not available: eegen renders one template file'); },
  });
  const render = (fn, data) => {
    current = { values: [], words: [] };
    try {
      const raw = fn.call(self, JSON.parse(data), {}, word);
      if (typeof raw !== 'string') return { error: { message: 'the template did not produce text', line: 0 } };
      return { ok: { raw, values: current.values, words: current.words } };
    } catch (e) {
      const f = e instanceof Failure ? e : new Failure(e, 0);
      return { error: { message: message(f.cause), line: Number(f.line) || 0 } };
    } finally {
      current = undefined;
    }
  };
  // A batch of bundles in one call (entering a context with a time limit costs more than a
  // small render). The global is checked once per batch: if a render added to it, the
  // caller renders the batch again one by one, so the error lands on every bundle alike.
  const run = () => {
    const job = input;
    input = undefined;
    if (!job) throw new Error('nothing to render');
    const results = job.data.map((d) => render(job.fn, d));
    const extra = added();
    if (extra && job.data.length > 1) return [JSON.stringify({ again: true, poisoned })];
    if (extra) return [JSON.stringify({ results: [{ error: { message: extra, line: 0 } }], poisoned })];
    // The texts go back as they are (strings cross realms as values); the rest as JSON.
    const texts = results.map((r) => (r.ok ? r.ok.raw : ''));
    for (const r of results) if (r.ok) r.ok.raw = '';
    return [JSON.stringify({ results }), ...texts];
  };
  const put = (fn, data) => { input = { fn, data }; };
  Object.defineProperty(G, '__eegen_run', { value: run });
  Object.defineProperty(G, '__eegen_put', { value: put });

  // Freeze every intrinsic reachable from the global object (the global itself cannot be
  // frozen: it is left out of the walk, and its own properties made read-only below).
  const seen = new Set([G]);
  const freeze = (o) => {
    if ((typeof o !== 'object' && typeof o !== 'function') || o === null || seen.has(o)) return;
    seen.add(o);
    for (const k of Reflect.ownKeys(o)) {
      const d = Object.getOwnPropertyDescriptor(o, k);
      if (d && 'value' in d) freeze(d.value);
    }
    freeze(Object.getPrototypeOf(o));
    Object.freeze(o);
  };
  for (const k of Reflect.ownKeys(G)) {
    const d = Object.getOwnPropertyDescriptor(G, k);
    if (d && 'value' in d) freeze(d.value);
  }
  freeze(Object.getPrototypeOf(function* () {}));
  freeze(Object.getPrototypeOf(async function () {}));
  freeze(Object.getPrototypeOf(async function* () {}));
  freeze(Object.getPrototypeOf([][Symbol.iterator]()));
  freeze(Object.getPrototypeOf(new Map()[Symbol.iterator]()));
  freeze(Object.getPrototypeOf(new Set()[Symbol.iterator]()));
  freeze(Object.getPrototypeOf(''[Symbol.iterator]()));
  freeze(Object.getPrototypeOf(/x/[Symbol.matchAll]('')));
  // The global object itself can be neither frozen nor closed here (V8 refuses both for a
  // context's global), so its properties are made read-only, and a render that adds one
  // fails (and the addition is removed): no render can leave state for the next.
  for (const k of Reflect.ownKeys(G)) {
    const d = Object.getOwnPropertyDescriptor(G, k);
    if (d && d.configurable) Object.defineProperty(G, k, 'value' in d ? { value: d.value, writable: false, configurable: false } : { configurable: false });
  }
  baseline = new Set(Reflect.ownKeys(G));
})();
`;

let context: vm.Context | undefined;
let call: vm.Script | undefined;
/** Bumped when a context is thrown away; templates compiled in an older one are compiled again. */
let generation = 0;

function sandbox(): vm.Context {
  if (context) return context;
  const ctx = vm.createContext(Object.create(null), { name: 'eegen template', codeGeneration: { strings: false, wasm: false }, microtaskMode: 'afterEvaluate' });
  new vm.Script(RUNTIME, { filename: 'eegen-template-runtime.js' }).runInContext(ctx);
  call = new vm.Script('__eegen_run()', { filename: 'eegen-template-call.js' });
  context = ctx;
  generation++;
  return ctx;
}

/**
 * Words template code may not use: `import()` is syntax (no global can take it away) and
 * `async`/`await` make promises, whose rejections Node reports for the whole process.
 * Templates render synchronously, so none of them has a use.
 */
const FORBIDDEN = /\b(import|async|await)\b/;

/** Thrown by compileInSandbox for template code that uses a forbidden word. */
export class ForbiddenCode extends Error {
  constructor(
    readonly word: string,
    /** Which of the code parts given to compileInSandbox holds it. */
    readonly part: number,
  ) {
    super(`\`${word}\` is not available in template code: templates render synchronously and load nothing`);
    this.name = 'ForbiddenCode';
  }
}

/** A compiled template: a function of the sandbox. */
export interface SandboxTemplate {
  fn: unknown;
  generation: number;
  readonly source: string;
  readonly filename: string;
}

function compileSource(src: string, filename: string): SandboxTemplate {
  const ctx = sandbox();
  const fn: unknown = new vm.Script(src, { filename }).runInContext(ctx);
  return { fn, generation, source: src, filename };
}

/**
 * Compile Eta's generated function body inside the sandbox. `code` is the template's own
 * JavaScript (the `<% %>` parts), checked for forbidden words. `it.sh` is bound in there
 * so it can tell the line it was called from (`__eta.line`, Eta's debug line counter).
 * Throws SyntaxError for invalid template code, ForbiddenCode for a forbidden word.
 */
export function compileInSandbox(body: string, code: readonly string[], filename: string): SandboxTemplate {
  for (const [i, c] of code.entries()) {
    const m = FORBIDDEN.exec(c);
    if (m) throw new ForbiddenCode(m[1]!, i);
  }
  return compileSource(`'use strict';\n(function (it, options, __eegen_word) {\nit.sh = (v) => __eegen_word(v, __eta.line);\n${body}\n})`, filename);
}

/**
 * Render a batch: `data` holds each bundle's template context as JSON text. The time
 * limit is for the whole batch; callers keep batches to a small fraction of it.
 */
export function renderInSandbox(t: SandboxTemplate, data: readonly string[]): SandboxResult[] | { timeout: true } {
  const ctx = sandbox();
  if (t.generation !== generation) Object.assign(t, compileSource(t.source, t.filename));
  (ctx.__eegen_put as (fn: unknown, data: readonly string[]) => void)(t.fn, [...data]);
  let out: unknown;
  try {
    out = call!.runInContext(ctx, { timeout: RENDER_TIMEOUT_MS });
  } catch (e) {
    if ((e as { code?: string } | null)?.code === 'ERR_SCRIPT_EXECUTION_TIMEOUT') {
      // Stopped anywhere, perhaps halfway through changing something: start afresh.
      context = undefined;
      return { timeout: true };
    }
    // Only eegen's own code runs outside the try of `render`; anything else is a bug.
    throw e;
  }
  // An array our runtime made after the renders (template code never saw it) of strings.
  if (!Array.isArray(out) || typeof out[0] !== 'string') throw new Error('eegen: the template sandbox answered something other than text');
  const r = JSON.parse(out[0]) as { results: SandboxResult[]; again?: undefined; poisoned?: boolean } | { again: true; poisoned?: boolean };
  // A global the render added and could not remove: no later render may see it.
  if (r.poisoned) context = undefined;
  if (r.again) {
    const one: SandboxResult[] = [];
    for (const d of data) {
      const x = renderInSandbox(t, [d]);
      if ('timeout' in x) return x;
      one.push(x[0]!);
    }
    return one;
  }
  for (const [i, x] of r.results.entries()) {
    if (!('ok' in x)) continue;
    const text: unknown = out[i + 1];
    if (typeof text !== 'string') throw new Error('eegen: the template sandbox answered something other than text');
    x.ok.raw = text;
  }
  return r.results;
}
