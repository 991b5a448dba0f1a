/**
 * Eta templates (*.eta). The only import site of `eta`.
 *
 * Template code runs in a sandbox (sandbox.ts): a V8 context of its own that sees only
 * the values below, as JSON data, with no clock, randomness, locale, Node builtins or
 * state from one render to the next, and under a time limit. Eta only turns the
 * template into a function body here; it never runs one.
 *
 * Eta is configured for shell, deliberately (STYLE.md habit 11):
 *   autoEscape: true      every `<%= x %>` goes through the escape function; `<%~ x %>`
 *                         writes x raw (for the user's own shell text, such as run.command).
 *   escapeFunction        (the sandbox's) not HTML escaping (wrong for shell). It records
 *                         the value and leaves a token; after rendering, the shell-context
 *                         scanner (shell/scan.ts) finds each token's position and writes
 *                         the value quoted for it, exactly as for cloudmesh templates:
 *                         unquoted -> one POSIX word (shellQuote: 'it'\''s'), inside "..."
 *                         -> \-escaped, inside '...' -> '\'', here-document bodies, #SBATCH
 *                         lines and comments -> single line, raw or escaped as they need.
 *                         So `<%= x %>`, `"<%= x %>"` and `'<%= x %>'` all pass x unchanged
 *                         and none can run it. An undefined value is an error (typo guard).
 *   autoTrim: false       newlines after tags are kept; write `-%>` to drop one.
 *   debug: true           errors name the template line.
 *
 * The template context `it`:
 *   it.params       this bundle's parameters (resolved), e.g. it.params.epoch
 *   it.experiment   the same object (cloudmesh spelling)
 *   it.config       the whole resolved config (it.config.run.command, it.config.data, ...)
 *   it.host         the host profile (name, hostname, user, home, workdir, directives, ...)
 *   it.directives   merged directives: profile defaults < profile directives[experiment.directive
 *                   ?? experiment.gpu] < config resources (partition, time, mem, setup, ...)
 *   it.bundle       { id, index, script }
 *   it.scheduler    'slurm' | 'lsf' | 'bash'
 *   it.sh(v)        v quoted as one shell word: use it raw, `<%~ it.sh(v) %>` (inside the
 *                   sandbox a token, replaced by the quoted word after rendering)
 *   it.sbatch       the #SBATCH (slurm) or #BSUB (lsf) block for this bundle; '' for bash
 *   it.setup        it.directives.setup: shell lines (module loads), [] if none
 * Values the host profile does not know ({os.NAME}) are written as "${NAME}" by <%= %>
 * and as ${NAME} by <%~ %>, for the job's shell to expand.
 */
import { Eta, EtaParseError } from 'eta/core';
import { diag, type Diagnostic } from '../diagnostics/index.js';
import { deferredToText } from '../syntax/deferred.js';
import { substituteSlots } from '../shell/context.js';
import { shellQuote, ShellQuoteError } from '../shell/quote.js';
import { blockingProblems, scanShell } from '../shell/scan.js';
import { RENDER_CODES as C } from './codes.js';
import { compileInSandbox, ForbiddenCode, renderInSandbox, RENDER_TIMEOUT_MS, type Carried, type SandboxOutput, type SandboxTemplate } from './sandbox.js';
import type { TemplateSource } from './template.js';

/**
 * Eta turns template text into a function body; the body runs in the sandbox
 * (sandbox.ts), never here, so the escape and filter functions below are never called:
 * the sandbox gives the body its own (which record the value and leave a token).
 */
const eta = new Eta({
  autoEscape: true,
  escapeFunction: () => {
    throw new Error('eegen: Eta template code ran outside the sandbox');
  },
  autoTrim: false,
  debug: true,
  cache: false,
  useWith: false,
  varName: 'it',
  rmWhitespace: false,
});

/** Lines of the sandbox's wrapper before the body (sandbox.ts compileInSandbox). */
const WRAPPER_LINES = 3;

/** Characters the sandbox uses for its tokens; a template holding them is refused. */
// eslint-disable-next-line no-control-regex
const TOKEN_CHARS = /[\u0001-\u0004]/;

/**
 * A compiled template; `stuck`: one render ran past the time limit, so every later bundle
 * gets the same error at once instead of waiting out the limit again.
 */
type Compiled = { t: SandboxTemplate; tokenChar: boolean; stuck?: Diagnostic; rendered: boolean; msPerRender: number } | { error: Diagnostic };
/** By file and text: worker threads get a fresh TemplateSource object with every batch. */
const compiled = new Map<string, Compiled>();

