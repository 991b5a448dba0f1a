import type { Diagnostic, SourceSet } from './index.js';

/** 1-based line and column of `offset` in `text`. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  const end = Math.min(offset, text.length);
  for (let i = 0; i < end; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: end - lineStart + 1 };
}

function lineText(text: string, line: number): string {
  const lines = text.split('\n');
  return (lines[line - 1] ?? '').replace(/\r$/, '');
}

function codeFrame(text: string, line: number, column: number, length: number): string {
  const width = String(line + 1).length;
  const out: string[] = [];
  for (let l = Math.max(1, line - 1); l <= line; l++) {
    const marker = l === line ? '>' : ' ';
    out.push(`${marker} ${String(l).padStart(width)} | ${lineText(text, l)}`);
  }
  const src = lineText(text, line);
  const caretLen = Math.max(1, Math.min(length, src.length - column + 1));
  // Tabs in the source line are kept so the caret lines up under them.
  const pad = src.slice(0, column - 1).replace(/[^\t]/g, ' ');
  out.push(`  ${' '.repeat(width)} | ${pad}${'^'.repeat(caretLen)}`);
  return out.join('\n');
}

/**
 * `file:line:col - error EG2003: message`, then a code frame and a hint.
 * The first line has the shape editors and CI annotators understand.
 */
export interface FormatOptions {
  /** ANSI colour for the severity (a terminal that wants it: the CLI decides, honouring NO_COLOR). */
  color?: boolean;
}

const SEVERITY_COLOR = { error: '\x1b[1;31m', warning: '\x1b[1;33m' } as const;

export function formatDiagnostic(d: Diagnostic, sources?: SourceSet, opts: FormatOptions = {}): string {
  const text = d.file ? sources?.get(d.file) : undefined;
  let location = '';
  let frame = '';
  if (d.file) {
    if (d.start !== undefined && text !== undefined) {
      const { line, column } = lineColumn(text, d.start);
      location = `${d.file}:${line}:${column}`;
      frame = codeFrame(text, line, column, d.length ?? 1);
    } else if (d.line !== undefined) {
      location = `${d.file}:${d.line}`;
      if (text !== undefined) frame = codeFrame(text, d.line, 1, lineText(text, d.line).length);
    } else {
      location = d.file;
    }
  }
  const severity = opts.color ? `${SEVERITY_COLOR[d.severity]}${d.severity}\x1b[0m` : d.severity;
  const head = `${location ? `${location} - ` : ''}${severity} ${d.code}: ${d.message}`;
  const parts = [head];
  if (frame) parts.push(frame);
  if (d.hint) parts.push(`  hint: ${d.hint}`);
  return parts.join('\n');
}

export function formatDiagnostics(list: readonly Diagnostic[], sources?: SourceSet, opts: FormatOptions = {}): string {
  const body = list.map((d) => formatDiagnostic(d, sources, opts)).join('\n\n');
  const errors = list.filter((d) => d.severity === 'error').length;
  const warnings = list.length - errors;
  const summary: string[] = [];
  if (errors) summary.push(`${errors} error${errors === 1 ? '' : 's'}`);
  if (warnings) summary.push(`${warnings} warning${warnings === 1 ? '' : 's'}`);
  return summary.length ? `${body}\n\nFound ${summary.join(' and ')}.` : body;
}
