/**
 * REFERENCE IMPLEMENTATION of scanShell, kept verbatim (only the import path changed) as the
 * oracle for test/render/scan-differential.real.test.ts. Do not optimise or "fix" this copy: the
 * fast scanner in src/shell/scan.ts must return exactly what this one returns.
 */
/**
 * A small shell-context scanner for cloudmesh templates (and shell-text config fields).
 *
 * It does not parse shell; it follows just enough of bash's quoting rules to know, for
 * each `{placeholder}`, what kind of text surrounds it, so the value can be escaped for
 * exactly that position (shell/context.ts). Text around placeholders is never changed.
 *
 * Tracked: '...', "...", $'...', `...`, $(...), $((...)), ((...)), ${...}, comments
 * (`#` at the start of a word), #SBATCH/#BSUB directive lines, and here-documents
 * (`<<EOF`, `<<-EOF`, `<<'EOF'`, `<<"EOF"`, `<<\EOF`). A template that ends inside a
 * quote, substitution or here-document is reported: the placeholders after the point
 * where the scanner and bash could disagree cannot be quoted safely.
 */
import { matchPlaceholderAt } from '../../src/syntax/placeholders.js';

export type SlotContext =
  /** Plain shell words: the value becomes one quoted word. */
  | 'unquoted'
  | 'single'
  | 'double'
  /** $'...' */
  | 'ansi'
  /** The word of `${VAR:-word}` and friends. */
  | 'param'
  | 'comment'
  /** An #SBATCH / #BSUB line. */
  | 'directive'
  /** Body of `<<EOF` (expansions happen). */
  | 'heredoc'
  /** Body of `<<'EOF'` (nothing happens). */
  | 'heredoc-quoted';

export interface HeredocInfo {
  delimiter: string;
  /** `<<-`: leading tabs are stripped before comparing with the delimiter. */
  stripTabs: boolean;
}

export interface Slot {
  start: number;
  end: number;
  name: string;
  path: string[];
  context: SlotContext;
  /** Inside `...` command substitution: backslashes and backticks need one more escape. */
  inBackticks: boolean;
  /** Every here-document the slot sits in (its line must not become a delimiter line). */
  heredocs: HeredocInfo[];
  /** 1-based line of the slot in the scanned text. */
  line: number;
  /** Offsets of that line (end excludes the newline). */
  lineStart: number;
  lineEnd: number;
}

export interface ScanProblem {
  offset: number;
  line: number;
  message: string;
}

export interface ShellScan {
  slots: Slot[];
  problems: ScanProblem[];
}

type Frame =
  | { kind: 'top' | 'backtick' | 'double' | 'single' | 'ansi' | 'param'; open: number }
  | { kind: 'cmdsub' | 'arith'; open: number; depth: number }
  | ({ kind: 'heredoc'; open: number; quoted: boolean } & HeredocInfo);

const FRAME_NAMES: Record<Frame['kind'], string> = {
  top: 'the script',
  backtick: 'a `...` command substitution',
  double: 'a double-quoted string',
  single: 'a single-quoted string',
  ansi: "a $'...' string",
  param: 'a ${...} expansion',
  cmdsub: 'a $(...) command substitution',
  arith: 'an arithmetic expression',
  heredoc: 'a here-document',
};

const WORD_BREAK = /[\s;&|()<>]/;

