/**
 * The EXPAND stage: `experiment:` + `sweep:` -> the combinations to build.
 * Semantics are documented where they are implemented:
 *   compile.ts  the order of the rules        values.ts  what one key expands to
 *   commas.ts   comma strings, bracket ranges  ranges.ts  {from,to,step|num}, {values}
 *   zip.ts      zip groups                     derive.ts  derived values
 *   exclude.ts  exclude rules                  options.ts repeat, sample, limit
 *   sample.ts   random and LHS sampling        walker.ts  evaluation errors
 * Error codes: codes.ts (EG3001-EG3049).
 */
export type { Axis, DeriveRule, Dimension, ExcludeRule, ExprSource, SampleSpec, Sweep } from './types.js';
export { compileSweep } from './compile.js';
export { productSize, varyingKeys } from './product.js';
export { iterateCombinations, paramsAt } from './iterate.js';
export { planSweep, type RuleReport, type SweepPlan } from './plan.js';
export { DEFAULT_LIMIT, EXPAND_CODES, MAX_DIMENSION_VALUES, MAX_EVAL_ERRORS } from './codes.js';
