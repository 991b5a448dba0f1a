/**
 * Recursive-descent parser for the expression language. Precedence, loosest first
 * (Python's, which most sweep authors know):
 *
 *   or ||  <  and &&  <  not !  <  comparisons (== != < <= > >= in, not in; chained)
 *   <  + -  <  * / // %  <  unary - +  <  ** (right-assoc, so -2**2 is -4)  <  calls, atoms
 *
 * `!` is a synonym of `not` and binds like it (so `!a == b` is `not (a == b)`).
 * Atoms: numbers, 'single' or "double" quoted strings, true/false/null (also True/False/None),
 * names (`epoch`, `experiment.epoch`), list literals `[a, b]`, parenthesised expressions,
 * and calls of the built-in functions (see functions.ts).
 */
import type { ArithOp, CompareOp, Expr } from './ast.js';
import { tokenize, type ExprError, type Token } from './tokenize.js';

const LITERALS: Record<string, null | boolean> = { true: true, false: false, null: null, True: true, False: false, None: null };
const KEYWORDS = new Set(['and', 'or', 'not', 'in']);

class ParseFailure {
  constructor(readonly error: ExprError) {}
}

export function parseExpression(text: string): { ast?: Expr; error?: ExprError } {
  const { tokens, error } = tokenize(text);
  if (error) return { error };
  if (tokens.length === 1) {
    return { error: { kind: 'syntax', message: 'The expression is empty.', offset: 0, length: Math.max(1, text.length), hint: 'Write a condition such as `epoch > 30`.' } };
  }
  const p = new Parser(tokens);
  try {
    const ast = p.expression();
    const rest = p.peek();
    if (rest.kind !== 'eof') p.fail(rest, `Unexpected ${describe(rest)} after the end of the expression.`, 'Join conditions with `and` / `or`; check for a missing operator.');
    return { ast };
  } catch (e) {
    if (e instanceof ParseFailure) return { error: e.error };
    throw e;
  }
}

function describe(t: Token): string {
  if (t.kind === 'eof') return 'end of expression';
  if (t.kind === 'op') return `'${t.text}'`;
  return `${t.kind === 'num' ? 'number' : t.kind === 'str' ? 'string' : 'name'} ${t.text}`;
}

function span(first: { pos: number }, last: { pos: number; len: number }): { pos: number; len: number } {
  return { pos: first.pos, len: last.pos + last.len - first.pos };
}

class Parser {
  private i = 0;
  constructor(private readonly tokens: Token[]) {}

  peek(offset = 0): Token {
    return this.tokens[Math.min(this.i + offset, this.tokens.length - 1)]!;
  }
  private next(): Token {
    const t = this.peek();
    if (t.kind !== 'eof') this.i++;
    return t;
  }
  private isOp(...ops: string[]): boolean {
    const t = this.peek();
    return t.kind === 'op' && ops.includes(t.text);
  }
  private isWord(word: string, offset = 0): boolean {
    const t = this.peek(offset);
    return t.kind === 'name' && t.text === word;
  }
  fail(t: Token, message: string, hint?: string): never {
    const error: ExprError = { kind: 'syntax', message, offset: t.pos, length: Math.max(1, t.len) };
    if (hint) error.hint = hint;
    throw new ParseFailure(error);
  }
  private expect(op: string, context: string): Token {
    if (!this.isOp(op)) this.fail(this.peek(), `Expected '${op}' ${context}, found ${describe(this.peek())}.`);
    return this.next();
  }

  expression(): Expr {
    return this.or();
  }

  private or(): Expr {
    let left = this.and();
    while (this.isWord('or') || this.isOp('||')) {
      this.next();
      const right = this.and();
      left = { k: 'logic', op: 'or', left, right, ...span(left, right) };
    }
    return left;
  }

  private and(): Expr {
    let left = this.not();
    while (this.isWord('and') || this.isOp('&&')) {
      this.next();
      const right = this.not();
      left = { k: 'logic', op: 'and', left, right, ...span(left, right) };
    }
    return left;
  }