function lineOf(lineStarts: number[], offset: number): number {
  let lo = 0;
  let hi = lineStarts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (lineStarts[mid]! <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo + 1;
}

const TOKEN_AT = /\u0001(\d+)\u0002/y;

/** A value token `\u0001N\u0002` (see render/eta.ts); its name is N. */
function matchToken(text: string, i: number): { start: number; end: number; name: string; path: string[] } | undefined {
  TOKEN_AT.lastIndex = i;
  const m = TOKEN_AT.exec(text);
  return m ? { start: i, end: i + m[0].length, name: m[1]!, path: [] } : undefined;
}

/**
 * Find the slots of `text` and their shell positions. Slots are `{placeholders}`, or,
 * with `tokens`, the value tokens `\u0001N\u0002` an Eta render leaves for `<%= %>`.
 */
export function scanShell(text: string, options: { tokens?: boolean } = {}): ShellScan {
  const tokens = options.tokens === true;
  const n = text.length;
  const lineStarts = [0];
  for (let k = 0; k < n; k++) if (text.charCodeAt(k) === 10) lineStarts.push(k + 1);
  const lineAt = (offset: number): number => lineOf(lineStarts, offset);

  const slots: Slot[] = [];
  const problems: ScanProblem[] = [];
  const frames: Frame[] = [{ kind: 'top', open: 0 }];
  const pending: (HeredocInfo & { quoted: boolean; open: number })[] = [];
  let lineMode: 'comment' | 'directive' | null = null;
  let lineStart = 0;
  let i = 0;

  const top = (): Frame => frames[frames.length - 1]!;
  const isCode = (f: Frame): boolean => f.kind === 'top' || f.kind === 'cmdsub' || f.kind === 'arith' || f.kind === 'backtick';
  const hasBacktick = (): boolean => frames.some((f) => f.kind === 'backtick');
  const wordStart = (k: number): boolean => k === 0 || WORD_BREAK.test(text[k - 1]!);
  const popToBacktick = (): void => {
    while (frames.length > 1 && frames.pop()!.kind !== 'backtick');
  };

  const contextOf = (): SlotContext => {
    if (lineMode) return lineMode;
    const f = top();
    switch (f.kind) {
      case 'single':
      case 'double':
      case 'ansi':
      case 'param':
        return f.kind;
      case 'heredoc':
        return f.quoted ? 'heredoc-quoted' : 'heredoc';
      default:
        return 'unquoted';
    }
  };

  /** `$` at i in a context where expansions happen: returns the new index. */
  const dollar = (allowQuotes: boolean): number => {
    const next = text[i + 1];
    if (next === '{') {
      frames.push({ kind: 'param', open: i });
      return i + 2;
    }
    if (next === '(') {
      if (text[i + 2] === '(') {
        frames.push({ kind: 'arith', open: i, depth: 2 });
        return i + 3;
      }
      frames.push({ kind: 'cmdsub', open: i, depth: 1 });
      return i + 2;
    }
    if (allowQuotes && next === "'") {
      frames.push({ kind: 'ansi', open: i });
      return i + 2;
    }
    if (allowQuotes && next === '"') {
      frames.push({ kind: 'double', open: i });
      return i + 2;
    }
    return i + 1;
  };

  /** `<<` at i in code: read the delimiter word and queue the body. */
  const heredocOperator = (): number => {
    let j = i + 2;
    const stripTabs = text[j] === '-';
    if (stripTabs) j++;
    while (text[j] === ' ' || text[j] === '\t') j++;
    let delimiter = '';
    let quoted = false;
    while (j < n && !WORD_BREAK.test(text[j]!)) {
      const c = text[j]!;
      if (c === "'" || c === '"') {
        quoted = true;
        const close = text.indexOf(c, j + 1);
        const stop = close < 0 ? n : close;
        delimiter += text.slice(j + 1, stop);
        j = stop + 1;
      } else if (c === '\\') {
        quoted = true;
        delimiter += text[j + 1] ?? '';
        j += 2;
      } else {
        delimiter += c;
        j++;
      }
    }
    if (delimiter === '') problems.push({ offset: i, line: lineAt(i), message: 'a here-document operator (<<) has no delimiter word' });
    else pending.push({ delimiter, stripTabs, quoted, open: i });
    return j;
  };

  while (i < n) {
    const f = top();
    if (f.kind === 'heredoc' && i === lineStart) {
      const eol = text.indexOf('\n', i);
      const end = eol < 0 ? n : eol;
      const candidate = f.stripTabs ? text.slice(i, end).replace(/^\t+/, '') : text.slice(i, end);
      if (candidate === f.delimiter) {
        frames.pop();
        i = end;
        continue;
      }
    }
    const ch = text[i]!;
    if (ch === (tokens ? '\u0001' : '{')) {
      const m = tokens ? matchToken(text, i) : matchPlaceholderAt(text, i);
      if (m) {
        const ls = text.lastIndexOf('\n', i - 1) + 1;
        const le = text.indexOf('\n', i);
        const heredocs = frames.filter((x): x is Extract<Frame, { kind: 'heredoc' }> => x.kind === 'heredoc').map((x) => ({ delimiter: x.delimiter, stripTabs: x.stripTabs }));
        slots.push({ ...m, context: contextOf(), inBackticks: hasBacktick(), heredocs, line: lineAt(i), lineStart: ls, lineEnd: le < 0 ? n : le });
        i = m.end;
        continue;
      }
    }
    if (ch === '\n') {
      lineMode = null;
      lineStart = i + 1;
      i++;
      if (pending.length && isCode(top())) {
        for (const h of pending.reverse()) frames.push({ kind: 'heredoc', open: h.open, delimiter: h.delimiter, stripTabs: h.stripTabs, quoted: h.quoted });
        pending.length = 0;
      }
      continue;
    }
    if (lineMode) {
      i++;
      continue;
    }
    switch (f.kind) {
      case 'single':
        if (ch === "'") frames.pop();
        else if (ch === '`' && hasBacktick()) popToBacktick();
        i++;
        break;
      case 'ansi':
        if (ch === '\\') i += 2;
        else {
          if (ch === "'") frames.pop();
          i++;
        }
        break;
      case 'double':
      case 'param':
      case 'heredoc':
        if (f.kind === 'heredoc' && f.quoted) i++;
        else if (ch === '\\') i += 2;
        else if (ch === '$') i = dollar(false);
        else if (ch === '`') {
          if (f.kind !== 'heredoc' && hasBacktick()) popToBacktick();
          else frames.push({ kind: 'backtick', open: i });
          i++;
        } else if (f.kind === 'double' && ch === '"') {
          frames.pop();
          i++;
        } else if (f.kind === 'param' && ch === '}') {
          frames.pop();
          i++;
        } else if (f.kind === 'param' && (ch === "'" || ch === '"')) {
          // bash honours quotes in ${VAR:-word}, also inside "..." and here-documents.
          frames.push({ kind: ch === "'" ? 'single' : 'double', open: i });
          i++;
        } else i++;
        break;
      default: {
        // Code: top level, $(...), $((...)), `...`.
        if (ch === '\\') i += 2;
        else if (ch === "'") {
          frames.push({ kind: 'single', open: i });
          i++;
        } else if (ch === '"') {
          frames.push({ kind: 'double', open: i });
          i++;
        } else if (ch === '`') {
          if (f.kind === 'backtick') frames.pop();
          else frames.push({ kind: 'backtick', open: i });
          i++;
        } else if (ch === '$') i = dollar(true);
        else if (ch === '#' && f.kind !== 'arith' && wordStart(i)) {
          lineMode = i === lineStart && /^#(SBATCH|BSUB)\b/.test(text.slice(i, i + 7)) ? 'directive' : 'comment';
          i++;
        } else if (ch === '(') {
          if (f.kind === 'cmdsub' || f.kind === 'arith') f.depth++;
          else if (text[i + 1] === '(' && wordStart(i)) {
            frames.push({ kind: 'arith', open: i, depth: 2 });
            i++;
          }
          i++;
        } else if (ch === ')') {
          if ((f.kind === 'cmdsub' || f.kind === 'arith') && --f.depth === 0) frames.pop();
          i++;
        } else if (ch === '<' && text[i + 1] === '<' && f.kind !== 'arith') {
          if (text[i + 2] === '<') i += 3;
          else i = heredocOperator();
        } else i++;
      }
    }
  }
  for (const h of pending) problems.push({ offset: h.open, line: lineAt(h.open), message: `the here-document <<${h.delimiter} has no body` });
  for (let k = frames.length - 1; k > 0; k--) {
    const fr = frames[k]!;
    const what = fr.kind === 'heredoc' ? `the here-document <<${fr.delimiter} (no line "${fr.delimiter}" ends it)` : FRAME_NAMES[fr.kind];
    problems.push({ offset: fr.open, line: lineAt(fr.open), message: `the text ends inside ${what} opened on line ${lineAt(fr.open)}` });
  }
  return { slots, problems };
}

/**
 * The problems that matter: those before some slot. Slots before the first problem were
 * scanned in agreement with bash; after it, their positions (and so their quoting) are
 * uncertain, so a text with such slots must be refused.
 */
export function blockingProblems(scan: ShellScan): ScanProblem[] {
  if (!scan.problems.length) return [];
  const first = Math.min(...scan.problems.map((p) => p.offset));
  return scan.slots.some((s) => s.start >= first) ? scan.problems : [];
}
