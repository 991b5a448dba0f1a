/**
 * Deterministic sampling. The generator is mulberry32 (32-bit state, seeded by
 * sweep.sample.seed), so a seed gives the same sample on every machine and Node version.
 *
 * - random: reservoir sampling (Algorithm R) over the kept combinations, in sweep order,
 *   holding only `count` product indexes; the result is sorted back into sweep order.
 * - lhs: a Latin hypercube over the product's axes. For each axis, `count` levels are
 *   spread evenly over its values (each value used floor or ceil of count/length times;
 *   with fewer points than values, one random value from each of `count` equal strata),
 *   then shuffled; the i-th point takes the i-th level of every axis. Points that fall on
 *   the same combination are merged (the draw is retried a few times with the same
 *   generator to keep that rare), then exclude rules drop the points they remove.
 */
import { indexOf } from './product.js';
import type { Sweep } from './types.js';

export type Random = () => number;

export function mulberry32(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Uniform sample of `count` items from a stream of unknown length. */
export class Reservoir {
  readonly items: number[] = [];
  private seen = 0;
  private readonly random: Random;
  constructor(
    private readonly count: number,
    seed: number,
  ) {
    this.random = mulberry32(seed);
  }
  /** Offer `item`; returns the item that is now certainly out of the sample (this one, an evicted one), if any. */
  offer(item: number): number | undefined {
    const k = this.seen++;
    if (k < this.count) {
      this.items.push(item);
      return undefined;
    }
    const j = Math.floor(this.random() * (k + 1));
    if (j >= this.count) return item;
    const evicted = this.items[j]!;
    this.items[j] = item;
    return evicted;
  }
  sorted(): number[] {
    return [...this.items].sort((a, b) => a - b);
  }
}

const LHS_ATTEMPTS = 8;

/** Sorted, distinct product indexes of a Latin hypercube sample of `count` points. */
export function latinHypercube(sweep: Sweep, count: number, seed: number): number[] {
  const random = mulberry32(seed);
  let best: number[] = [];
  for (let attempt = 0; attempt < LHS_ATTEMPTS && best.length < count; attempt++) {
    const columns = sweep.axes.map((axis) => shuffle(levels(axis.length, count, random), random));
    const points = new Set<number>();
    const position = new Array<number>(sweep.axes.length);
    for (let i = 0; i < count; i++) {
      for (let a = 0; a < columns.length; a++) position[a] = columns[a]![i]!;
      points.add(indexOf(sweep, position));
    }
    if (points.size > best.length) best = [...points];
  }
  return best.sort((a, b) => a - b);
}

function levels(length: number, count: number, random: Random): number[] {
  const out = new Array<number>(count);
  for (let i = 0; i < count; i++) {
    out[i] = count >= length ? Math.floor((i * length) / count) : Math.floor(((i + random()) * length) / count);
  }
  return out;
}

function shuffle(list: number[], random: Random): number[] {
  for (let i = list.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [list[i], list[j]] = [list[j]!, list[i]!];
  }
  return list;
}
