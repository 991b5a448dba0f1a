/**
 * The safe expression language of `sweep.derive` and `sweep.exclude`: a tokenizer and
 * recursive-descent parser to an AST, compiled to closures. No `eval`, no `Function`.
 * Semantics: parse.ts (syntax, precedence), semantics.ts (equality, ordering, truth),
 * compile.ts (arithmetic, errors), functions.ts (built-ins).
 */
export type { Expr, CompareOp, ArithOp } from './ast.js';
export { namesIn } from './ast.js';
export type { ExprError, Token } from './tokenize.js';
export { tokenize } from './tokenize.js';
export { parseExpression } from './parse.js';
export { compileExpression, EvalFailure, type Evaluate, type NameResolver, type Slots } from './compile.js';
export { FUNCTIONS } from './functions.js';
export { asNumber, compareValues, looseEqual, showValue, toText, truthy, typeName } from './semantics.js';
