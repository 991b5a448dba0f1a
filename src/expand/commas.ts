/**
 * The cloudmesh string grammar of a sweep value.
 *
 * - The string is split at commas into items; each item is trimmed. A comma inside a
 *   bracket range does not split (`"[1-2,5]"` is one item), and `\,` is a literal comma.
 *   A string without commas is a one-item list.
 * - Each `[...]` in an item is a hostlist range: comma-separated numbers or inclusive
 *   `lo-hi` ranges (`[1-2,5]` -> 1,2,5). Numbers are zero-padded to the width of `lo`, so
 *   `[01-03]` -> 01,02,03 and `[8-10]` -> 8,9,10. Text around it is kept (`n[1-2]` ->
 *   n1,n2); several ranges in one item give their product, the first varying slowest.
 *   `\[` and `\]` are literal brackets, `\\` a backslash; other backslashes stay as they are.
 * - Items that are canonical decimal numbers (`/^-?(0|[1-9]\d*)(\.\d+)?$/`, at most 15
 *   significant digits so the number is exact) become numbers; everything else stays a
 *   string: "01" stays "01", "True" stays "True", "{data.dir}" stays as written. All
  items of a zero-padded bracket range stay strings (`[08-10]` -> "08","09","10"), so
  one key never mixes "09" and 10.
 */
import type { Value } from '../types.js';
import { MAX_DIMENSION_VALUES } from './codes.js';

export interface ItemError {
  kind: 'empty' | 'hostlist' | 'size';
  message: string;
  hint: string;
  /** Offset and length inside the string. */
  offset: number;
  length: number;
}

const CANONICAL = /^-?(0|[1-9]\d*)(\.\d+)?$/;
const ESCAPABLE = new Set([',', '[', ']', '\\']);

export function toItemValue(text: string): Value {
  return CANONICAL.test(text) && text.replace(/^-?0*|\./g, '').length <= 15 ? Number(text) : text;
}

/** Expand a comma string; all problems are returned, not only the first. */
export function expandCommaString(text: string): { values: Value[]; errors: ItemError[] } {
  const values: Value[] = [];
  const errors: ItemError[] = [];
  if (!text.trim()) {
    errors.push({ kind: 'empty', message: 'The sweep value is an empty string.', hint: 'Give at least one value, e.g. "1,2,3", or remove the key.', offset: 0, length: text.length });
    return { values, errors };
  }
  for (const item of splitItems(text)) {
    if (!item.text) {
      errors.push({ kind: 'empty', message: 'The comma string has an empty item.', hint: 'Remove the extra comma, or write a literal comma as \\,.', offset: item.offset, length: 1 });
      continue;
    }
    const expanded = expandItem(item.text, item.offset);
    if ('error' in expanded) errors.push(expanded.error);
    else for (const s of expanded.strings) values.push(expanded.padded ? s : toItemValue(s));
    if (values.length > MAX_DIMENSION_VALUES) {
      errors.push({ kind: 'size', message: `The value expands to more than ${MAX_DIMENSION_VALUES} items.`, hint: 'Split the sweep or use sampling over smaller ranges.', offset: 0, length: text.length });
      break;
    }
  }
  return { values, errors };
}

/** Items at top-level commas (outside brackets, not escaped), trimmed, with their offsets. */
function splitItems(text: string): Array<{ text: string; offset: number }> {
  const items: Array<{ text: string; offset: number }> = [];
  let depth = 0;
  let start = 0;
  const push = (end: number) => {
    const raw = text.slice(start, end);
    const lead = raw.length - raw.trimStart().length;
    items.push({ text: raw.trim(), offset: start + lead });
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '\\' && ESCAPABLE.has(text[i + 1] ?? '')) i++;
    else if (c === '[') depth++;
    else if (c === ']') depth = Math.max(0, depth - 1);
    else if (c === ',' && depth === 0) {
      push(i);
      start = i + 1;
    }
  }
  push(text.length);
  return items;
}

/** One item: literal text and bracket ranges, expanded to their product. */
function expandItem(item: string, base: number): { strings: string[]; padded: boolean } | { error: ItemError } {
  let strings = [''];
  let padded = false;
  let literal = '';
  const flush = () => {
    if (literal) strings = strings.map((s) => s + literal);
    literal = '';
  };
  for (let i = 0; i < item.length; i++) {
    const c = item[i]!;
    if (c === '\\' && ESCAPABLE.has(item[i + 1] ?? '')) {
      literal += item[++i];
    } else if (c === ']') {
      return { error: hostlistError(`Unmatched ']' in '${item}'.`, base + i, 1) };
    } else if (c === '[') {
      const close = item.indexOf(']', i + 1);
      const nested = item.indexOf('[', i + 1);
      if (close < 0 || (nested >= 0 && nested < close)) return { error: hostlistError(`Unclosed '[' in '${item}'.`, base + i, item.length - i) };
      const range = expandBrackets(item.slice(i + 1, close), base + i + 1);
      if ('error' in range) return range;
      flush();
      padded ||= range.padded;
      if (strings.length * range.strings.length > MAX_DIMENSION_VALUES) {
        return { error: { kind: 'size', message: `'${item}' expands to more than ${MAX_DIMENSION_VALUES} items.`, hint: 'Use smaller ranges.', offset: base + i, length: close - i + 1 } };
      }
      strings = strings.flatMap((s) => range.strings.map((r) => s + r));
      i = close;
    } else {
      literal += c;
    }
  }
  flush();
  return { strings, padded };
}

function hostlistError(message: string, offset: number, length: number): ItemError {
  return { kind: 'hostlist', message, hint: 'A bracket range lists numbers and inclusive ranges, e.g. "[1-4]", "[01-10]" or "[1-2,5]"; write \\[ for a literal bracket.', offset, length };
}

/** The inside of `[...]`: `1-3,7` -> 1,2,3,7, zero-padded to each range's first number. */
function expandBrackets(content: string, base: number): { strings: string[]; padded: boolean } | { error: ItemError } {
  const strings: string[] = [];
  let padded = false;
  let offset = 0;
  for (const part of content.split(',')) {
    const at = base + offset + (part.length - part.trimStart().length);
    offset += part.length + 1;
    const m = /^(\d{1,15})(?:-(\d{1,15}))?$/.exec(part.trim());
    if (!m) {
      const what = part.trim() ? `'${part.trim()}' is not a number or a number range` : 'a bracket range has an empty part';
      return { error: hostlistError(`Invalid bracket range: ${what}.`, at, Math.max(1, part.trim().length)) };
    }
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    if (hi < lo) return { error: hostlistError(`Invalid bracket range: '${part.trim()}' runs backwards.`, at, part.trim().length) };
    if (strings.length + hi - lo + 1 > MAX_DIMENSION_VALUES) {
      return { error: { kind: 'size', message: `The bracket range '${part.trim()}' has more than ${MAX_DIMENSION_VALUES} values.`, hint: 'Use a smaller range.', offset: at, length: part.trim().length } };
    }
    const width = m[1]!.length;
    padded ||= width > 1 && m[1]!.startsWith('0');
    for (let n = lo; n <= hi; n++) strings.push(String(n).padStart(width, '0'));
  }
  return { strings, padded };
}
