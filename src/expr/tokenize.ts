/**
 * Tokenizer of the safe expression language used by `sweep.derive` and `sweep.exclude`.
 * Every token keeps its offset and length in the expression text so that errors can
 * point at the exact characters.
 */

export type TokenKind = 'num' | 'str' | 'name' | 'op' | 'eof';

export interface Token {
  kind: TokenKind;
  /** Source text of the token (for `str`, the decoded value is in `value`). */
  text: string;
  value?: number | string;
  pos: number;
  len: number;
}

/** A problem found while reading or naming things in an expression; offsets are into its text. */
export interface ExprError {
  kind: 'syntax' | 'name' | 'function';
  message: string;
  offset: number;
  length: number;
  hint?: string;
  /** The unknown identifier or function name, for `name` and `function` errors. */
  name?: string;
}

// Longest first, so `**` wins over `*` and `<=` over `<`.
const OPERATORS = ['**', '//', '==', '!=', '<=', '>=', '&&', '||', '<', '>', '!', '+', '-', '*', '/', '%', '(', ')', '[', ']', ','];
const NUMBER = /(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?/y;
// Dotted identifiers are one token: `experiment.epoch` names a parameter, not a member access.
const NAME = /[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*/y;
const ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", '"': '"' };

export function tokenize(text: string): { tokens: Token[]; error?: ExprError } {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
      continue;
    }
    if (c === '"' || c === "'") {
      const str = readString(text, i);
      if ('error' in str) return { tokens, error: str.error };
      tokens.push({ kind: 'str', text: text.slice(i, str.end), value: str.value, pos: i, len: str.end - i });
      i = str.end;
      continue;
    }
    NUMBER.lastIndex = i;
    const num = NUMBER.exec(text);
    if (num) {
      tokens.push({ kind: 'num', text: num[0], value: Number(num[0]), pos: i, len: num[0].length });
      i += num[0].length;
      continue;
    }
    NAME.lastIndex = i;
    const name = NAME.exec(text);
    if (name) {
      tokens.push({ kind: 'name', text: name[0], pos: i, len: name[0].length });
      i += name[0].length;
      continue;
    }
    const op = OPERATORS.find((o) => text.startsWith(o, i));
    if (op) {
      tokens.push({ kind: 'op', text: op, pos: i, len: op.length });
      i += op.length;
      continue;
    }
    const hint = c === '=' ? 'Compare with `==`; a single `=` is not an operator here.' : 'Expressions use numbers, quoted strings, names, operators and parentheses.';
    return { tokens, error: { kind: 'syntax', message: `Unexpected character '${c}' in expression.`, offset: i, length: 1, hint } };
  }
  tokens.push({ kind: 'eof', text: '', pos: text.length, len: 0 });
  return { tokens };
}

function readString(text: string, start: number): { value: string; end: number } | { error: ExprError } {
  const quote = text[start]!;
  let value = '';
  let i = start + 1;
  while (i < text.length) {
    const c = text[i]!;
    if (c === quote) return { value, end: i + 1 };
    if (c === '\\' && i + 1 < text.length) {
      const next = text[i + 1]!;
      value += ESCAPES[next] ?? `\\${next}`;
      i += 2;
      continue;
    }
    value += c;
    i++;
  }
  return {
    error: { kind: 'syntax', message: 'Unterminated string in expression.', offset: start, length: text.length - start, hint: `Close the string with ${quote}.` },
  };
}
