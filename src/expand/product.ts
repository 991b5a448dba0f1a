/** Arithmetic over the product: sizes, varying keys, and index <-> axis positions. */
import type { Sweep } from './types.js';

/** Number of combinations after zip and before derive/exclude/sample (no iteration). */
export function productSize(sweep: Sweep): number {
  let n = 1;
  for (const a of sweep.axes) n *= a.length;
  return n;
}

/** Keys with more than one value, in dimension order (includes `repeat` when added); used for bundle ids. */
export function varyingKeys(sweep: Sweep): string[] {
  return sweep.dimensions.filter((d) => d.values.length > 1).map((d) => d.name);
}

/** Axis positions of product index `index` (mixed radix, the last axis fastest). */
export function positionsOf(sweep: Sweep, index: number, out: number[] = new Array<number>(sweep.axes.length)): number[] {
  let rest = index;
  for (let a = sweep.axes.length - 1; a >= 0; a--) {
    const len = sweep.axes[a]!.length;
    out[a] = rest % len;
    rest = Math.floor(rest / len);
  }
  return out;
}

/** Product index of axis positions (inverse of positionsOf). */
export function indexOf(sweep: Sweep, positions: readonly number[]): number {
  let index = 0;
  for (let a = 0; a < sweep.axes.length; a++) index = index * sweep.axes[a]!.length + positions[a]!;
  return index;
}
