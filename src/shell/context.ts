/**
 * Escaping a value for the position a placeholder occupies (see scan.ts for how the
 * position is found), and substituting all placeholders of a scanned text.
 *
 *   unquoted         one word via shellQuote: 'it'\''s', bare when safe
 *   '...'            close, escape, reopen: it'\''s
 *   "..."            backslash before \ $ ` "
 *   $'...'           backslash before \ and '
 *   ${VAR:-word}     only bare-safe words ([A-Za-z0-9_@%+=:,./-]); bash's quoting rules
 *                    inside ${...} differ between contexts, so anything else is refused
 *   comment          raw, single line
 *   #SBATCH/#BSUB    one word for the scheduler's own word splitting (shell/directive.ts);
 *   #SLURM/#PBS      every such line is re-read after substitution and refused unless each
 *                    value is exactly one word with its exact bytes
 *   <<EOF body       backslash before \ $ `
 *   <<'EOF' body     raw
 *   here-documents   a value may never produce the delimiter line
 *   `...`            the result for the inner position, with \ and ` escaped once more
 *
 * Deferred environment values become `"${NAME}"` / `${NAME}` where the shell expands
 * them, and are refused where nothing expands them (directives, quoted here-documents).
 */
import { hasDeferred, splitDeferred } from '../syntax/deferred.js';
import { directiveKind, firstCommandOffset, placeDirectiveValue, startsDirective, verifyDirectiveLine, type DirectiveKind } from './directive.js';
import { checkText, isBareWord, shellQuote, ShellQuoteError } from './quote.js';
import type { Slot } from './scan.js';

function mapParts(value: string, env: (name: string) => string, text: (t: string) => string): string {
  // Fast path: without markers the whole value is one literal part.
  if (!hasDeferred(value)) return text(value);
  return splitDeferred(value)
    .map((p) => ('env' in p ? env(p.env) : text(p.text)))
    .join('');
}

function notExpanded(where: string): (name: string) => string {
  return (name) => {
    throw new ShellQuoteError('unsafe', `the value uses $\{${name}\}, which is only known at run time, but nothing expands variables in ${where}`);
  };
}

/** Several values that become one word each where words are possible (Eta lists). */
export interface Words {
  words: unknown[];
}

/**
 * The text that replaces `slot` for `value` (a string that may hold deferred markers;
 * `Words` give one quoted word per element in unquoted positions, their JSON text elsewhere).
 */
