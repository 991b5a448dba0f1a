/**
 * `files:`: what is copied into every bundle, read once per build (every bundle shares
 * the same Buffers). An entry is a string or `{from, to}`; `from` is relative to the
 * config file's directory.
 *
 * - A path naming a file copies it (to its base name, or to `to`), as before.
 * - A path naming a directory copies every file below it, at the same relative path
 *   (`files: [src]` gives `src/pkg/mod.py`), or below `to` (`to: .` is the bundle root).
 * - Anything else with glob syntax (picomatch, the matcher fast-glob uses: `**`, `*`, `?`,
 *   `[ab]`, `{a,b}`) copies each file it matches at its path relative to the config
 *   directory (`src/**\/*.py` gives `src/pkg/mod.py`), or relative to the pattern's static
 *   base below `to`. A glob matching no file is an error (EG2022). An existing path is that
 *   path even when it contains glob characters (`model[v2].onnx`).
 * - A string starting with `!` removes the files whose bundle path, or one of its parent
 *   directories, matches it from every directory and glob entry (`!src/**\/__pycache__`).
 *
 * Order: by bundle path in byte order, never the file system's order. Modes: a file
 * whose owner may execute it is 0755, every other file 0644 (what git keeps). Dot
 * files: a directory entry copies them; a glob matches them only where a pattern segment
 * names the dot (`src/**\/.env`), fast-glob's `dot: false`. `.git` (directory or file) is
 * never copied, and a directory below an entry that holds `.eegen/` (an eegen output
 * directory) is skipped, so `**\/*.py` does not copy earlier bundles.
 *
 * Symlinks met inside a directory or glob are resolved: one to a file or directory inside
 * the config's directory (or inside the entry's own directory when that lies elsewhere) is
 * copied as what it points to; one leading outside, a dangling one, and one to its own
 * ancestor (a loop) are errors (EG2023), found without following the loop. An entry
 * that is itself a symlink is followed, as before (the user named it).
 *
 * Bundle paths must stay inside the bundle (EG2020, as before: `../x` and absolute
 * paths may be read, but need a `to`), be writable as sha256sum lines (EG2026: no
 * newline or backslash), not collide across entries (EG2024), and not use a name eegen
 * writes itself (EG2025).
 */
import { lstatSync, readdirSync, readlinkSync, realpathSync, statSync, type Dirent, type Stats } from 'node:fs';
import path from 'node:path';
import { diag, lineColumn, type Diagnostic, type Span } from '../diagnostics/index.js';
import { RUN_LAYOUT } from '../bundle/run-layout.js';
import { LAYOUT, type LoadedYaml } from '../types.js';
import { TEMP_PREFIX } from '../write/manifest.js';
import { ancestors, compareBytes, relPathProblem } from '../write/paths.js';
import { exclusionMatcher, isGlob, pathMatcher, splitGlob, type Matcher } from './glob.js';
import { COPY_LIMIT, describeKind, InputFileError, readInputFileSync } from './read.js';

export interface CopiedFile {
  /** Path inside the bundle (POSIX). */
  to: string;
  content: Buffer;
  /** 0o755 when the source's owner may execute it, else 0o644. */
  mode: number;
}

export type FilesEntry = string | { from: string; to?: string };

export const FILES_CODES = {
  /** A bundle path outside the bundle (absolute, `..`). */
  outside: 'EG2020',
  /** A listed file cannot be read (missing, not a regular file, too large). */
  unreadable: 'EG2021',
  /** A glob matches no file, or a directory holds none. */
  empty: 'EG2022',
  /** A symlink inside a directory or glob leads outside, dangles, or loops. */
  symlink: 'EG2023',
  /** Two entries put a file at the same bundle path (or a file where another needs a directory). */
  collision: 'EG2024',
  /** A copied file would take a name eegen writes itself, or an entry lies in .git. */
  reserved: 'EG2025',
  /** A file name a bundle cannot hold (newline, backslash). */
  badName: 'EG2026',
  /** More files or bytes than one build copies. */
  tooMuch: 'EG2027',
} as const;