/** The template line of generated line `generated` (1-based) of `body`, from Eta's `__eta.line=N` markers. */
function templateLine(body: string, generated: number): number {
  const lines = body.split('\n');
  let line = 1;
  for (let i = 0; i < Math.min(generated, lines.length); i++) {
    const l = /^__eta\.line=(\d+)$/.exec(lines[i]!);
    if (l) line = Number(l[1]);
  }
  return line;
}

function compile(t: TemplateSource): Compiled {
  const key = `${t.file}\0${t.text}`;
  let c = compiled.get(key);
  if (c) return c;
  c = compileNow(t);
  if (compiled.size >= 64) compiled.clear();
  compiled.set(key, c);
  return c;
}

function compileNow(t: TemplateSource): Compiled {
  let body: string;
  try {
    body = eta.compileToString(t.text);
  } catch (e) {
    if (!(e instanceof EtaParseError)) throw e;
    const tag = /^(.*?) at line (\d+) col (\d+)/.exec(e.message);
    const line = tag ? Number(tag[2]) : 1;
    return { error: diag(C.etaSyntax, tag ? `Template syntax error: ${tag[1]} (line ${tag[2]}, column ${tag[3]}).` : `Template syntax error: ${e.message.split('\n')[0]}.`, { file: t.file, line }, 'Check that every <% has a matching %> and that strings in template code are closed.') };
  }
  try {
    const code = templateCode(t.text);
    return { t: compileInSandbox(body, code.map((c) => c.val), 'eta-template'), tokenChar: TOKEN_CHARS.test(t.text), rendered: false, msPerRender: 0 };
  } catch (e) {
    if (e instanceof ForbiddenCode) {
      const line = templateCode(t.text)[e.part]?.line ?? 0;
      return { error: diag(C.etaSyntax, `Template code uses ${e.message}.`, line ? { file: t.file, line } : { file: t.file }, 'Compute values with plain synchronous code; the template context (it.*) holds everything eegen gives a template.') };
    }
    if (!(e instanceof Error) || e.name !== 'SyntaxError') throw e;
    const m = /eta-template:(\d+)/.exec(e.stack ?? '');
    const line = m ? templateLine(body, Number(m[1]) - WRAPPER_LINES) : 1;
    return { error: diag(C.etaSyntax, `Template code on line ${line} is not valid JavaScript: ${e.message}.`, { file: t.file, line }, 'Check the JavaScript inside <% %> on that line (braces of if/for blocks must balance across tags).') };
  }
}

/** The JavaScript of the template's `<% %>`, `<%= %>` and `<%~ %>` tags (not its text). */
function templateCode(text: string): { val: string; line: number }[] {
  return eta.parse(text).flatMap((n) => (typeof n === 'string' ? [] : [{ val: n.val, line: (n as { lineNo?: number }).lineNo ?? 0 }]));
}

/** Where a diagnostic about template line `line` points (line 0: unknown). */
const at = (t: TemplateSource, line: number) => (line ? { file: t.file, line } : { file: t.file });

/** `it.sh` words: each token replaced by the value as one shell word (or the problem). */
function placeWords(text: string, words: { v: Carried; line: number }[], t: TemplateSource, diagnostics: Diagnostic[]): string {
  if (!words.length) return text;
  return text.replace(/\u0003(\d+)\u0004/g, (_m, i: string) => {
    const w = words[Number(i)];
    if (!w) return '';
    try {
      return shellQuote(w.v);
    } catch (e) {
      if (!(e instanceof ShellQuoteError)) throw e;
      diagnostics.push(diag(C.unsafeValue, `A value on line ${w.line || '?'} cannot be written into the script: ${e.message}.`, at(t, w.line), 'Change the value; control characters (and newlines in directive lines) cannot be passed safely.'));
      return '';
    }
  });
}


/** A batch aims at this share of the time limit, from the template's measured render time. */
const BATCH_MS = 50;
const MAX_BATCH = 128;

/**
 * Render several bundles' scripts with one template. Renders go to the sandbox in batches
 * (a first one of one bundle, then as many as fit in BATCH_MS at the speed measured so
 * far), so a slow template still gets the whole time limit per bundle. Each context
 * crosses as JSON text (`it.sh` is the sandbox's own, so contexts hold plain data only).
 */
