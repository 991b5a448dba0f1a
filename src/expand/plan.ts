/**
 * planSweep: what a sweep will produce, counted in one streaming pass (flat memory,
 * about a million combinations a second): the product, how many combinations each rule
 * removes with up to three examples, how many are kept, and the limit check.
 *
 * Exclude rules are credited in order: a combination is counted against the first rule
 * that removes it. Sampling applies to what exclude keeps; its report says how many it
 * dropped. Evaluation errors are collected (about ten), never thrown.
 */
import type { Diagnostic } from '../diagnostics/index.js';
import type { Mapping, Value } from '../types.js';
import { productSize } from './product.js';
import { latinHypercube, Reservoir } from './sample.js';
import type { Sweep } from './types.js';
import { EvalSink, Walker } from './walker.js';

export interface RuleReport {
  /** Human text, e.g. `exclude[0] {gpu: v100, epoch: 60}`. */
  rule: string;
  kind: 'exclude' | 'sample';
  removed: number;
  /** Up to 3 removed param sets. */
  examples: Mapping[];
  reason?: string;
}

export interface SweepPlan {
  dimensions: { name: string; count: number; values: Value[] }[];
  product: number;
  rules: RuleReport[];
  kept: number;
  limit: number;
  overLimit: boolean;
  evalErrors: Diagnostic[];
}

const EXAMPLES = 3;

export function planSweep(sweep: Sweep): SweepPlan {
  const sink = new EvalSink();
  const walker = new Walker(sweep, sink);
  const product = productSize(sweep);
  const rules: RuleReport[] = sweep.exclude.map((r) => {
    const report: RuleReport = { rule: r.label, kind: 'exclude', removed: 0, examples: [] };
    if (r.reason !== undefined) report.reason = r.reason;
    return report;
  });
  const sample = sweep.sample;
  const reservoir = sample?.method === 'random' ? new Reservoir(sample.count, sample.seed) : undefined;
  const lhs = sample?.method === 'lhs' ? new Set(latinHypercube(sweep, sample.count, sample.seed)) : undefined;
  const sampledOut: number[] = [];
  let kept = 0;
  let lhsKept = 0;

  for (let index = 0; index < product; index++) {
    if (index === 0) walker.seek(0);
    else walker.advance();
    const r = walker.evaluate(index);
    if (r >= 0) {
      const report = rules[r]!;
      report.removed++;
      if (report.examples.length < EXAMPLES) report.examples.push(walker.params());
      continue;
    }
    kept++;
    if (reservoir) {
      const out = reservoir.offer(index);
      if (out !== undefined && sampledOut.length < EXAMPLES) sampledOut.push(out);
    } else if (lhs) {
      if (lhs.has(index)) lhsKept++;
      else if (sampledOut.length < EXAMPLES) sampledOut.push(index);
    }
  }

  let final = kept;
  if (sample && sample.count < kept) {
    final = reservoir ? sample.count : lhsKept;
    const report: RuleReport = { rule: sample.label, kind: 'sample', removed: kept - final, examples: paramsAt(sweep, sampledOut) };
    if (lhs) report.reason = lhsReason(sample.count, lhs.size, lhsKept);
    rules.push(report);
  } else if (sample) {
    rules.push({ rule: sample.label, kind: 'sample', removed: 0, examples: [], reason: `count ${sample.count} >= ${kept} kept: all are kept` });
  }
  return {
    dimensions: sweep.dimensions.map((d) => ({ name: d.name, count: d.values.length, values: d.values.slice(0, 10) })),
    product,
    rules,
    kept: final,
    limit: sweep.limit,
    overLimit: final > sweep.limit,
    evalErrors: sink.summary(),
  };
}

function lhsReason(count: number, distinct: number, kept: number): string {
  const parts = [`${count} Latin hypercube points`];
  if (distinct < count) parts.push(`${count - distinct} fell on the same combination as another`);
  if (kept < distinct) parts.push(`${distinct - kept} fell on excluded combinations and were dropped`);
  return parts.join('; ');
}

function paramsAt(sweep: Sweep, indexes: number[]): Mapping[] {
  const walker = new Walker(sweep, new EvalSink());
  return [...indexes]
    .sort((a, b) => a - b)
    .map((index) => {
      walker.seek(index);
      walker.evaluate(index);
      return walker.params();
    });
}