export function placeValue(value: string | Words, slot: Pick<Slot, 'context' | 'inBackticks'>): string {
  if (typeof value !== 'string') {
    if (slot.context !== 'unquoted') return placeValue(JSON.stringify(value.words), slot);
    const words = shellQuote(value.words);
    return slot.inBackticks ? words.replace(/[\\`]/g, '\\$&') : words;
  }
  // Sweeps place the same few values in the same positions thousands of times.
  const kind = slot.inBackticks ? `${slot.context}\`` : slot.context;
  const memo = (placed[kind] ??= new Map());
  const known = memo.get(value);
  if (known !== undefined) return known;
  const out = placeText(value, slot);
  if (memo.size >= PLACED_MAX) memo.clear();
  memo.set(value, out);
  return out;
}

/** placeValue's results by position kind (and backticks), then value (a refused value throws each time, so it is never kept). */
const placed: Record<string, Map<string, string>> = Object.create(null);
const PLACED_MAX = 20_000;

function placeText(value: string, slot: Pick<Slot, 'context' | 'inBackticks'>): string {
  let out: string;
  switch (slot.context) {
    case 'unquoted':
      out = shellQuote(value);
      break;
    case 'single':
      out = mapParts(
        value,
        (name) => `'"\${${name}}"'`,
        (t) => (checkText(t), t.replace(/'/g, `'\\''`)),
      );
      break;
    case 'double':
      out = mapParts(
        value,
        (name) => `\${${name}}`,
        (t) => (checkText(t), t.replace(/[\\$`"]/g, '\\$&')),
      );
      break;
    case 'ansi':
      out = mapParts(
        value,
        (name) => `'"\${${name}}"$'`,
        (t) => (checkText(t), t.replace(/[\\']/g, '\\$&')),
      );
      break;
    case 'param':
      out = mapParts(
        value,
        (name) => `\${${name}}`,
        (t) => {
          if (t !== '' && !isBareWord(t)) throw new ShellQuoteError('unsafe', 'inside ${...} only values made of letters, digits and _@%+=:,./- can be placed safely');
          return t;
        },
      );
      break;
    case 'comment':
      out = mapParts(
        value,
        (name) => `\${${name}}`,
        (t) => (checkText(t, true), t),
      );
      break;
    case 'directive':
      out = mapParts(value, notExpanded('#SBATCH/#BSUB lines'), (t) => (checkText(t, true), t));
      break;
    case 'heredoc':
      out = mapParts(
        value,
        (name) => `\${${name}}`,
        (t) => (checkText(t), t.replace(/[\\$`]/g, '\\$&')),
      );
      break;
    case 'heredoc-quoted':
      out = mapParts(value, notExpanded("a quoted here-document (<<'EOF')"), (t) => (checkText(t), t));
      break;
  }
  return slot.inBackticks ? out.replace(/[\\`]/g, '\\$&') : out;
}

/** What substituteSlots needs to know of each slot that the template alone decides. */
interface SlotInfo {
  /** The directive kind of the slot's line (undefined: not a directive line). */
  kinds: (DirectiveKind | undefined)[];
  /** The slot starts its line. */
  atLineStart: boolean[];
  /** Some check reads output lines by template offsets (directive lines, here-documents). */
  shifts: boolean;
}

/** Per scanned template (its slots array), computed once: a sweep substitutes the same slots thousands of times. */
const slotInfos = new WeakMap<readonly Slot[], SlotInfo>();

function slotInfo(text: string, slots: readonly Slot[]): SlotInfo {
  let info = slotInfos.get(slots);
  if (info && info.kinds.length === slots.length) return info;
  const kinds = slots.map((s) => directiveKind(text.slice(s.lineStart, s.lineEnd)));
  info = { kinds, atLineStart: slots.map((s) => s.start === 0 || text[s.start - 1] === '\n'), shifts: kinds.some(Boolean) || slots.some((s) => s.heredocs.length > 0) };
  slotInfos.set(slots, info);
  return info;
}

export interface SlotFailure {
  slot: Slot;
  error: ShellQuoteError;
}

/**
 * Replace each slot by `valueOf(slot, its index)` escaped for its position, or by `{ raw }` as is
 * (eegen's own generated text, such as a directive block). `valueOf` returns undefined
 * to leave the placeholder as written (not a placeholder here, or already reported).
 * Refused values are listed in `failures`; the text must not be used then.
 */
export function substituteSlots(text: string, slots: readonly Slot[], valueOf: (slot: Slot, index: number) => string | Words | { raw: string } | undefined /* may throw ShellQuoteError */): { text: string; failures: SlotFailure[] } {
  const failures: SlotFailure[] = [];
  let out = '';
  const info = slotInfo(text, slots);
  /** The output offset shift after each slot, to find a template line in the output (kept only when a check needs it). */
  const shiftAfter: number[] | undefined = info.shifts ? new Array<number>(slots.length).fill(0) : undefined;
  /** Values placed by eegen's quoting (not raw blocks) that a check below reads: where they landed in the output. */
  const placedAt: { slot: Slot; kind: DirectiveKind | undefined; value: string; outStart: number; placed: string }[] = [];
  let shift = 0;
  let last = 0;
  // The output of the current line up to `lineLast` in the template (for directive lines).
  let lineOf = -1;
  let lineOut = '';
  let lineLast = 0;
  for (let i = 0; i < slots.length; i++) {
    const slot = slots[i]!;
    const lineKind = info.kinds[i];
    out += text.slice(last, slot.start);
    last = slot.start;
    if (slot.lineStart !== lineOf) {
      lineOf = slot.lineStart;
      lineOut = '';
      lineLast = slot.lineStart;
    }
    try {
      const value = valueOf(slot, i);
      if (value === undefined) {
        if (shiftAfter) shiftAfter[i] = shift;
        continue;
      }
      let placed: string;
      if (typeof value === 'object' && 'raw' in value) placed = value.raw;
      else {
        const s = typeof value === 'string' ? value : JSON.stringify(value.words);
        if (lineKind && (slot.context === 'directive' || slot.context === 'comment')) {
          if (hasDeferred(s)) notExpanded('#SBATCH/#BSUB lines')(splitDeferred(s).find((p) => 'env' in p)!.env as string);
          placed = placeDirectiveValue(s, lineOut + text.slice(lineLast, slot.start), lineKind);
        } else {
          // A scheduler reads this line too (sbatch reads #BSUB/#PBS lines anywhere near the top).
          if (lineKind && !isBareWord(s)) throw new ShellQuoteError('unsafe', 'the line starts with a scheduler directive, so only a plain value (letters, digits and _@%+=:,./-) can be placed here');
          placed = placeValue(value, slot);
        }
        // Read below: values on directive lines, and values that start a line (at one's start, or by a newline).
        if (lineKind || info.atLineStart[i] || placed.includes('\n')) placedAt.push({ slot, kind: lineKind, value: s, outStart: shift + slot.start, placed });
      }
      out += placed;
      if (lineKind) lineOut += text.slice(lineLast, slot.start) + placed;
      lineLast = slot.end;
      shift += placed.length - (slot.end - slot.start);
      last = slot.end;
    } catch (e) {
      if (!(e instanceof ShellQuoteError)) throw e;
      failures.push({ slot, error: e });
    }
    if (shiftAfter) shiftAfter[i] = shift;
  }
  out += text.slice(last);
  const shiftBefore = (offset: number): number => {
    // Binary search: the shift of the last slot ending at or before `offset` (slots are in text order).
    let lo = 0;
    let hi = slots.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (slots[mid]!.end <= offset) lo = mid + 1;
      else hi = mid;
    }
    return lo ? shiftAfter![lo - 1]! : 0;
  };
  if (failures.length) return { text: out, failures };
  // Every line a scheduler reads as a directive must be the template's: a value (with a
  // newline, or at the start of a line) must never make one. sbatch reads #SBATCH and
  // #SLURM lines only above the first command, but #PBS and #BSUB lines anywhere, and bsub
  // reads #BSUB lines anywhere (checked with real sbatch; IBM's bsub manual): so a value's
  // #SBATCH lines below the first command (`echo "{slurm.sbatch}"`) are text, the others never.
  let firstCommand: number | undefined;
  const read = (at: number): boolean => /^#(BSUB|PBS)/.test(out.slice(at, at + 5)) || (firstCommand ??= firstCommandOffset(out)) > at;
  for (const p of placedAt) {
    const starts = p.outStart === 0 || out[p.outStart - 1] === '\n' ? [p.outStart] : [];
    for (let k = p.placed.indexOf('\n'); k >= 0; k = p.placed.indexOf('\n', k + 1)) starts.push(p.outStart + k + 1);
    if (starts.some((at) => startsDirective(out, at) && read(at))) failures.push({ slot: p.slot, error: new ShellQuoteError('unsafe', 'the value would start a line that a scheduler reads as a directive (#SBATCH, #SLURM, #BSUB, #PBS)') });
  }
  // Re-read each directive line holding values the way the scheduler does.
  const byLine = new Map<number, typeof placedAt>();
  for (const p of placedAt) {
    if (!p.kind) continue;
    const l = byLine.get(p.slot.lineStart) ?? [];
    l.push(p);
    byLine.set(p.slot.lineStart, l);
  }
  for (const [lineStart, ps] of byLine) {
    const lineEnd = ps[0]!.slot.lineEnd;
    const markers = ps.map((_, k) => String.fromCodePoint(0xf0000 + k));
    let template = '';
    let pos = lineStart;
    ps.forEach((p, k) => {
      template += text.slice(pos, p.slot.start) + markers[k];
      pos = p.slot.end;
    });
    template += text.slice(pos, lineEnd);
    const output = out.slice(lineStart + shiftBefore(lineStart), lineEnd + shiftBefore(lineEnd));
    try {
      if (ps.some((p) => markers.some((m) => p.value.includes(m)))) throw new ShellQuoteError('unsafe', 'the value contains a private-use character eegen needs to check the line');
      verifyDirectiveLine(template, markers, ps.map((p) => p.value), output, directiveKind(template)!);
    } catch (e) {
      if (!(e instanceof ShellQuoteError)) throw e;
      failures.push({ slot: ps[0]!.slot, error: e });
    }
  }
  // A here-document ends at the first line equal to its delimiter; a value must never
  // produce one, or the rest of the body would run as commands.
  const checked = new Set<number>();
  for (const slot of slots) {
    if (!slot.heredocs.length || checked.has(slot.lineStart)) continue;
    checked.add(slot.lineStart);
    const lines = out.slice(slot.lineStart + shiftBefore(slot.lineStart), slot.lineEnd + shiftBefore(slot.lineEnd)).split('\n');
    for (const h of slot.heredocs) {
      if (lines.some((l) => (h.stripTabs ? l.replace(/^\t+/, '') : l) === h.delimiter)) {
        failures.push({ slot, error: new ShellQuoteError('unsafe', `the value would end the here-document early with a line "${h.delimiter}"`) });
      }
    }
  }
  return { text: out, failures };
}

