/**
 * Eta templates (*.eta). The only import site of `eta`.
 *
 * Eta is configured for shell, deliberately (STYLE.md habit 11):
 *   autoEscape: true      every `<%= x %>` goes through the escape function; `<%~ x %>`
 *                         writes x raw (for the user's own shell text, such as run.command).
 *   escapeFunction        not HTML escaping (wrong for shell). It records the value and
 *                         leaves a token; after rendering, the shell-context scanner
 *                         (shell/scan.ts) finds each token's position and writes the value
 *                         quoted for it, exactly as for cloudmesh templates: unquoted ->
 *                         one POSIX word (shellQuote: 'it'\''s'), inside "..." -> \-escaped,
 *                         inside '...' -> '\'', here-document bodies, #SBATCH lines and
 *                         comments -> single line, raw or escaped as they need. So
 *                         `<%= x %>`, `"<%= x %>"` and `'<%= x %>'` all pass x unchanged
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
 *   it.sh(v)        v quoted as one shell word, as text: use it raw, `<%~ it.sh(v) %>`
 *   it.sbatch       the #SBATCH (slurm) or #BSUB (lsf) block for this bundle; '' for bash
 *   it.setup        it.directives.setup: shell lines (module loads), [] if none
 * Values the host profile does not know ({os.NAME}) are written as "${NAME}" by <%= %>
 * and as ${NAME} by <%~ %>, for the job's shell to expand.
 */
import vm from 'node:vm';
import { Eta, EtaParseError, EtaRuntimeError, type TemplateFunction } from 'eta/core';
import { diag, type Diagnostic } from '../diagnostics/index.js';
import { deferredToText } from '../resolve/deferred.js';
import { substituteSlots } from '../shell/context.js';
import { scalarText, ShellQuoteError } from '../shell/quote.js';
import { blockingProblems, scanShell } from '../shell/scan.js';
import { RENDER_CODES as C } from './codes.js';
import type { TemplateSource } from './template.js';

/** Values of the `<%= %>` tags of the render in progress (rendering is synchronous). */
let recorded: { value: unknown; line: number }[] | undefined;

function recordValue(this: { line?: number } | undefined, value: unknown): string {
  if (!recorded) throw new Error('eegen: Eta template rendered outside renderEta');
  if (value === undefined) throw new Error('<%= %> got undefined (a misspelled name, or a key this config does not have?)');
  recorded.push({ value, line: this?.line ?? 0 });
  return `\u0001${recorded.length - 1}\u0002`;
}

const eta = new Eta({
  autoEscape: true,
  escapeFunction: recordValue,
  autoTrim: false,
  debug: true,
  cache: false,
  useWith: false,
  varName: 'it',
  rmWhitespace: false,
});

/** A compiled template; `soh`: its text contains U+0001 (checked once per template, not per render). */
type Compiled = { fn: TemplateFunction; soh: boolean } | { error: Diagnostic };
const compiled = new WeakMap<TemplateSource, Compiled>();

/** The template line of a JS syntax error in template code, found by compiling the generated function with a file name. */
function syntaxErrorLine(t: TemplateSource): { line: number; message: string } | undefined {
  let src: string;
  try {
    src = eta.compileToString(t.text);
  } catch {
    return undefined;
  }
  try {
    new vm.Script(`(function (it, options) {\n${src}\n})`, { filename: 'eta-template' });
  } catch (e) {
    if (!(e instanceof SyntaxError)) return undefined;
    const m = /eta-template:(\d+)/.exec(e.stack ?? '');
    const generated = m ? Number(m[1]) - 2 : -1;
    const lines = src.split('\n');
    let line = 1;
    for (let i = 0; i <= Math.min(generated, lines.length - 1); i++) {
      const l = /^__eta\.line=(\d+)$/.exec(lines[i]!);
      if (l) line = Number(l[1]);
    }
    return { line, message: e.message };
  }
  return undefined;
}

