/** Pointing diagnostics inside YAML scalars (expressions, comma strings). */
import type { Span } from '../diagnostics/index.js';
import type { LoadedYaml, PathSegment } from '../types.js';
import type { ExprSource } from './types.js';

/**
 * The span of the scalar at `path` and, when the scalar is written verbatim in the file
 * (plain, or quoted without escapes in the part that matters), the file offset of its
 * first character: span start, plus one for an opening quote.
 */
export function sourceOf(loaded: LoadedYaml, path: readonly PathSegment[], text: string): ExprSource {
  const span = loaded.locate(path);
  const source: ExprSource = { text, span };
  const quote = loaded.text[span.start] === '"' || loaded.text[span.start] === "'" ? 1 : 0;
  const start = span.start + quote;
  if (loaded.text.startsWith(text, start)) source.textStart = start;
  return source;
}

/** A span `offset`..`offset+length` inside the expression, or the whole scalar when that cannot be located. */
export function spanIn(source: ExprSource, offset: number, length: number): Span {
  if (source.textStart === undefined) return source.span;
  return { file: source.span.file, start: source.textStart + offset, length: Math.max(1, length) };
}
