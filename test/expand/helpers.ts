import { expect } from 'vitest';
import { lineColumn, type Diagnostic } from '../../src/diagnostics/index.js';
import { compileSweep, iterateCombinations, type Sweep } from '../../src/expand/index.js';
import { parseYaml } from '../../src/load/index.js';
import type { LoadedYaml, Mapping } from '../../src/types.js';

/** A LoadedYaml from inline YAML text (fails the test on a YAML error). */
export function load(text: string): LoadedYaml {
  const { loaded, diagnostics } = parseYaml('inline.yaml', text);
  expect(diagnostics).toEqual([]);
  return loaded!;
}

export function compile(text: string): { loaded: LoadedYaml; sweep?: Sweep; diagnostics: Diagnostic[] } {
  const loaded = load(text);
  return { loaded, ...compileSweep(loaded, loaded.data as Mapping) };
}

/** Compile and require success. */
export function sweepOf(text: string): Sweep {
  const { sweep, diagnostics } = compile(text);
  expect(diagnostics).toEqual([]);
  return sweep!;
}

export function paramsOf(text: string): Mapping[] {
  return [...iterateCombinations(sweepOf(text))].map((c) => c.params);
}

/** Values of one dimension of a compiled sweep. */
export function valuesOf(text: string, key: string): unknown[] {
  return sweepOf(text).dimensions.find((d) => d.name === key)!.values;
}

/** Code, line, column and the source text a diagnostic points at. */
export function where(loaded: LoadedYaml, d: Diagnostic): { code: string; line: number; column: number; text: string } {
  const { line, column } = lineColumn(loaded.text, d.start ?? 0);
  return { code: d.code, line, column, text: loaded.text.slice(d.start, (d.start ?? 0) + (d.length ?? 0)) };
}

/** Compile text that must fail; returns the located diagnostics. */
export function errorsOf(text: string): Array<ReturnType<typeof where>> {
  const { loaded, sweep, diagnostics } = compile(text);
  expect(sweep).toBeUndefined();
  return diagnostics.map((d) => where(loaded, d));
}