/** Together, all copied files: every bundle holds its own copy and all are in memory. */
export const MAX_COPIED_FILES = 100_000;
export const MAX_COPIED_BYTES = 4 * COPY_LIMIT;
/** Directories visited (symlinked directories may repeat a tree: this bounds the time). */
const MAX_DIRS = 100_000;
/** Problems reported per entry before the rest are counted. */
const MAX_PROBLEMS = 10;

const READ_HINT = 'Paths in files are relative to the config file; list regular files only (data sets belong on the host, referenced by path).';
const SYMLINK_HINT = 'eegen copies what a symlink inside the project points to, never a path outside it; remove or fix the link, exclude it with a "!path" entry, or list its target as its own entry with a "to".';

/** The names of a bundle that are eegen's (the script too: `script`). */
function reservedWhy(p: string, script: string | undefined): string | undefined {
  if (p === script) return 'the rendered job script';
  if (p === 'config.yaml') return "the bundle's frozen config";
  if (p === LAYOUT.manifest) return "the bundle's manifest";
  if (p === LAYOUT.checksums) return "the bundle's checksums";
  if (p === RUN_LAYOUT.wrapper) return 'the run wrapper';
  const first = p.split('/', 1)[0]!;
  if (first === RUN_LAYOUT.dir || first.startsWith(`${RUN_LAYOUT.dir}.attempt-`)) return "the run's records";
  if (p.split('/').some((s) => s.startsWith(TEMP_PREFIX))) return "the writer's temporary files";
  return undefined;
}

/** Bytes and mode of a regular file (never blocks on a FIFO, never reads a device); the mode as git keeps it: 0755 when the owner may execute it, else 0644. */
function readRegular(file: string, limit: number): { content: Buffer; mode: number } {
  const { content, mode } = readInputFileSync(file, limit);
  return { content, mode: mode & 0o100 ? 0o755 : 0o644 };
}

const inside = (p: string, root: string): boolean => p === root || p.startsWith(root.endsWith(path.sep) ? root : root + path.sep);
const toPosix = (p: string): string => p.split(path.sep).join('/');
const errno = (e: unknown): string | undefined => (e as NodeJS.ErrnoException).code;

/** Where a bundle path lands, normalised; `..`/absolute: undefined. `''` is the bundle root. */
function bundlePath(p: string): string | undefined {
  const posix = toPosix(p);
  if (path.posix.isAbsolute(posix) || /^[A-Za-z]:/.test(posix)) return undefined;
  const n = path.posix.normalize(posix).replace(/\/+$/, '');
  if (n === '..' || n.startsWith('../')) return undefined;
  return n === '.' ? '' : n;
}

const join = (prefix: string, rel: string): string => (prefix === '' ? rel : rel === '' ? prefix : `${prefix}/${rel}`);

/** line:col of a span, for naming another entry in a message. */
function lineCol(text: string, at: Span): string {
  const { line, column } = lineColumn(text, at.start);
  return `${at.file}:${line}:${column}`;
}

interface Placed {
  entry: number;
  from: string;
}

/** State of one readFiles call. */
class Reader {
  readonly files = new Map<string, CopiedFile>();
  /** Bundle path -> the entry that put a file there. */
  readonly placed = new Map<string, Placed>();
  /** Directory in the bundle -> the first file placed below it (a file may not go there). */
  readonly below = new Map<string, Placed>();
  readonly diagnostics: Diagnostic[] = [];
  /** Problems reported per entry (the rest are counted in one line). */
  readonly problems = new Map<number, number>();
  bytes = 0;
  dirs = 0;
  stopped = false;
  private readonly exclusions: Matcher[];

  constructor(
    readonly loaded: LoadedYaml,
    readonly configDir: string,
    readonly script: string | undefined,
    exclusions: string[],
  ) {
    this.exclusions = exclusions.map(exclusionMatcher);
  }

  where(i: number): Span {
    return this.loaded.locate(['files', i]);
  }

  /** An exclusion matches the bundle path or one of its directories. */
  excluded(p: string): boolean {
    if (!this.exclusions.length || p === '') return false;
    for (const m of this.exclusions) {
      if (m(p)) return true;
      for (const a of ancestors(p)) if (m(a)) return true;
    }
    return false;
  }

