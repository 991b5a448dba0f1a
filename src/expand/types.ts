/** The compiled sweep: what compileSweep produces and the iterators and planner read. */
import type { Span } from '../diagnostics/index.js';
import type { Evaluate, Slots } from '../expr/index.js';
import type { Value } from '../types.js';

/** One swept key and its values, in the order they are iterated. */
export interface Dimension {
  name: string;
  values: Value[];
  /** Set on the keys of a `sweep.zip` group (its position in `sweep.zip`); they advance together. */
  zipGroup?: number;
}

/** Dimensions that advance together: one for a plain key, several for a zip group. */
export interface Axis {
  /** Indexes into `Sweep.dimensions` (= slot indexes). */
  dims: number[];
  length: number;
}

/** Where an expression's text sits in the YAML file, to point errors inside it. */
export interface ExprSource {
  text: string;
  /** The whole scalar holding the expression. */
  span: Span;
  /** File offset of the expression's first character, when the scalar is written verbatim. */
  textStart?: number;
}

export interface DeriveRule {
  name: string;
  /** Slot the value is written to (after the dimensions). */
  slot: number;
  source: ExprSource;
  evaluate: Evaluate;
}

export interface ExcludeRule {
  /** Human text for plan output, e.g. `exclude[0] {gpu: v100, epoch: 60}`. */
  label: string;
  kind: 'pattern' | 'expression';
  reason?: string;
  source: ExprSource;
  /** True when the combination in `slots` is to be removed; may throw EvalFailure. */
  test: (slots: Slots) => boolean;
}

export interface SampleSpec {
  method: 'random' | 'lhs';
  count: number;
  seed: number;
  label: string;
}

export interface Sweep {
  file: string;
  /** Experiment keys (plus `repeat` from sweep.repeat), in iteration order; slot i holds dimensions[i]. */
  dimensions: Dimension[];
  /** The product's axes, slowest first; the last axis varies fastest. */
  axes: Axis[];
  derive: DeriveRule[];
  exclude: ExcludeRule[];
  sample?: SampleSpec;
  limit: number;
}
