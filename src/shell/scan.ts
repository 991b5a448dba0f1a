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
import { matchPlaceholderAt } from '../syntax/placeholders.js';

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

/** A 128-entry table: 1 for each (ASCII) character of `chars`. */
function asciiSet(chars: string): Uint8Array {
  const set = new Uint8Array(128);
  for (let k = 0; k < chars.length; k++) set[chars.charCodeAt(k)] = 1;
  return set;
}

/**
 * Characters that end a word (bash's metacharacters and blanks): a `#` after one of them
 * (or at the start of the text) starts a comment. The regex is the definition; the table
 * is the same set for ASCII codes, and the regex still decides every other character
 * (`\s` also matches some non-ASCII spaces, such as U+00A0).
 */
const WORD_BREAK = /[\s;&|()<>]/;
const WORD_BREAK_ASCII = asciiSet('\t\n\v\f\r ;&|()<>');

function isWordBreak(code: number): boolean {
  return code < 128 ? WORD_BREAK_ASCII[code] === 1 : WORD_BREAK.test(String.fromCharCode(code));
}

// Character codes the scanner looks at.
const SOH = 0x01; // opens a value token \u0001N\u0002
const STX = 0x02; // closes it
const TAB = 0x09;
const NL = 0x0a;
const DQUOTE = 0x22;
const HASH = 0x23;
const DOLLAR = 0x24;
const SQUOTE = 0x27;
const LPAREN = 0x28;
const RPAREN = 0x29;
const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;
const LT = 0x3c;
const BACKSLASH = 0x5c;
const BACKTICK = 0x60;
const LBRACE = 0x7b;
const RBRACE = 0x7d;

/*
 * Fast paths. In every state most characters only move the scanner on by one: letters,
 * digits, blanks, and all non-ASCII text. For each state the table below lists the ASCII
 * characters that may do more there (open or close a frame, escape the next character,
 * start a comment, ...), together with the three characters that matter in every state:
 * newline and both slot openers (`{` and \u0001, whatever the mode). `skipPlain` jumps over
 * a run of characters outside the table in one tight loop; the character it stops at goes
 * through the full rules of the main loop, which treat an over-cautious stop as plain text.
 * So a table may list too much (that only costs time) but must never list too little: a
 * missing character would be skipped where the rules below give it a meaning.
 * test/render/scan-differential.real.test.ts checks the result against the plain
 * one-character-at-a-time scanner (test/support/scan-reference.ts).
 *
 * Comment and directive lines, and bodies of quoted here-documents, where only newlines and
 * slots matter, need no table: `nextLineStop` (in scanShell) finds both with indexOf.
 */
const ALWAYS = '\n\u0001{';
/** '...': the closing quote; a backtick may end an enclosing `...`. */
const STOP_SINGLE = asciiSet(ALWAYS + "'`");
/** $'...': backslash escapes, the closing quote. */
const STOP_ANSI = asciiSet(ALWAYS + "\\'");
/** "...": backslash, expansions, backticks, the closing quote. */
const STOP_DOUBLE = asciiSet(ALWAYS + '\\$`"');
/** ${...}: as "..." plus the closing brace and nested quotes. */
const STOP_PARAM = asciiSet(ALWAYS + '\\$`}\'"');
/** <<EOF body: backslash, expansions, backticks. */
const STOP_HEREDOC = asciiSet(ALWAYS + '\\$`');
/** Code (top level, $(...), $((...)), `...`): escapes, quotes, backticks, expansions, comments, parentheses, `<<`. */
const STOP_CODE = asciiSet(ALWAYS + '\\\'"`$#()<');

/** The first offset from `i` whose character is in `stop` (or `n`). */
function skipPlain(text: string, i: number, n: number, stop: Uint8Array): number {
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c < 128 && stop[c] === 1) return i;
    i++;
  }
  return n;
}

/**
 * Find the slots of `text` and their shell positions. Slots are `{placeholders}`, or,
 * with `tokens`, the value tokens `\u0001N\u0002` an Eta render leaves for `<%= %>`.
 */