  fail(code: string, i: number, message: string, hint: string): void {
    const n = (this.problems.get(i) ?? 0) + 1;
    this.problems.set(i, n);
    if (n <= MAX_PROBLEMS) this.diagnostics.push(diag(code, message, this.where(i), hint));
  }

  /** A line for each entry with more problems than were shown. */
  summarise(): void {
    for (const [i, n] of this.problems) {
      if (n > MAX_PROBLEMS) this.diagnostics.push(diag(FILES_CODES.unreadable, `files[${i}] has ${n - MAX_PROBLEMS} more problems like the ones above.`, this.where(i), 'Fix the ones shown, or narrow the entry with a glob or "!path" entries.'));
    }
  }

  /** Record one file at bundle path `to`; false when it cannot be (reported). */
  add(i: number, from: string, to: string, read: () => { content: Buffer; mode: number }): boolean {
    const problem = relPathProblem(to);
    if (problem) {
      this.fail(FILES_CODES.badName, i, `The file ${JSON.stringify(from)} from files cannot be copied: its bundle path ${JSON.stringify(to)} ${problem}.`, 'Bundle paths are checked with sha256sum -c, which cannot read a name with a newline or backslash; rename the file or exclude it with a "!path" entry.');
      return false;
    }
    const why = reservedWhy(to, this.script);
    if (why) {
      this.fail(FILES_CODES.reserved, i, `The file ${JSON.stringify(from)} from files would land at ${to}, which is ${why}, a name eegen writes into every bundle.`, 'Give it another place in the bundle with {from: ..., to: ...}, or exclude it with a "!path" entry.');
      return false;
    }
    const same = this.placed.get(to);
    const fileAbove = same ? undefined : ancestors(to).find((a) => this.placed.has(a));
    const earlier = same ?? (fileAbove !== undefined ? this.placed.get(fileAbove) : this.below.get(to));
    if (earlier) {
      const other = earlier.entry === i ? 'this entry' : `files[${earlier.entry}] (${lineCol(this.loaded.text, this.where(earlier.entry))})`;
      const what = same ? `already puts ${JSON.stringify(earlier.from)} there` : fileAbove !== undefined ? `puts the file ${JSON.stringify(earlier.from)} at ${fileAbove}, where this one needs a directory` : `puts ${JSON.stringify(earlier.from)} below it, so ${to} must be a directory`;
      this.fail(FILES_CODES.collision, i, `files[${i}] puts ${JSON.stringify(from)} at ${to}, and ${other} ${what}.`, 'Each bundle path holds one file: give one of them another place with {from: ..., to: ...}, or exclude one with a "!path" entry.');
      return false;
    }
    let file: { content: Buffer; mode: number };
    try {
      file = read();
    } catch (e) {
      if (!(e instanceof InputFileError)) throw e;
      this.fail(FILES_CODES.unreadable, i, `The file ${JSON.stringify(from)} listed in files ${e.what}.`, READ_HINT);
      return false;
    }
    this.bytes += file.content.length;
    if (this.files.size >= MAX_COPIED_FILES || this.bytes > MAX_COPIED_BYTES) {
      const limit = this.files.size >= MAX_COPIED_FILES ? `${MAX_COPIED_FILES} files` : `${MAX_COPIED_BYTES} bytes`;
      this.fail(FILES_CODES.tooMuch, i, `files copies more than ${limit} into every bundle (reached at ${JSON.stringify(from)}).`, 'Every bundle holds its own copy: narrow the entry with a glob or "!path" entries; data sets belong on the host, referenced by path.');
      this.stopped = true;
      return false;
    }
    const placed = { entry: i, from };
    this.placed.set(to, placed);
    for (const a of ancestors(to)) if (!this.below.has(a)) this.below.set(a, placed);
    this.files.set(to, { to, content: file.content, mode: file.mode });
    return true;
  }
}

/** How one directory or glob entry is walked. */
interface Walk {
  entry: number;
  /** Roots a symlink may point into (real paths). */
  allowed: string[];
  /** Bundle path of the walk's root. */
  prefix: string;
  /** The entry's text, to name paths in messages (`src/a.py`). */
  shown: (rel: string) => string;
  /** Enter dot directories / take dot files (the matcher still decides for globs). */
  dot: boolean;
  /** Glob only: the file test and whether a directory may hold matches. */
  match?: Matcher;
  descend?: (rel: string) => boolean;
  found: number;
}

