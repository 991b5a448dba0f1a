/**
 * Line-level tools shared by the readers. Everything here is linear in the input: logs can
 * be 100 MB, so no regular expression runs over more than one short line, and no reader
 * splits the whole text into an array first.
 */

/**
 * Calls `fn` for each line (without its `\n` or `\r\n`), with the 1-based line number and
 * whether this is a last line that had no newline (possibly cut short by a crash).
 */
export function forEachLine(text: string, fn: (line: string, lineNo: number, unterminated: boolean) => void): void {
  let start = 0;
  let lineNo = 0;
  const n = text.length;
  while (start < n) {
    let end = text.indexOf('\n', start);
    const unterminated = end === -1;
    if (unterminated) end = n;
    lineNo++;
    let stop = end;
    if (stop > start && text.charCodeAt(stop - 1) === 13) stop--;
    fn(text.slice(start, stop), lineNo, unterminated);
    start = end + 1;
  }
}

/**
 * What a terminal would show of a log line: the text after its last carriage return.
 * Progress bars (tqdm, Keras) redraw with `\r` and no newline, so a status line printed
 * after one shares its "line" with the bar.
 */
export function lastSegment(line: string): string {
  const cr = line.lastIndexOf('\r');
  return cr < 0 ? line : line.slice(cr + 1);
}

/** Index of the first non-blank character at or after `i`. */
function skipBlanks(s: string, i: number): number {
  while (i < s.length && (s[i] === ' ' || s[i] === '\t')) i++;
  return i;
}

function isKeyChar(c: string | undefined, first: boolean): boolean {
  if (c === undefined) return false;
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c === '_') return true;
  return !first && ((c >= '0' && c <= '9') || c === '.' || c === '-');
}

/** If a `key=` starts at `i`, the index of its `=`; otherwise -1. */
function keyAt(s: string, i: number): number {
  if (!isKeyChar(s[i], true)) return -1;
  let j = i + 1;
  while (isKeyChar(s[j], false)) j++;
  return s[j] === '=' ? j : -1;
}

const ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', '"': '"', '\\': '\\' };

/**
 * Reads `key=value key="quoted \"value\"" ...`. A quoted value uses backslash escapes
 * (\" \\ \n \t \r). An unquoted value runs to the next blank that is followed by another
 * `key=`, so the legacy `msg=epoch 3 of 6 pid=12` (never quoted) still reads as
 * `msg: "epoch 3 of 6"`. Returns the pairs and, when the text could not be read to its end
 * (a quote left open), where it stopped.
 */
export function parseKeyValues(s: string): { fields: Record<string, string>; error?: string } {
  const fields: Record<string, string> = {};
  let i = skipBlanks(s, 0);
  while (i < s.length) {
    const eq = keyAt(s, i);
    if (eq < 0) return { fields, error: `expected key=value at column ${i + 1}` };
    const key = s.slice(i, eq);
    i = eq + 1;
    if (s[i] === '"') {
      // Copy runs of plain characters in one slice: a status line can be megabytes long.
      let value = '';
      let j = i + 1;
      let closed = false;
      while (j < s.length) {
        let k = j;
        while (k < s.length && s[k] !== '"' && s[k] !== '\\') k++;
        value += s.slice(j, k);
        if (k >= s.length) {
          j = k;
          break;
        }
        if (s[k] === '"') {
          closed = true;
          j = k + 1;
          break;
        }
        const next = s[k + 1];
        if (next === undefined) {
          value += '\\';
          j = k + 1;
          break;
        }
        value += ESCAPES[next] ?? next;
        j = k + 2;
      }
      fields[key] = value;
      if (!closed) return { fields, error: `quote after ${key}= is never closed` };
      i = skipBlanks(s, j);
      continue;
    }
    // Unquoted: extend over blanks until a blank is followed by `key=`.
    let j = i;
    for (;;) {
      while (j < s.length && s[j] !== ' ' && s[j] !== '\t') j++;
      const next = skipBlanks(s, j);
      if (next >= s.length || keyAt(s, next) >= 0) {
        fields[key] = s.slice(i, j);
        i = next;
        break;
      }
      j = next;
    }
  }
  return { fields };
}

/**
 * Splits one RFC-4180 CSV record (no newlines inside fields). Returns undefined when a
 * quoted field is malformed (text after its closing quote, or never closed), so callers
 * can fall back to a plain comma split for writers that never quoted.
 */
export function splitCsvStrict(s: string): string[] | undefined {
  const out: string[] = [];
  let i = 0;
  for (;;) {
    if (s[i] === '"') {
      let value = '';
      let j = i + 1;
      for (;;) {
        const q = s.indexOf('"', j);
        if (q < 0) return undefined;
        value += s.slice(j, q);
        if (s[q + 1] === '"') {
          value += '"';
          j = q + 2;
        } else {
          j = q + 1;
          break;
        }
      }
      out.push(value);
      if (j === s.length) return out;
      if (s[j] !== ',') return undefined;
      i = j + 1;
    } else {
      const comma = s.indexOf(',', i);
      if (comma < 0) {
        out.push(s.slice(i));
        return out;
      }
      out.push(s.slice(i, comma));
      i = comma + 1;
    }
  }
}

/**
 * JSON.parse that also accepts the bare `NaN`, `Infinity` and `-Infinity` Python's json
 * module writes by default; they become null. Returns undefined for anything else invalid.
 */
export function parseJsonLenient(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    if (!/NaN|Infinity/.test(text)) return { ok: false };
  }
  try {
    return { ok: true, value: JSON.parse(replaceNonFinite(text)) };
  } catch {
    return { ok: false };
  }
}

/** Replaces NaN / Infinity / -Infinity outside strings with null, in one pass. */
function replaceNonFinite(text: string): string {
  let out = '';
  let last = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') {
      inString = true;
      continue;
    }
    for (const word of ['-Infinity', 'Infinity', 'NaN']) {
      if (text.startsWith(word, i)) {
        out += text.slice(last, i) + 'null';
        i += word.length - 1;
        last = i + 1;
        break;
      }
    }
  }
  return out + text.slice(last);
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A number from `72.25 W`, `81559 MiB`, `0 %`, `9.0`; undefined for `[N/A]` and words. */
export function leadingNumber(s: string): number | undefined {
  // parseFloat reads the longest numeric prefix, which is exactly "value before the unit".
  const n = Number.parseFloat(s);
  return Number.isFinite(n) ? n : undefined;
}