function compile(t: TemplateSource): Compiled {
  let c = compiled.get(t);
  if (c) return c;
  try {
    c = { fn: eta.compile(t.text), soh: t.text.includes('\u0001') };
  } catch (e) {
    if (!(e instanceof EtaParseError)) throw e;
    const tag = /^(.*?) at line (\d+) col (\d+)/.exec(e.message);
    if (tag) c = { error: diag(C.etaSyntax, `Template syntax error: ${tag[1]} (line ${tag[2]}, column ${tag[3]}).`, { file: t.file, line: Number(tag[2]) }, 'Check that every <% has a matching %> and that strings in template code are closed.') };
    else {
      const found = syntaxErrorLine(t);
      c = { error: diag(C.etaSyntax, `Template code on line ${found?.line ?? '?'} is not valid JavaScript: ${found?.message ?? 'syntax error'}.`, { file: t.file, line: found?.line ?? 1 }, 'Check the JavaScript inside <% %> on that line (braces of if/for blocks must balance across tags).') };
    }
  }
  compiled.set(t, c);
  return c;
}

export function renderEta(t: TemplateSource, it: Record<string, unknown>): { text?: string; diagnostics: Diagnostic[] } {
  const c = compile(t);
  if ('error' in c) return { diagnostics: [c.error] };
  if (c.soh) return { diagnostics: [diag(C.unsafeValue, 'The template contains the control character U+0001.', { file: t.file }, 'Remove it; eegen uses it internally.')] };
  let raw: string;
  const values: { value: unknown; line: number }[] = [];
  recorded = values;
  try {
    raw = c.fn.call(eta, it, {});
  } catch (e) {
    if (!(e instanceof EtaRuntimeError)) throw e;
    return { diagnostics: [runtimeDiagnostic(t, e)] };
  } finally {
    recorded = undefined;
  }
  const scan = scanShell(raw, { tokens: true });
  const diagnostics: Diagnostic[] = [];
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
      const where = v.line ? { file: t.file, line: v.line } : { file: t.file };
      diagnostics.push(diag(C.unsafeValue, `The <%= %> value on line ${v.line || '?'} cannot be placed: a backslash right before the tag would escape it.`, where, 'Remove the backslash before <%= %>; the value is quoted for its position anyway.'));
    }
    return { diagnostics };
  }
  const { text, failures } = substituteSlots(raw, scan.slots, (slot) => {
    const value = values[Number(slot.name)]!.value;
    // Lists give one word per element where words are possible.
    return Array.isArray(value) ? { words: value } : scalarText(value);
  });
  for (const f of failures) {
    const line = values[Number(f.slot.name)]!.line;
    diagnostics.push(diag(C.unsafeValue, `The <%= %> value on line ${line || '?'} cannot be placed safely: ${f.error.message}.`, line ? { file: t.file, line } : { file: t.file }, 'Change the value, or move the tag to an unquoted position where it becomes one shell word.'));
  }
  if (failures.length) return { diagnostics };
  // Raw output (<%~ %>) may carry deferred environment values: the shell expands ${NAME}.
  return { text: deferredToText(text), diagnostics };
}

function runtimeDiagnostic(t: TemplateSource, e: EtaRuntimeError): Diagnostic {
  const cause = e.cause instanceof Error ? e.cause : undefined;
  const line = Number(/^(?:.*:|line )(\d+)\n/.exec(e.message)?.[1] ?? 0) || undefined;
  const where = line ? { file: t.file, line } : { file: t.file };
  if (cause instanceof ShellQuoteError) {
    return diag(C.unsafeValue, `A value on line ${line ?? '?'} cannot be written into the script: ${cause.message}.`, where, 'Change the value; control characters (and newlines in directive lines) cannot be passed safely.');
  }
  return diag(
    C.etaRuntime,
    `Template code on line ${line ?? '?'} failed: ${cause?.message ?? e.message}.`,
    where,
    'Check the names used there; the template context is it.params, it.config, it.host, it.directives, it.bundle, it.sh, it.sbatch, it.setup.',
  );
}