const problem = (r: Reader, w: Walk, code: string, message: string, hint: string): void => r.fail(code, w.entry, message, hint);
const problemsOf = (r: Reader, i: number): number => r.problems.get(i) ?? 0;

function walkDir(r: Reader, w: Walk, abs: string, real: string, rel: string, chain: string[]): void {
  if (r.stopped) return;
  if (++r.dirs > MAX_DIRS) {
    if (r.dirs === MAX_DIRS + 1) r.fail(FILES_CODES.tooMuch, w.entry, `files walks more than ${MAX_DIRS} directories (reached at ${JSON.stringify(w.shown(rel))}).`, 'Narrow the entry with a glob or "!path" entries; symlinked directories that repeat a tree count each time.');
    r.stopped = true;
    return;
  }
  let names: Dirent[];
  try {
    names = readdirSync(abs, { withFileTypes: true });
  } catch (e) {
    problem(r, w, FILES_CODES.unreadable, `The directory ${JSON.stringify(w.shown(rel))} listed in files cannot be read (${errno(e) ?? String(e)}).`, READ_HINT);
    return;
  }
  // Below the entry's root, a directory holding eegen's state is an output directory: not an input.
  if (rel !== '' && names.some((d) => d.name === LAYOUT.stateDir && d.isDirectory())) return;
  names.sort((a, b) => compareBytes(a.name, b.name));
  for (const d of names) {
    if (r.stopped) return;
    const name = d.name;
    if (name === '.git') continue;
    if (name.startsWith('.') && !w.dot) continue;
    const childRel = rel === '' ? name : `${rel}/${name}`;
    const to = join(w.prefix, childRel);
    if (r.excluded(to)) continue;
    const childAbs = path.join(abs, name);
    let kind: Dirent | Stats = d;
    if (!d.isFile() && !d.isDirectory() && !d.isSymbolicLink() && !d.isFIFO() && !d.isSocket() && !d.isCharacterDevice() && !d.isBlockDevice()) {
      try {
        kind = lstatSync(childAbs); // a file system that does not report types in readdir
      } catch (e) {
        problem(r, w, FILES_CODES.unreadable, `${JSON.stringify(w.shown(childRel))} (in files) cannot be read (${errno(e) ?? String(e)}).`, READ_HINT);
        continue;
      }
    }
    if (kind.isDirectory()) {
      if (w.descend && !w.descend(childRel)) continue;
      walkDir(r, w, childAbs, path.join(real, name), childRel, chain);
    } else if (kind.isFile()) {
      if (w.match && !w.match(childRel)) continue;
      if (r.add(w.entry, w.shown(childRel), to, () => readRegular(childAbs, COPY_LIMIT))) w.found++;
    } else if (kind.isSymbolicLink()) {
      symlink(r, w, childAbs, real, childRel, to, chain);
    } else {
      if (w.match && !w.match(childRel)) continue;
      problem(r, w, FILES_CODES.unreadable, `The file ${JSON.stringify(w.shown(childRel))} listed in files is ${describeKind(kind)}, not a regular file.`, READ_HINT);
    }
  }
}