export function scanShell(text: string, options: { tokens?: boolean } = {}): ShellScan {
  const tokens = options.tokens === true;
  const opener = tokens ? SOH : LBRACE;
  const openerChar = tokens ? '\u0001' : '{';
  const n = text.length;

  // 1-based line of an offset, counted on demand: `lineCount` is the line of `linePos`.
  // Offsets asked for mostly increase (slots, then problems), so each newline is usually
  // counted once; a smaller offset starts over from the beginning.
  let linePos = 0;
  let lineCount = 1;
  const lineAt = (offset: number): number => {
    if (offset < linePos) {
      linePos = 0;
      lineCount = 1;
    }
    for (let k = text.indexOf('\n', linePos); k >= 0 && k < offset; k = text.indexOf('\n', k + 1)) lineCount++;
    linePos = offset;
    return lineCount;
  };

  const slots: Slot[] = [];
  const problems: ScanProblem[] = [];
  const frames: Frame[] = [{ kind: 'top', open: 0 }];
  const pending: (HeredocInfo & { quoted: boolean; open: number })[] = [];
  let lineMode: 'comment' | 'directive' | null = null;
  let lineStart = 0;
  let i = 0;

  // Fast path for text where only newlines and slots matter: the next newline or slot
  // opener, found with indexOf. `nextOpener` is the first opener at or after the offset it
  // was searched from (n: none), so it stays valid until the scan passes it.
  let nextOpener = -1;
  const nextLineStop = (from: number): number => {
    if (nextOpener < from) {
      nextOpener = text.indexOf(openerChar, from);
      if (nextOpener < 0) nextOpener = n;
    }
    const eol = text.indexOf('\n', from);
    return eol >= 0 && eol < nextOpener ? eol : nextOpener;
  };

  const hasBacktick = (): boolean => {
    // frames[0] is always the 'top' frame.
    for (let k = frames.length - 1; k > 0; k--) if (frames[k]!.kind === 'backtick') return true;
    return false;
  };
  const wordStart = (k: number): boolean => k === 0 || isWordBreak(text.charCodeAt(k - 1));
  const popToBacktick = (): void => {
    while (frames.length > 1 && frames.pop()!.kind !== 'backtick');
  };

  const contextOf = (f: Frame): SlotContext => {
    if (lineMode) return lineMode;
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

  /** The here-documents on the frame stack, outermost first. */
  const heredocsOpen = (): HeredocInfo[] => {
    const out: HeredocInfo[] = [];
    for (let k = 1; k < frames.length; k++) {
      const x = frames[k]!;
      if (x.kind === 'heredoc') out.push({ delimiter: x.delimiter, stripTabs: x.stripTabs });
    }
    return out;
  };

  /** Is the line from `i` to `end` (no newline) the delimiter of here-document `f`? */
  const isDelimiterLine = (f: Extract<Frame, { kind: 'heredoc' }>, end: number): boolean => {
    let k = i;
    // <<-: leading tabs are stripped before comparing.
    if (f.stripTabs) while (k < end && text.charCodeAt(k) === TAB) k++;
    return end - k === f.delimiter.length && text.startsWith(f.delimiter, k);
  };

  /** `$` at i in a context where expansions happen: returns the new index. */
  const dollar = (allowQuotes: boolean): number => {
    const next = text.charCodeAt(i + 1);
    if (next === LBRACE) {
      frames.push({ kind: 'param', open: i });
      return i + 2;
    }
    if (next === LPAREN) {
      if (text.charCodeAt(i + 2) === LPAREN) {
        frames.push({ kind: 'arith', open: i, depth: 2 });
        return i + 3;
      }
      frames.push({ kind: 'cmdsub', open: i, depth: 1 });
      return i + 2;
    }
    if (allowQuotes && next === SQUOTE) {
      frames.push({ kind: 'ansi', open: i });
      return i + 2;
    }
    if (allowQuotes && next === DQUOTE) {
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
    while (j < n && !isWordBreak(text.charCodeAt(j))) {
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
    const f = frames[frames.length - 1]!;
    // i === lineStart only on the step right after a newline (the fast paths stop at every
    // newline), so each line of a here-document body is compared with its delimiter.
    if (f.kind === 'heredoc' && i === lineStart) {
      const eol = text.indexOf('\n', i);
      const end = eol < 0 ? n : eol;
      if (isDelimiterLine(f, end)) {
        frames.pop();
        i = end;
        continue;
      }
    }
    const c = text.charCodeAt(i);
    if (c === opener) {
      // A value token \u0001N\u0002 (see render/eta.ts; its name is N), or a {placeholder}.
      let end = -1;
      let name = '';
      let path: string[] = [];
      if (tokens) {
        let j = i + 1;
        while (j < n && text.charCodeAt(j) >= DIGIT_0 && text.charCodeAt(j) <= DIGIT_9) j++;
        if (j > i + 1 && text.charCodeAt(j) === STX) {
          end = j + 1;
          name = text.slice(i + 1, j);
        }
      } else {
        const m = matchPlaceholderAt(text, i);
        if (m) ({ end, name, path } = m);
      }
      if (end >= 0) {
        const ls = text.lastIndexOf('\n', i - 1) + 1;
        const le = text.indexOf('\n', i);
        slots.push({ start: i, end, name, path, context: contextOf(f), inBackticks: hasBacktick(), heredocs: heredocsOpen(), line: lineAt(i), lineStart: ls, lineEnd: le < 0 ? n : le });
        i = end;
        continue;
      }
    }
    if (c === NL) {
      lineMode = null;
      lineStart = i + 1;
      i++;
      if (pending.length) {
        const t = frames[frames.length - 1]!.kind;
        if (t === 'top' || t === 'cmdsub' || t === 'arith' || t === 'backtick') {
          for (const h of pending.reverse()) frames.push({ kind: 'heredoc', open: h.open, delimiter: h.delimiter, stripTabs: h.stripTabs, quoted: h.quoted });
          pending.length = 0;
        }
      }
      continue;
    }
    if (lineMode) {
      i = nextLineStop(i + 1);
      continue;
    }
    switch (f.kind) {
      case 'single':
        if (c === SQUOTE) {
          frames.pop();
          i++;
        } else if (c === BACKTICK && hasBacktick()) {
          popToBacktick();
          i++;
        } else i = skipPlain(text, i + 1, n, STOP_SINGLE);
        break;
      case 'ansi':
        if (c === BACKSLASH) i += 2;
        else if (c === SQUOTE) {
          frames.pop();
          i++;
        } else i = skipPlain(text, i + 1, n, STOP_ANSI);
        break;
      case 'double':
      case 'param':
      case 'heredoc':
        if (f.kind === 'heredoc' && f.quoted) i = nextLineStop(i + 1);
        else if (c === BACKSLASH) i += 2;
        else if (c === DOLLAR) i = dollar(false);
        else if (c === BACKTICK) {
          if (f.kind !== 'heredoc' && hasBacktick()) popToBacktick();
          else frames.push({ kind: 'backtick', open: i });
          i++;
        } else if (f.kind === 'double' && c === DQUOTE) {
          frames.pop();
          i++;
        } else if (f.kind === 'param' && c === RBRACE) {
          frames.pop();
          i++;
        } else if (f.kind === 'param' && (c === SQUOTE || c === DQUOTE)) {
          // bash honours quotes in ${VAR:-word}, also inside "..." and here-documents.
          frames.push({ kind: c === SQUOTE ? 'single' : 'double', open: i });
          i++;
        } else i = skipPlain(text, i + 1, n, f.kind === 'double' ? STOP_DOUBLE : f.kind === 'param' ? STOP_PARAM : STOP_HEREDOC);
        break;
      default: {
        // Code: top level, $(...), $((...)), `...`.
        if (c === BACKSLASH) i += 2;
        else if (c === SQUOTE) {
          frames.push({ kind: 'single', open: i });
          i++;
        } else if (c === DQUOTE) {
          frames.push({ kind: 'double', open: i });
          i++;
        } else if (c === BACKTICK) {
          if (f.kind === 'backtick') frames.pop();
          else frames.push({ kind: 'backtick', open: i });
          i++;
        } else if (c === DOLLAR) i = dollar(true);
        else if (c === HASH && f.kind !== 'arith' && wordStart(i)) {
          // Note: the test looks at 7 characters only, so `#SBATCHx` counts as a directive too.
          lineMode = i === lineStart && /^#(SBATCH|BSUB)\b/.test(text.slice(i, i + 7)) ? 'directive' : 'comment';
          i++;
        } else if (c === LPAREN) {
          if (f.kind === 'cmdsub' || f.kind === 'arith') f.depth++;
          else if (text.charCodeAt(i + 1) === LPAREN && wordStart(i)) {
            frames.push({ kind: 'arith', open: i, depth: 2 });
            i++;
          }
          i++;
        } else if (c === RPAREN) {
          if ((f.kind === 'cmdsub' || f.kind === 'arith') && --f.depth === 0) frames.pop();
          i++;
        } else if (c === LT && text.charCodeAt(i + 1) === LT && f.kind !== 'arith') {
          if (text.charCodeAt(i + 2) === LT) i += 3;
          else i = heredocOperator();
        } else i = skipPlain(text, i + 1, n, STOP_CODE);
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