export function renderEtaMany(t: TemplateSource, its: readonly Record<string, unknown>[]): { text?: string; diagnostics: Diagnostic[] }[] {
  const c = compile(t);
  if ('error' in c) return its.map(() => ({ diagnostics: [c.error] }));
  if (c.tokenChar) return its.map(() => ({ diagnostics: [diag(C.unsafeValue, 'The template contains a control character between U+0001 and U+0004.', { file: t.file }, 'Remove it; eegen uses these internally.')] }));
  const out: { text?: string; diagnostics: Diagnostic[] }[] = [];
  while (out.length < its.length) {
    if (c.stuck) {
      out.push({ diagnostics: [c.stuck] });
      continue;
    }
    const n = Math.min(its.length - out.length, c.rendered ? Math.max(1, Math.min(MAX_BATCH, Math.floor(BATCH_MS / Math.max(c.msPerRender, 1e-3)))) : 1);
    const data = its.slice(out.length, out.length + n).map((it) => JSON.stringify(it));
    const t0 = performance.now();
    const r = renderInSandbox(c.t, data);
    if ('timeout' in r) {
      c.stuck = diag(C.etaTimeout, `The template did not finish rendering within ${RENDER_TIMEOUT_MS / 1000} s (a loop that never ends?).`, { file: t.file }, 'Check the loops in the template code (<% %>); a template renders one bundle in milliseconds.');
      continue;
    }
    // A running average of the speed decides the size of later batches.
    const ms = (performance.now() - t0) / n;
    c.msPerRender = c.rendered ? 0.7 * c.msPerRender + 0.3 * ms : ms;
    c.rendered = true;
    for (const x of r) out.push('error' in x ? { diagnostics: [runtimeDiagnostic(t, x.error.message, x.error.line)] } : finish(t, x.ok));
  }
  return out;
}

/** Quote each value for where its token landed in the rendered text. */
function finish(t: TemplateSource, r: SandboxOutput): { text?: string; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const raw = placeWords(r.raw, r.words, t, diagnostics);
  const values = r.values.map((x) => ({ line: x.line, value: typeof x.v === 'string' ? placeWords(x.v, r.words, t, diagnostics) : x.v }));
  if (diagnostics.length) return { diagnostics };
  const scan = scanShell(raw, { tokens: true });
  const problems = blockingProblems(scan);
  if (problems.length) {
    for (const p of problems)
      diagnostics.push(diag(C.unbalancedTemplate, `The rendered ${t.outputName}: ${p.message}, so eegen cannot tell how to quote the <%= %> values after it.`, { file: t.outputName, line: p.line }, `Close the quote, substitution or here-document in ${t.file}.`));
    return { diagnostics };
  }
  if (scan.slots.length !== values.length) {
    // A token the scanner did not see as a slot (a backslash right before `<%= %>` escapes
    // its first character) would leave the value out of the script: refuse instead.
    const seen = new Set(scan.slots.map((s) => Number(s.name)));
    for (const [i, v] of values.entries()) {
      if (seen.has(i)) continue;
      diagnostics.push(diag(C.unsafeValue, `The <%= %> value on line ${v.line || '?'} cannot be placed: a backslash right before the tag would escape it.`, at(t, v.line), 'Remove the backslash before <%= %>; the value is quoted for its position anyway.'));
    }
    return { diagnostics };
  }
  const { text, failures } = substituteSlots(raw, scan.slots, (slot) => {
    const value = values[Number(slot.name)]!.value;
    // Lists give one word per element where words are possible.
    return Array.isArray(value) ? { words: value } : value;
  });
  for (const f of failures) {
    const line = values[Number(f.slot.name)]!.line;
    diagnostics.push(diag(C.unsafeValue, `The <%= %> value on line ${line || '?'} cannot be placed safely: ${f.error.message}.`, at(t, line), 'Change the value, or move the tag to an unquoted position where it becomes one shell word.'));
  }
  if (failures.length) return { diagnostics };
  // Raw output (<%~ %>) may carry deferred environment values: the shell expands ${NAME}.
  return { text: deferredToText(text), diagnostics };
}

function runtimeDiagnostic(t: TemplateSource, message: string, line: number): Diagnostic {
  return diag(
    C.etaRuntime,
    `Template code on line ${line || '?'} failed: ${message}.`,
    at(t, line),
    'Check the names used there; the template context is it.params, it.config, it.host, it.directives, it.bundle, it.sh, it.sbatch, it.setup.',
  );
}
