/**
 * The plan validator keeps one entry per bundle named by its dir (compile's bundles) and
 * two for the others; a duplicate id or dir is found whichever way the two are named.
 */
import { describe, expect, it } from 'vitest';
import { PlanValidator } from '../../src/write/validate.js';
import { isWriteError } from '../../src/write/codes.js';
import type { BundlePlan } from '../../src/types.js';

const b = (id: string, dir: string): BundlePlan => ({ id, dir, index: 0, params: {}, script: 'job.sh', scheduler: 'bash', files: [], hash: '' });

function problem(bundles: BundlePlan[]): string | undefined {
  const v = new PlanValidator();
  try {
    for (const x of bundles) v.add(x);
  } catch (e) {
    if (isWriteError(e)) return e.message;
    throw e;
  }
  return undefined;
}

describe('PlanValidator ids and dirs', () => {
  it('finds every duplicate id and dir', () => {
    expect(problem([b('a', 'a'), b('a', 'b')])).toBe('EG5005: Two bundles share the id a.');
    expect(problem([b('a', 'b'), b('a', 'a')])).toBe('EG5005: Two bundles share the id a.');
    expect(problem([b('a', 'x'), b('a', 'y')])).toBe('EG5005: Two bundles share the id a.');
    expect(problem([b('a', 'a'), b('a', 'a')])).toBe('EG5005: Two bundles share the id a.');
    expect(problem([b('a', 'x'), b('b', 'x')])).toBe('EG5005: Two bundles share the directory x.');
    expect(problem([b('x', 'x'), b('b', 'x')])).toBe('EG5005: Two bundles share the directory x.');
  });
  it('takes distinct ids, also one that is another bundle\'s dir', () => {
    expect(problem([b('y', 'z'), b('z', 'w')])).toBeUndefined();
    expect(problem([b('a', 'a'), b('b', 'b'), b('c', 'd'), b('d', 'e')])).toBeUndefined();
  });
});
