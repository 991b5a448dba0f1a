/**
 * Streaming the kept combinations in sweep order (product order, last axis fastest).
 * Without sampling this is one pass holding one combination at a time. With sampling it
 * is two passes: the first counts the kept combinations (and, for random sampling, keeps
 * `count` indexes in a reservoir); the second yields the chosen ones. When `count` is at
 * least the number kept, every kept combination is yielded.
 */
import type { Diagnostic } from '../diagnostics/index.js';
import type { Combination } from '../types.js';
import { productSize } from './product.js';
import { latinHypercube, Reservoir } from './sample.js';
import type { Sweep } from './types.js';
import { EvalSink, Walker } from './walker.js';

/** Every kept combination. Evaluation errors go to `sink` (at most ~10), never thrown. */
export function* iterateCombinations(sweep: Sweep, sink?: Diagnostic[]): Generator<Combination> {
  const errors = new EvalSink(sink);
  if (!sweep.sample) {
    yield* keptInOrder(sweep, errors);
    errors.finish();
    return;
  }
  const chosen = chooseSample(sweep, errors);
  errors.finish();
  // Pass 1 has reported the errors; pass 2 re-evaluates the same combinations quietly.
  const quiet = new EvalSink();
  if (chosen === 'all') {
    yield* keptInOrder(sweep, quiet);
    return;
  }
  const walker = new Walker(sweep, quiet);
  for (const index of chosen) {
    walker.seek(index);
    if (walker.evaluate(index) < 0) yield { index, params: walker.params() };
  }
}

/**
 * The params of the combination at product position `index`, evaluated again (errors
 * dropped): how a caller that keeps only positions gets a combination's values back.
 */
export function paramsAt(sweep: Sweep, index: number): Combination['params'] {
  const walker = new Walker(sweep, new EvalSink());
  walker.seek(index);
  walker.evaluate(index);
  return walker.params();
}

function* keptInOrder(sweep: Sweep, errors: EvalSink): Generator<Combination> {
  const total = productSize(sweep);
  const walker = new Walker(sweep, errors);
  for (let index = 0; index < total; index++) {
    if (index === 0) walker.seek(0);
    else walker.advance();
    if (walker.evaluate(index) < 0) yield { index, params: walker.params() };
  }
}

/** Sorted product indexes to yield (LHS ones may still be excluded), or 'all'. */
function chooseSample(sweep: Sweep, errors: EvalSink): number[] | 'all' {
  const { count, method, seed } = sweep.sample!;
  const reservoir = method === 'random' ? new Reservoir(count, seed) : undefined;
  const total = productSize(sweep);
  const walker = new Walker(sweep, errors);
  let kept = 0;
  for (let index = 0; index < total; index++) {
    if (index === 0) walker.seek(0);
    else walker.advance();
    if (walker.evaluate(index) >= 0) continue;
    kept++;
    reservoir?.offer(index);
  }
  if (count >= kept) return 'all';
  return reservoir ? reservoir.sorted() : latinHypercube(sweep, count, seed);
}