  private not(): Expr {
    if ((this.isWord('not') && !this.isWord('in', 1)) || this.isOp('!')) {
      const t = this.next();
      const arg = this.not();
      return { k: 'not', arg, ...span(t, arg) };
    }
    return this.comparison();
  }

  private compareOp(): CompareOp | undefined {
    const t = this.peek();
    if (t.kind === 'op' && ['==', '!=', '<', '<=', '>', '>='].includes(t.text)) return t.text as CompareOp;
    if (this.isWord('in')) return 'in';
    if (this.isWord('not') && this.isWord('in', 1)) return 'not in';
    return undefined;
  }

  private comparison(): Expr {
    const first = this.sum();
    const ops: CompareOp[] = [];
    const operands: Expr[] = [first];
    for (let op = this.compareOp(); op; op = this.compareOp()) {
      this.next();
      if (op === 'not in') this.next();
      ops.push(op);
      operands.push(this.sum());
    }
    if (!ops.length) return first;
    return { k: 'compare', ops, operands, ...span(first, operands[operands.length - 1]!) };
  }

  private sum(): Expr {
    let left = this.term();
    while (this.isOp('+', '-')) {
      const op = this.next().text as ArithOp;
      const right = this.term();
      left = { k: 'arith', op, left, right, ...span(left, right) };
    }
    return left;
  }

  private term(): Expr {
    let left = this.unary();
    while (this.isOp('*', '/', '//', '%')) {
      const op = this.next().text as ArithOp;
      const right = this.unary();
      left = { k: 'arith', op, left, right, ...span(left, right) };
    }
    return left;
  }

  private unary(): Expr {
    if (this.isOp('-', '+')) {
      const t = this.next();
      const arg = this.unary();
      return { k: t.text === '-' ? 'neg' : 'pos', arg, ...span(t, arg) };
    }
    return this.power();
  }

  private power(): Expr {
    const base = this.atom();
    if (!this.isOp('**')) return base;
    this.next();
    const exponent = this.unary();
    return { k: 'arith', op: '**', left: base, right: exponent, ...span(base, exponent) };
  }

  private atom(): Expr {
    const t = this.next();
    if (t.kind === 'num' || t.kind === 'str') return { k: 'lit', value: t.value!, pos: t.pos, len: t.len };
    if (t.kind === 'name') return this.nameAtom(t);
    if (t.kind === 'op' && t.text === '(') {
      const inner = this.expression();
      const close = this.expect(')', 'to close the parenthesis');
      return { ...inner, ...span(t, close) };
    }
    if (t.kind === 'op' && t.text === '[') {
      const items = this.list(']', 'to close the list');
      return { k: 'list', items, ...span(t, this.tokens[this.i - 1]!) };
    }
    return this.fail(t, `Expected a value, found ${describe(t)}.`, 'A value is a number, a quoted string, a name, a list [..] or a parenthesised expression.');
  }

  private nameAtom(t: Token): Expr {
    if (t.text in LITERALS) return { k: 'lit', value: LITERALS[t.text]!, pos: t.pos, len: t.len };
    if (KEYWORDS.has(t.text)) this.fail(t, `Expected a value, found the keyword '${t.text}'.`);
    if (this.isOp('(')) {
      this.next();
      const args = this.list(')', 'to close the call');
      return { k: 'call', fn: t.text, args, fnPos: t.pos, fnLen: t.len, ...span(t, this.tokens[this.i - 1]!) };
    }
    return { k: 'name', name: t.text, pos: t.pos, len: t.len };
  }

  /** Comma-separated expressions up to `close` (already past the opener); a trailing comma is allowed. */
  private list(close: string, context: string): Expr[] {
    const items: Expr[] = [];
    while (!this.isOp(close)) {
      items.push(this.expression());
      if (!this.isOp(',')) break;
      this.next();
    }
    this.expect(close, context);
    return items;
  }
}