function symlink(r: Reader, w: Walk, abs: string, dirReal: string, rel: string, to: string, chain: string[]): void {
  const asFile = !w.match || w.match(rel);
  const asDir = !w.descend || w.descend(rel);
  if (!asFile && !asDir) return;
  let text = '?';
  try {
    text = readlinkSync(abs);
  } catch {
    // shown as '?'
  }
  const shown = JSON.stringify(w.shown(rel));
  let target: string;
  try {
    target = realpathSync(abs);
  } catch (e) {
    const code = errno(e);
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      if (asFile) problem(r, w, FILES_CODES.symlink, `The symlink ${shown} (in files) points to ${JSON.stringify(text)}, which does not exist.`, SYMLINK_HINT);
    } else if (code === 'ELOOP') problem(r, w, FILES_CODES.symlink, `The symlink ${shown} (in files) is a loop of symlinks (it points to ${JSON.stringify(text)}).`, SYMLINK_HINT);
    else problem(r, w, FILES_CODES.unreadable, `The symlink ${shown} (in files) cannot be resolved (${code ?? String(e)}).`, READ_HINT);
    return;
  }
  let st: Stats;
  try {
    st = statSync(target);
  } catch (e) {
    problem(r, w, FILES_CODES.unreadable, `The symlink ${shown} (in files) cannot be read (${errno(e) ?? String(e)}).`, READ_HINT);
    return;
  }
  const isDir = st.isDirectory();
  if (isDir ? !asDir : !asFile) return; // not something this glob copies: never followed
  if (!w.allowed.some((root) => inside(target, root))) {
    problem(r, w, FILES_CODES.symlink, `The symlink ${shown} (in files) points to ${JSON.stringify(text)}, outside the project (${target}).`, SYMLINK_HINT);
    return;
  }
  if (isDir) {
    // A link to the directory it is in or one above it, here or across earlier links: a loop.
    if (inside(dirReal, target) || chain.some((c) => inside(c, target))) {
      problem(r, w, FILES_CODES.symlink, `The symlink ${shown} (in files) points to ${JSON.stringify(text)}, a directory that contains it: copying it would never end.`, SYMLINK_HINT);
      return;
    }
    walkDir(r, w, target, target, rel, [...chain, target]);
    return;
  }
  if (r.add(w.entry, w.shown(rel), to, () => readRegular(target, COPY_LIMIT))) w.found++;
}

/** Every directory and glob entry may follow symlinks into the config's directory and its own root. */
function allowedRoots(configReal: string | undefined, rootReal: string): string[] {
  return configReal && configReal !== rootReal ? [configReal, rootReal] : [rootReal];
}

function realOrUndefined(p: string): string | undefined {
  try {
    return realpathSync(p);
  } catch {
    return undefined;
  }
}

/**
 * Read every file `files:` copies (see the module comment). `script` is the rendered
 * script's name, which copied files may not take.
 */
export function readFiles(loaded: LoadedYaml, entries: readonly FilesEntry[], script?: string): { files: CopiedFile[]; diagnostics: Diagnostic[] } {
  const configDir = path.dirname(loaded.file);
  const configReal = realOrUndefined(configDir);
  const exclusions: string[] = [];
  for (const e of entries) if (typeof e === 'string' && e.startsWith('!')) exclusions.push(toPosix(e.slice(1)).replace(/^(\.\/)+/, '').replace(/\/+$/, ''));
  const r = new Reader(loaded, configDir, script, exclusions);
  for (const [i, entry] of entries.entries()) {
    if (r.stopped) break;
    if (typeof entry === 'string' && entry.startsWith('!')) continue;
    const from = typeof entry === 'string' ? entry : entry.from;
    const to = typeof entry === 'string' ? undefined : entry.to;
    const abs = path.resolve(configDir, from);
    let st: Stats | undefined;
    let exists = true;
    try {
      st = statSync(abs);
    } catch (e) {
      exists = errno(e) !== 'ENOENT' || lstatExists(abs);
    }
    const glob = !exists && isGlob(from);
    if (toPosix(glob ? splitGlob(toPosix(from)).base : from).split('/').includes('.git')) {
      r.fail(FILES_CODES.reserved, i, `The entry "${from}" lies in .git, which eegen never copies into a bundle.`, 'A bundle that records its commit can carry a file you write at build time (git rev-parse HEAD > commit.txt), listed in files.');
      continue;
    }
    if (glob) readGlob(r, i, from, to, configReal);
    else if (st?.isDirectory()) readDirectory(r, i, from, to, abs, configReal);
    else readFile(r, i, from, to, abs);
  }
  r.summarise();
  const files = [...r.files.values()].sort((a, b) => compareBytes(a.to, b.to));
  return { files, diagnostics: r.diagnostics };
}

function lstatExists(p: string): boolean {
  try {
    lstatSync(p);
    return true;
  } catch {
    return false;
  }
}

/** A file entry: its base name (or `to`) in the bundle, as eegen always did. */
function readFile(r: Reader, i: number, from: string, to: string | undefined, abs: string): void {
  // `to: data/` (a trailing slash) puts the file into that directory under its own name.
  const target = to === undefined ? path.basename(from) : /[/\\]$/.test(to) ? `${to}${path.basename(from)}` : to;
  const at = bundlePath(target);
  if (at === undefined || at === '') {
    r.fail(FILES_CODES.outside, i, `The bundle path "${target}" would land outside the bundle.`, 'Use a relative path inside the bundle, e.g. "to: data/input.csv".');
    return;
  }
  r.add(i, from, at, () => readRegular(abs, COPY_LIMIT));
}

