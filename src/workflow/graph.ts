/**
 * The graph of a workflow: dependency chains (`a,b,c`: a before b before c), a cycle
 * found and shown as the path it takes, and a dependency order. Pure.
 */
import { expandCommaString } from '../expand/commas.js';

export interface ChainItem {
  name: string;
  /** Offset and length, inside the chain string, of the item it came from. */
  offset: number;
  length: number;
}

export interface ChainError {
  message: string;
  hint: string;
  offset: number;
  length: number;
}

/**
 * A chain string: items at top-level commas (a comma inside `[...]` does not split),
 * trimmed; each item a name, or a hostlist range giving several in order (`n[1-3]` is
 * n1,n2,n3: the chain runs through them one after another, as cloudmesh's
 * Parameter.expand reads it). Items are expanded by the sweep grammar (expand/commas.ts),
 * one at a time, so a name that repeats in a chain stays (`a,b,a` is a cycle, not `a,b`).
 */
export function parseChain(text: string): { items: ChainItem[]; errors: ChainError[] } {
  const items: ChainItem[] = [];
  const errors: ChainError[] = [];
  for (const raw of splitTopLevel(text)) {
    if (!raw.text) {
      errors.push({ message: `The chain "${text}" has an empty item.`, hint: 'Write node names separated by commas: start,fetch-data,compute,end.', offset: raw.offset, length: Math.max(1, raw.length) });
      continue;
    }
    if (!raw.text.includes('[')) {
      items.push({ name: raw.text.replace(/\\([,[\]\\])/g, '$1'), offset: raw.offset, length: raw.text.length });
      continue;
    }
    const r = expandCommaString(raw.text);
    for (const e of r.errors) errors.push({ message: e.message, hint: e.hint, offset: raw.offset + e.offset, length: e.length });
    if (!r.errors.length) for (const v of r.values) items.push({ name: String(v), offset: raw.offset, length: raw.text.length });
  }
  return { items, errors };
}

function splitTopLevel(text: string): { text: string; offset: number; length: number }[] {
  const out: { text: string; offset: number; length: number }[] = [];
  let depth = 0;
  let start = 0;
  const push = (end: number): void => {
    const raw = text.slice(start, end);
    const lead = raw.length - raw.trimStart().length;
    out.push({ text: raw.trim(), offset: start + lead, length: raw.trim().length });
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '\\') i++;
    else if (c === '[') depth++;
    else if (c === ']') depth = Math.max(0, depth - 1);
    else if (c === ',' && depth === 0) {
      push(i);
      start = i + 1;
    }
  }
  push(text.length);
  return out;
}

/**
 * A cycle of the graph (`needs`: node -> the nodes it runs after), as the path around it
 * with its first node repeated at the end (`a -> b -> a`), or undefined when there is
 * none. Nodes are visited in the order of `names`, so the same graph reports the same cycle.
 */
export function findCycle(names: readonly string[], needs: ReadonlyMap<string, readonly string[]>): string[] | undefined {
  const state = new Map<string, 'open' | 'done'>();
  // Iterative DFS (a 1,000-node chain must not overflow the stack), along "runs before" edges.
  const after = new Map<string, string[]>();
  for (const n of names) for (const d of needs.get(n) ?? []) pushTo(after, d, n);
  for (const root of names) {
    if (state.has(root)) continue;
    const stack: { node: string; next: number }[] = [{ node: root, next: 0 }];
    state.set(root, 'open');
    while (stack.length) {
      const top = stack[stack.length - 1]!;
      const succ = after.get(top.node) ?? [];
      if (top.next >= succ.length) {
        state.set(top.node, 'done');
        stack.pop();
        continue;
      }
      const m = succ[top.next++]!;
      const s = state.get(m);
      if (s === 'open') {
        const path = stack.map((f) => f.node);
        return [...path.slice(path.indexOf(m)), m];
      }
      if (s === undefined) {
        state.set(m, 'open');
        stack.push({ node: m, next: 0 });
      }
    }
  }
  return undefined;
}

/** A dependency order: each node after every node it needs; ties in the order of `names`. Assumes no cycle. */
export function dependencyOrder(names: readonly string[], needs: ReadonlyMap<string, readonly string[]>): string[] {
  const rank = new Map(names.map((n, i) => [n, i]));
  const missing = new Map(names.map((n) => [n, new Set(needs.get(n) ?? []).size]));
  const after = new Map<string, string[]>();
  for (const n of names) for (const d of new Set(needs.get(n) ?? [])) pushTo(after, d, n);
  // `ready` is kept sorted by rank, highest first, so the next node is a pop.
  const ready = names.filter((n) => missing.get(n) === 0).reverse();
  const out: string[] = [];
  while (ready.length) {
    const n = ready.pop()!;
    out.push(n);
    for (const m of after.get(n) ?? []) {
      const left = missing.get(m)! - 1;
      missing.set(m, left);
      if (left === 0) {
        let lo = 0;
        let hi = ready.length;
        const r = rank.get(m)!;
        while (lo < hi) {
          const mid = (lo + hi) >> 1;
          if (rank.get(ready[mid]!)! > r) lo = mid + 1;
          else hi = mid;
        }
        ready.splice(lo, 0, m);
      }
    }
  }
  return out;
}

function pushTo(map: Map<string, string[]>, key: string, value: string): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
