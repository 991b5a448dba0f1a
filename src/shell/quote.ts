/**
 * POSIX shell quoting. Every value that reaches a generated script goes through here (or
 * through shell/context.ts, which builds on it), so a parameter such as
 * `x'; touch /tmp/pwned; '` or `$(reboot)` stays one inert word, while the program still
 * receives exactly the text written in the config.
 */
import { deferredToShellWord, hasDeferred, splitDeferred } from '../syntax/deferred.js';

/** Words made only of these characters mean the same to the shell quoted or not. */
const BARE = /^[A-Za-z0-9_@%+=:,./-]+$/;
// Tab and newline are ordinary text inside quotes; every other C0/C1 control character
// (and DEL) is refused: terminals, editors and schedulers treat them specially.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;

export type ShellQuoteReason = 'control' | 'newline' | 'unsafe';

/** A value that cannot be placed where it was asked to go. The renderer turns it into a diagnostic. */
export class ShellQuoteError extends Error {
  constructor(
    readonly reason: ShellQuoteReason,
    message: string,
  ) {
    super(message);
    this.name = 'ShellQuoteError';
  }
}

function describe(ch: string): string {
  return `U+${ch.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;
}

/**
 * Throws unless `text` (literal text, markers already split off) is printable: no
 * control characters besides tab and newline, and no newline when `singleLine`.
 */
export function checkText(text: string, singleLine = false): void {
  const m = CONTROL.exec(text);
  if (m) throw new ShellQuoteError('control', `the value contains the control character ${describe(m[0])}`);
  if (singleLine && /[\n\r]/.test(text)) throw new ShellQuoteError('newline', 'the value spans several lines, but this position takes a single line');
}

/** Check the literal parts of a string that may hold deferred markers. */
export function checkValue(s: string, singleLine = false): void {
  // Fast path: without markers the whole string is one literal part.
  if (!hasDeferred(s)) return checkText(s, singleLine);
  for (const p of splitDeferred(s)) if ('text' in p) checkText(p.text, singleLine);
}

/** `'...'` with each `'` written as `'\''`. */
export function singleQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/** A literal word: bare when that is unambiguous, else single-quoted; `''` for empty. */
export function quoteLiteral(text: string): string {
  if (text === '') return "''";
  return BARE.test(text) ? text : singleQuote(text);
}

/** True when `text` needs no quoting anywhere (also inside `${VAR:-...}`). */
export function isBareWord(text: string): boolean {
  return BARE.test(text);
}

/** Text of a scalar as it is placed into a script: numbers and booleans as written, null as empty. */
export function scalarText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return JSON.stringify(value);
}

/**
 * One POSIX shell word for `value`: `it's` -> `'it'\''s'`, `/data/x.csv` stays bare, a
 * deferred `{os.USER}` becomes `"${USER}"` joined to the quoted rest
 * (`'/scratch/'"${USER}"'/x'`). Arrays give one word per element, separated by spaces;
 * mappings are written as JSON. Throws `ShellQuoteError` for control characters, and for
 * newlines when `singleLine` (directive lines).
 */
export function shellQuote(value: unknown, options: { singleLine?: boolean } = {}): string {
  if (Array.isArray(value)) return value.map((v) => shellQuote(v, options)).join(' ');
  const s = scalarText(value);
  checkValue(s, options.singleLine);
  if (!hasDeferred(s)) return quoteLiteral(s);
  return deferredToShellWord(s, singleQuote);
}
