/** Syntax tree of the expression language. `pos`/`len` locate each node in the expression text. */
import type { Value } from '../types.js';

export type CompareOp = '==' | '!=' | '<' | '<=' | '>' | '>=' | 'in' | 'not in';
export type ArithOp = '+' | '-' | '*' | '/' | '//' | '%' | '**';

interface At {
  pos: number;
  len: number;
}

export type Expr =
  | ({ k: 'lit'; value: Value } & At)
  | ({ k: 'name'; name: string } & At)
  | ({ k: 'list'; items: Expr[] } & At)
  | ({ k: 'neg' | 'pos' | 'not'; arg: Expr } & At)
  | ({ k: 'arith'; op: ArithOp; left: Expr; right: Expr } & At)
  | ({ k: 'logic'; op: 'and' | 'or'; left: Expr; right: Expr } & At)
  /** `a < b <= c` is a chain, as in Python: `a < b and b <= c`, each operand evaluated once. */
  | ({ k: 'compare'; ops: CompareOp[]; operands: Expr[] } & At)
  | ({ k: 'call'; fn: string; args: Expr[]; fnPos: number; fnLen: number } & At);

/** Every parameter name an expression reads, in order of appearance (with positions). */
export function namesIn(e: Expr, out: Array<{ name: string; pos: number; len: number }> = []): typeof out {
  switch (e.k) {
    case 'name':
      out.push({ name: e.name, pos: e.pos, len: e.len });
      break;
    case 'list':
      e.items.forEach((x) => namesIn(x, out));
      break;
    case 'neg':
    case 'pos':
    case 'not':
      namesIn(e.arg, out);
      break;
    case 'arith':
    case 'logic':
      namesIn(e.left, out);
      namesIn(e.right, out);
      break;
    case 'compare':
      e.operands.forEach((x) => namesIn(x, out));
      break;
    case 'call':
      e.args.forEach((x) => namesIn(x, out));
      break;
    case 'lit':
      break;
  }
  return out;
}