function placeOf(r: Reader, i: number, from: string, to: string | undefined, natural: string, what: string): string | undefined {
  const at = bundlePath(to ?? natural);
  if (at !== undefined) return at;
  if (to !== undefined) r.fail(FILES_CODES.outside, i, `The bundle path "${to}" would land outside the bundle.`, 'Use a relative path inside the bundle, e.g. "to: lib" (or "to: ." for the bundle root).');
  else r.fail(FILES_CODES.outside, i, `The ${what} "${from}" lies outside the config's directory, so its files would land outside the bundle.`, `Give it a place in the bundle: {from: "${from}", to: ${JSON.stringify(path.posix.basename(toPosix(natural)) || 'lib')}}.`);
  return undefined;
}

function readDirectory(r: Reader, i: number, from: string, to: string | undefined, abs: string, configReal: string | undefined): void {
  const prefix = placeOf(r, i, from, to, from, 'directory');
  if (prefix === undefined) return;
  const real = realOrUndefined(abs) ?? abs;
  const shownBase = toPosix(from).replace(/\/+$/, '');
  const w: Walk = { entry: i, allowed: allowedRoots(configReal, real), prefix, shown: (rel) => (rel === '' ? shownBase : `${shownBase}/${rel}`), dot: true, found: 0 };
  walkDir(r, w, abs, real, '', [real]);
  if (w.found === 0 && problemsOf(r, i) === 0 && !r.stopped) {
    r.fail(FILES_CODES.empty, i, `The directory "${from}" listed in files holds no file to copy (.git, eegen output directories and "!" exclusions are left out).`, 'A bundle holds files only; remove the entry, or list the files it should hold.');
  }
}

/** Whether a glob can match below the directory `rel` (pruning only: true when unsure). */
function descender(parts: string[], dot: boolean): (rel: string) => boolean {
  const segs = parts.map((p) => (p === '**' ? undefined : p.includes('/') ? null : pathMatcher(p, dot)));
  return (rel) => {
    const names = rel.split('/');
    for (let j = 0; j < names.length; j++) {
      if (j >= segs.length) return false;
      const m = segs[j];
      if (m === undefined || m === null) return true; // `**`, or a brace with a '/' inside: anything below
      if (!m(names[j]!)) return false;
    }
    return segs.length > names.length;
  };
}

function readGlob(r: Reader, i: number, from: string, to: string | undefined, configReal: string | undefined): void {
  const pattern = toPosix(from);
  const { base, glob, parts } = splitGlob(pattern);
  const prefix = placeOf(r, i, from, to, to === undefined ? base : '', 'pattern');
  if (prefix === undefined) return;
  const root = path.resolve(r.configDir, base || '.');
  const real = realOrUndefined(root);
  // A segment that names a dot (`.env`, `.*`, `{.a,b}`) may reach dot files; otherwise they are skipped.
  const dot = /(^|[/{,(|])\./.test(glob) || glob.includes('[');
  const match = pathMatcher(glob, false);
  const shownBase = base === '' ? '' : `${base}/`;
  const w: Walk = { entry: i, allowed: real ? allowedRoots(configReal, real) : [], prefix, shown: (rel) => `${shownBase}${rel}`, dot, match, descend: descender(parts, dot), found: 0 };
  if (real !== undefined && statSync(real).isDirectory()) walkDir(r, w, root, real, '', [real]);
  if (w.found === 0 && problemsOf(r, i) === 0 && !r.stopped) {
    const hidden = glob.includes('**') && !dot ? '; dot files and directories need a pattern that names the dot ("src/**/.*")' : '';
    r.fail(FILES_CODES.empty, i, `The pattern "${from}" listed in files matches no file${real === undefined ? ` (there is no directory "${base}")` : ''}.`, `Patterns are relative to the config file's directory and match files, not directories ("src/**" for a whole tree)${hidden}.`);
  }
}
