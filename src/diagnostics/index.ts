/**
 * Diagnostics are values, not exceptions. A stage collects every problem it finds as a
 * `Diagnostic` (stable code, file, offset span, message, hint) and returns them beside
 * its result. Line/column and code frames are computed only when a diagnostic is
 * printed (see format.ts), from the source texts registered in a `SourceSet`.
 *
 * Code ranges (each stage keeps its own catalogue next to its code):
 *   EG1xxx load (YAML syntax)       EG2xxx validate (schema)
 *   EG3xxx expand / resolve         EG4xxx render (templates)
 *   EG5xxx write / verify / check   EG6xxx dispatch (hosts, submit, status)
 *   EG7xxx run records (events, timers, MLLOG, power, fingerprint, result.json)
 *   EG9xxx command line and internal
 */
export type Severity = 'error' | 'warning';

export interface Diagnostic {
  /** Stable, searchable code such as `EG2003`. */
  code: string;
  severity: Severity;
  /** What is wrong, in one sentence. */
  message: string;
  /** How to fix it. */
  hint?: string;
  /** Path of the file as the user named it (relative paths stay relative). */
  file?: string;
  /** Offset of the problem in the file's text (UTF-16 code units). */
  start?: number;
  /** Length of the problem span. */
  length?: number;
  /** 1-based line, for sources where only a line is known (e.g. a template). */
  line?: number;
}

/** A located span in a source file, produced by the loader. */
export interface Span {
  file: string;
  start: number;
  length: number;
}

export function diag(
  code: string,
  message: string,
  where?: Span | { file: string; line?: number } | undefined,
  hint?: string,
  severity: Severity = 'error',
): Diagnostic {
  const d: Diagnostic = { code, severity, message };
  if (hint) d.hint = hint;
  if (where) {
    d.file = where.file;
    if ('start' in where) {
      d.start = where.start;
      d.length = where.length;
    } else if (where.line !== undefined) {
      d.line = where.line;
    }
  }
  return d;
}

export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === 'error');
}

/**
 * Thrown inside a stage to abort with user-facing diagnostics; caught at the stage
 * boundary (and by the CLI, which exits 1). Any other exception is a bug (exit 2).
 */
export class DiagnosticError extends Error {
  readonly diagnostics: Diagnostic[];
  constructor(diagnostics: Diagnostic | Diagnostic[], options?: { cause?: unknown }) {
    const list = Array.isArray(diagnostics) ? diagnostics : [diagnostics];
    super(list.map((d) => `${d.code}: ${d.message}`).join('\n'), options);
    this.name = 'DiagnosticError';
    this.diagnostics = list;
  }
}

export function isDiagnosticError(e: unknown): e is DiagnosticError {
  return e instanceof DiagnosticError;
}

/** Source texts by file name, so the formatter can compute lines and code frames. */
export class SourceSet {
  private readonly texts = new Map<string, string>();
  add(file: string, text: string): void {
    this.texts.set(file, text);
  }
  get(file: string): string | undefined {
    return this.texts.get(file);
  }
}

export { formatDiagnostic, formatDiagnostics, lineColumn, type FormatOptions } from './format.js';
export { nearest } from './suggest.js';

/**
 * The same problem found in many bundles (an unknown placeholder in the template)
 * is one problem: keep the first of each (code, place, message).
 */
export function dedupe(list: readonly Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  return list.filter((d) => {
    const key = `${d.code}|${d.file ?? ''}|${d.start ?? ''}|${d.line ?? ''}|${d.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Sort by file, then position, keeping the original order where equal. */
export function byPosition(list: readonly Diagnostic[]): Diagnostic[] {
  return list
    .map((d, i) => ({ d, i }))
    .sort((a, b) => (a.d.file ?? '').localeCompare(b.d.file ?? '') || (a.d.start ?? a.d.line ?? 0) - (b.d.start ?? b.d.line ?? 0) || a.i - b.i)
    .map(({ d }) => d);
}
