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
 *   significant digits so the number is exact) that print as written become numbers
 *   ("1.0", "1.50", "-0" stay strings, so they reach scripts as written); everything else
 *   stays a string: "01" stays "01", "True" stays "True", "{data.dir}" stays as written. All
 *   items of a zero-padded bracket range stay strings (`[08-10]` -> "08","09","10"), so
 *   one key never mixes "09" and 10.
 *
 * What cloudmesh-ee does, and so eegen. cloudmesh-ee (src/cloudmesh/ee/experimentexecutor.py,
 * update_from_file) expands every `experiment:` string with cloudmesh-common's
 * `Parameter.expand` (cloudmesh/common/parameter.py), which is:
 *   1. `expand_hostlist(value, allow_duplicates=False, sort=False)` from python-hostlist
 *      (hostlist.py): split at top-level commas, skip every empty part (`if part:`),
 *      expand brackets, then `remove_duplicates`: keep the first of each string, in order;
 *   2. the colon rule, on that list: split each string once at its first ':'. If exactly
 *      one string has a colon and it is the FIRST one, the text before that colon is put,
 *      with the ':', before every other string: `"gpu:a100,v100"` -> gpu:a100, gpu:v100,
 *      `"local:a0,[1-2]"` -> local:a0, local:1, local:2. In every other case the list is
 *      left as it is: no colon at all; a colon in two or more strings (`"gpu:a100,gpu:v100"`,
 *      `"02:00:00,04:00:00"`, and `"gpu:[1-2],x"`, where the range gives two colon
 *      strings, so x gets no prefix); or one colon that is not in the first string
 *      (`"a100,gpu:v100"`). A single string is never changed (`"02:00:00"`, `"a100:1"`,
 *      `"https://host/x"`). Only the first colon counts: `"a:b:c,d"` -> a:b:c, a:d.
 * eegen follows those steps, in that order (so `"gpu:a100,gpu:a100,v100"` drops the
 * repeat first and then prefixes: gpu:a100, gpu:v100), with these differences:
 *   - empty items and repeats are dropped with a warning (EG3007) that points at the item;
 *     a value that has nothing left (`","`) is an error (EG3002), as is `""`;
 *   - items are trimmed (cloudmesh keeps `" 2"` of `"1, 2"` as it is), so `"1, 1"` is a
 *     repeat and `" , 1"` has an empty item; the prefix of the colon rule is the first
 *     item up to its colon and the blanks after it (`"gpu: a100, v100"` -> "gpu: a100",
 *     "gpu: v100", as in cloudmesh; `"gpu:a100, v100"` -> "gpu:v100", without its " v100");
 *   - after the colon rule and the number reading, values that are equal are dropped too
 *     (EG3007): `"1,1.0"` (both the number 1) and `"gpu:a100,a100"` (cloudmesh gives
 *     gpu:a100 twice, two jobs with one directory);
 *   - the colon rule is not applied, with a warning (EG3008) at the first item, when that
 *     item's colon is plainly not a prefix: a time, where the text before the colon is a
 *     number (`00`, Slurm's days-hours `1-00`, or an ISO date and hour `2024-05-01T10`)
 *     and the text after it starts with a digit (`"00:05:00,10"`: cloudmesh makes 10 into
 *     "00:10"); or a URL or drive path, where the text after the colon starts with `/` or
 *     `\` (`"https://h/a,b"`: cloudmesh makes b into "https:b"). Prefixes that only look
 *     like paths are applied (`"nvcr.io/nvidia/pytorch:23.10,24.01"` -> two image tags).
 *     To keep items exactly as written, use a YAML list: its items are taken as they are.
 * The result is deterministic: values in cloudmesh's order, warnings in the order their
 * items stand in the value (at most MAX_WARNINGS, then one that counts the rest).
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

/** What eegen changed, as cloudmesh does (or, for 'prefix-kept', where it does not). */
export interface ItemWarning {
  /** 'dropped': an empty or a repeated item left out; 'prefix-kept': the colon rule not applied. */
  kind: 'dropped' | 'prefix-kept';
  message: string;
  hint: string;
  /** Offset and length inside the string. */
  offset: number;
  length: number;
}

const CANONICAL = /^-?(0|[1-9]\d*)(\.\d+)?$/;
const ESCAPABLE = new Set([',', '[', ']', '\\']);
/** Warnings listed for one value; the rest are counted in one more. */
const MAX_WARNINGS = 10;
/** Repeated values named in one warning; the rest are counted. */
const MAX_SHOWN = 5;
/** Text before a colon that makes it a time: `00`, `1-00` (Slurm days-hours), `2024-05-01T10`. */
const TIME_HEAD = /^(\d+(-\d+)?|\d{4}-\d\d-\d\d[T ]\d\d)$/;

export function toItemValue(text: string): Value {
  // A number only when it prints as written ("1.0", "0.10", "-0" stay strings): values reach
  // scripts and bundle names as the user wrote them (as load/yaml.ts keeps plain numbers).
  if (!CANONICAL.test(text) || text.replace(/^-?0*|\./g, '').length > 15) return text;
  const n = Number(text);
  return String(n) === text ? n : text;
}

interface Item {
  text: string;
  offset: number;
}

/** One string an item expanded to. */
interface Piece {
  text: string;
  /** From a zero-padded bracket range: stays a string. */
  padded: boolean;
  item: Item;
}

/**
 * Expand a comma string; all problems are returned, not only the first. `warnings`
 * say what was dropped or left as written; the values are good with them.
 */
export function expandCommaString(text: string): { values: Value[]; errors: ItemError[]; warnings: ItemWarning[] } {
  const errors: ItemError[] = [];
  const warnings: ItemWarning[] = [];
  if (!text.trim()) {
    errors.push({ kind: 'empty', message: 'The sweep value is an empty string.', hint: 'Give at least one value, e.g. "1,2,3", or remove the key.', offset: 0, length: text.length });
    return { values: [], errors, warnings };
  }
  const items = splitItems(text);
  const pieces: Piece[] = [];
  const counts = new Map<Item, number>();
  for (const [i, item] of items.entries()) {
    if (!item.text) {
      warnings.push(emptyItemWarning(text, item, i === items.length - 1));
      continue;
    }
    const expanded = expandItem(item.text, item.offset);
    if ('error' in expanded) errors.push(expanded.error);
    else {
      for (const s of expanded.strings) pieces.push({ text: s, padded: expanded.padded, item });
      counts.set(item, expanded.strings.length);
    }
    if (pieces.length > MAX_DIMENSION_VALUES) {
      errors.push({ kind: 'size', message: `The value expands to more than ${MAX_DIMENSION_VALUES} items.`, hint: 'Split the sweep or use sampling over smaller ranges.', offset: 0, length: text.length });
      break;
    }
  }
  if (errors.length) return { values: [], errors, warnings };
  if (!pieces.length) {
    errors.push({ kind: 'empty', message: 'The comma string has only empty items.', hint: 'Give at least one value, e.g. "1,2,3", or remove the key.', offset: 0, length: text.length });
    return { values: [], errors, warnings: [] };
  }

  // 1. cloudmesh's remove_duplicates: the first of each string, by its text.
  const dropped = new Map<Item, string[]>();
  const drop = (p: Piece, shown: string) => {
    const list = dropped.get(p.item) ?? [];
    list.push(shown);
    dropped.set(p.item, list);
  };
  const seenText = new Set<string>();
  const distinct: Piece[] = [];
  for (const p of pieces) {
    if (seenText.has(p.text)) drop(p, `'${p.text}'`);
    else {
      seenText.add(p.text);
      distinct.push(p);
    }
  }

  // 2. cloudmesh's colon rule: a prefix in the first string (and no other) goes before every other string.
  const prefixed = new Set<Piece>();
  const first = distinct[0]!;
  if (distinct.length > 1 && first.text.includes(':') && distinct.every((p, i) => i === 0 || !p.text.includes(':'))) {
    const colon = first.text.indexOf(':');
    const head = first.text.slice(0, colon);
    const tail = first.text.slice(colon + 1).trimStart();
    // With the blanks after the colon, as cloudmesh's untrimmed items have them: "gpu: a,b" -> "gpu: b".
    const prefix = first.text.slice(0, first.text.length - tail.length);
    const looks = TIME_HEAD.test(head) && /^\d/.test(tail) ? 'a time' : /^[/\\]/.test(tail) ? 'a URL or a path' : undefined;
    if (looks) {
      const other = distinct[1]!.text;
      warnings.push({
        kind: 'prefix-kept',
        message: `'${first.text}' is the only item with a colon, so cloudmesh would put '${head}:' before every other item ('${other}' -> '${head}:${other}'); eegen leaves the items as written, since '${first.text}' looks like ${looks}.`,
        hint: `Write every item in full (e.g. "${first.text},${head}:${other}" if the prefix is meant), or use a YAML list; then eegen and cloudmesh agree.`,
        offset: first.item.offset,
        length: first.item.text.length,
      });
    } else {
      for (const p of distinct.slice(1)) {
        p.text = `${prefix}${p.text}`;
        prefixed.add(p);
      }
    }
  }

  // 3. eegen's own: values that came out equal (`1,1.0`; `gpu:a100,a100` after the colon rule).
  const values: Value[] = [];
  const seenValue = new Map<string, Piece>();
  for (const p of distinct) {
    const value = p.padded ? p.text : toItemValue(p.text);
    const key = typeof value === 'number' ? `n${value === 0 ? 0 : value}` : `s${value as string}`;
    const earlier = seenValue.get(key);
    if (earlier) drop(p, prefixed.has(p) ? `'${p.text}' (with the first item's prefix)` : typeof value === 'number' && p.text !== earlier.text ? `${value} (as '${earlier.text}')` : `'${p.text}'`);
    else {
      seenValue.set(key, p);
      values.push(value);
    }
  }

  for (const [item, shown] of dropped) {
    const whole = counts.get(item) === 1;
    const listed = shown.length > MAX_SHOWN ? `${shown.slice(0, MAX_SHOWN).join(', ')} and ${shown.length - MAX_SHOWN} more` : shown.join(', ');
    warnings.push({
      kind: 'dropped',
      message: whole
        ? `The item '${item.text}' repeats ${shown[0] === `'${item.text}'` ? 'an earlier item' : `an earlier value: ${shown[0]}`}; it is dropped, as cloudmesh drops repeated values.`
        : `The item '${item.text}' gives ${listed} again; ${shown.length === 1 ? 'it is' : 'they are'} dropped, as cloudmesh drops repeated values.`,
      hint: 'Each value runs once: remove the repeat (to run a combination several times, use sweep.repeat).',
      offset: item.offset,
      length: item.text.length,
    });
  }
  warnings.sort((a, b) => a.offset - b.offset);
  if (warnings.length > MAX_WARNINGS) {
    const more = warnings.length - MAX_WARNINGS;
    warnings.length = MAX_WARNINGS;
    warnings.push({ kind: 'dropped', message: `${more} more items are dropped as empty or repeated (not listed).`, hint: 'Each value runs once: remove the repeats and the extra commas.', offset: 0, length: text.length });
  }
  return { values, errors, warnings };
}

/** An empty item points at its comma: the one after it, or for a last item the one before. */
function emptyItemWarning(text: string, item: Item, last: boolean): ItemWarning {
  const offset = last ? text.lastIndexOf(',', item.offset - 1) : item.offset;
  return {
    kind: 'dropped',
    message: 'The comma string has an empty item; it is dropped, as cloudmesh drops empty items.',
    hint: 'Remove the extra comma, or write a literal comma as \\,.',
    offset: Math.max(0, offset),
    length: 1,
  };
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
