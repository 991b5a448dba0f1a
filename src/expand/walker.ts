/**
 * Walks the product one combination at a time over a single slot array (flat memory):
 * slot i holds dimension i's value, then the derived values follow. Moving to the next
 * combination rewrites only the axes that changed (an odometer, last axis fastest).
 *
 * Evaluation errors never escape. A failing derive sets its value to null; a failing
 * exclude rule does not remove the combination. The errors are reported (to the sink)
 * only when the combination is kept in the end: a combination that another exclude rule
 * removes may fail in rules that were never meant to apply to it (a derive dividing by a
 * value the excludes rule out).
 */
import { diag, type Diagnostic } from '../diagnostics/index.js';
import { EvalFailure, showValue } from '../expr/index.js';
import type { Mapping, Value } from '../types.js';
import { EXPAND_CODES as C, MAX_EVAL_ERRORS } from './codes.js';
import { positionsOf } from './product.js';
import { spanIn } from './spans.js';
import type { ExprSource, Sweep } from './types.js';

/** Collects evaluation errors: the first MAX_EVAL_ERRORS in full, the rest counted. */
export class EvalSink {
  readonly errors: Diagnostic[] = [];
  total = 0;
  constructor(private readonly out?: Diagnostic[]) {}
  add(d: Diagnostic): void {
    this.total++;
    if (this.errors.length >= MAX_EVAL_ERRORS) return;
    this.errors.push(d);
    this.out?.push(d);
  }
  /** The kept errors plus, when some were dropped, one line saying how many. */
  summary(): Diagnostic[] {
    if (this.total <= this.errors.length) return [...this.errors];
    const more = diag(C.evalFailed, `${this.total - this.errors.length} more combinations failed to evaluate.`, undefined, 'Fix the errors above and plan again.');
    return [...this.errors, more];
  }
  /** Append the "N more" line to the output list, once the walk is over. */
  finish(): void {
    const extra = this.summary().slice(this.errors.length);
    this.out?.push(...extra);
  }
}

interface Pending {
  what: string;
  source: ExprSource;
  failure: EvalFailure;
}

export class Walker {
  readonly slots: Value[];
  private readonly positions: number[];
  private readonly pending: Pending[] = [];

  constructor(
    private readonly sweep: Sweep,
    private readonly sink: EvalSink,
  ) {
    this.slots = new Array<Value>(sweep.dimensions.length + sweep.derive.length).fill(null);
    this.positions = new Array<number>(sweep.axes.length).fill(0);
  }

  private setAxis(a: number): void {
    const axis = this.sweep.axes[a]!;
    const p = this.positions[a]!;
    for (const d of axis.dims) this.slots[d] = this.sweep.dimensions[d]!.values[p]!;
  }

  /** Load the combination at product index `index`. */
  seek(index: number): void {
    positionsOf(this.sweep, index, this.positions);
    for (let a = 0; a < this.positions.length; a++) this.setAxis(a);
  }

  /** Load the combination after the current one (the caller stays within the product). */
  advance(): void {
    let a = this.positions.length - 1;
    while (a >= 0) {
      const next = this.positions[a]! + 1;
      if (next < this.sweep.axes[a]!.length) {
        this.positions[a] = next;
        this.setAxis(a);
        return;
      }
      this.positions[a] = 0;
      this.setAxis(a);
      a--;
    }
  }

  /**
   * Derive, then check the exclude rules for the loaded combination (product index
   * `index`). Returns the index of the exclude rule that removes it, or -1 when kept.
   */
  evaluate(index: number): number {
    this.pending.length = 0;
    for (const rule of this.sweep.derive) {
      try {
        this.slots[rule.slot] = rule.evaluate(this.slots);
      } catch (e) {
        this.slots[rule.slot] = null;
        this.fail(e, `sweep.derive.${rule.name}`, rule.source);
      }
    }
    const rules = this.sweep.exclude;
    for (let r = 0; r < rules.length; r++) {
      try {
        if (rules[r]!.test(this.slots)) return r;
      } catch (e) {
        this.fail(e, rules[r]!.label.split(' ')[0]!, rules[r]!.source);
      }
    }
    for (const p of this.pending) this.report(index, p);
    return -1;
  }

  private fail(e: unknown, what: string, source: ExprSource): void {
    if (!(e instanceof EvalFailure)) throw e; // a bug, not a user error
    this.pending.push({ what, source, failure: e });
  }

  private report(index: number, p: Pending): void {
    const shown: Mapping = {};
    for (const d of this.sweep.dimensions) if (d.values.length > 1) shown[d.name] = this.slots[this.sweep.dimensions.indexOf(d)]!;
    const message = `Having trouble evaluating ${p.what} for combination #${index} ${showValue(shown)}: ${p.failure.message}`;
    this.sink.add(diag(C.evalFailed, message, spanIn(p.source, p.failure.offset, p.failure.length), 'Guard the expression (e.g. x / max(y, 1)) or exclude such combinations.'));
  }

  /** Params of the loaded combination: every dimension, then every derived value. */
  params(): Mapping {
    const params: Mapping = {};
    const dims = this.sweep.dimensions;
    for (let i = 0; i < dims.length; i++) params[dims[i]!.name] = this.slots[i]!;
    for (const rule of this.sweep.derive) params[rule.name] = this.slots[rule.slot]!;
    return params;
  }
}
