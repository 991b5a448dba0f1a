import { describe, expect, it } from 'vitest';
import { findCandidates, matchPlaceholderAt, placeholderRoots, PROVIDED_NAMESPACES } from '../../src/syntax/placeholders.js';
import { deferredRef, deferredToShellWord, deferredToText, freezeValue, hasDeferred, splitDeferred } from '../../src/syntax/deferred.js';

describe('placeholder grammar', () => {
  const names = (text: string): string[] => findCandidates(text).map((m) => m.name);

  it('matches dotted identifiers not preceded by $', () => {
    expect(names('{experiment.epoch} {a} {a_b.c-d.E9} ${HOME} ${x.y} x{y}z')).toEqual(['experiment.epoch', 'a', 'a_b.c-d.E9', 'y']);
  });

  it('ignores everything else in braces', () => {
    expect(names(`{a,b} {print $2} {"a": 1} {x:.2f} {} { a } {1x} {a.} {.a} {a..b} {-a} $(cmd) {a b}`)).toEqual([]);
  });

  it('positions and roots', () => {
    const m = matchPlaceholderAt('echo {os.USER}!', 5)!;
    expect(m).toEqual({ start: 5, end: 14, name: 'os.USER', path: ['os', 'USER'] });
    expect(matchPlaceholderAt('${os.USER}', 1)).toBeUndefined();
    const roots = placeholderRoots({ data: 1, name: 'x' });
    for (const ns of PROVIDED_NAMESPACES) expect(roots.has(ns)).toBe(true);
    expect(roots.has('data')).toBe(true);
    expect(roots.has('print')).toBe(false);
  });
});

describe('deferred environment markers', () => {
  const user = deferredRef('USER');

  it('are control characters that no config value can contain', () => {
    expect(user).toMatch(/^\u0000.*\u0000$/);
    expect(hasDeferred(`a${user}`)).toBe(true);
    expect(hasDeferred('${USER}')).toBe(false);
    expect(() => deferredRef('A-B')).toThrow();
  });

  it('split, shell words and frozen text', () => {
    const s = `/scratch/${user}/x`;
    expect(splitDeferred(s)).toEqual([{ text: '/scratch/' }, { env: 'USER' }, { text: '/x' }]);
    expect(deferredToShellWord(s, (t) => `'${t}'`)).toBe(`'/scratch/'"\${USER}"'/x'`);
    expect(deferredToText(s)).toBe('/scratch/${USER}/x');
    expect(freezeValue({ a: [s, 1, null], b: { c: user } })).toEqual({ a: ['/scratch/${USER}/x', 1, null], b: { c: '${USER}' } });
  });
});
