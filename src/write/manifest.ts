/**
 * Finalize a rendered bundle: add `manifest.json` (what the bundle is and the sha256 of
 * every other file) and `SHA256SUMS` (sha256sum-compatible, covering every file
 * including the manifest). Pure: no disk, no clock, no absolute paths, so the same
 * draft always yields the same bytes and the same `BundlePlan.hash`.
 */
import * as nodeCrypto from 'node:crypto';
import { LAYOUT, type BundleFile, type BundlePlan, type Mapping, type Scheduler } from '../types.js';
import { WRITE_CODES, WriteError } from './codes.js';
import { canonicalText, jsonString, type JsonLike } from './json.js';
import { ancestors, assertRelPath, compareBytes, isPlainRelPath, relPathProblem } from './paths.js';

export const MANIFEST_VERSION = 1;
/** Prefix of the writer's temporary names inside bundle directories; files may not use it. */
export const TEMP_PREFIX = '.eegen-tmp';

export interface BundleDraft {
  id: string;
  /** Directory relative to the output directory (POSIX). */
  dir: string;
  index: number;
  params: Mapping;
  script: string;
  scheduler: Scheduler;
  /** Script, config.yaml, copied files — not manifest.json or SHA256SUMS. */
  files: BundleFile[];
  /** Input name -> sha256 hex of what produced it (template text, frozen config). */
  inputs: Record<string, string>;
  env: { used: string[]; deferred: string[] };
  eegenVersion: string;
  schemaVersion: string;
}

/** The parts of manifest.json that the writer and verifier read back. */
export interface ManifestData {
  manifestVersion: number;
  id: string;
  files: Record<string, string>;
  /** The bundle's script (written executable). */
  script?: string;
  /** What produced the bundle; `mode:PATH` = '755' marks a copied file that is executable. */
  inputs?: Record<string, string>;
}

/**
 * The files of a bundle that eegen writes executable: its script, the run wrapper
 * (`wrapper`, the name bundle/run-layout.ts gives it) and each copied file recorded as
 * executable (`mode:PATH` in inputs); every other file is written 0644. The manifest
 * lists no modes of its own, so this is how verify, --check and a rebuild tell that a
 * file's execute bit was changed.
 */
export function executableFiles(m: ManifestData, wrapper: string): Set<string> {
  const out = new Set<string>();
  if (m.script !== undefined && Object.hasOwn(m.files, m.script)) out.add(m.script);
  if (Object.hasOwn(m.files, wrapper)) out.add(wrapper);
  for (const [k, v] of Object.entries(m.inputs ?? {})) if (k.startsWith('mode:') && v === '755' && Object.hasOwn(m.files, k.slice(5))) out.add(k.slice(5));
  return out;
}

/** The owner's execute bit: what a mode check compares (the umask may take the rest). */
export const isExecutableMode = (mode: number): boolean => (mode & 0o100) !== 0;

/**
 * Files shared by every bundle (the wrapper, copied inputs) are one Buffer: hash each
 * once. Small buffers are cheaper to hash again than to remember in the WeakMap (most
 * are one bundle's own script or config, hashed once), so only those of CACHE_MIN bytes
 * or more are kept there; the last few buffers hashed are remembered whatever their
 * size, so a caller that hashes a file before handing it to finalizeBundle pays once.
 */
const bufferHashes = new WeakMap<Buffer, string>();
const CACHE_MIN = 1024;
const RECENT = 4;
const recentBuffers: (Buffer | undefined)[] = new Array<Buffer | undefined>(RECENT).fill(undefined);
const recentHashes: string[] = new Array<string>(RECENT).fill('');
let recentNext = 0;

/** One-shot `crypto.hash` (Node >= 20.12) skips the Hash object; createHash elsewhere. */
const oneShot = (nodeCrypto as { hash?: (algorithm: string, data: Buffer | string, encoding: 'hex') => string }).hash;
const hex = typeof oneShot === 'function' ? (data: Buffer | string): string => oneShot('sha256', data, 'hex') : (data: Buffer | string): string => nodeCrypto.createHash('sha256').update(data).digest('hex');

export function sha256(data: Buffer | string): string {
  if (typeof data === 'string') return hex(data);
  for (let i = 0; i < RECENT; i++) if (recentBuffers[i] === data) return recentHashes[i]!;
  const big = data.length >= CACHE_MIN;
  let h = big ? bufferHashes.get(data) : undefined;
  if (h === undefined) {
    h = hex(data);
    if (big) bufferHashes.set(data, h);
  }
  recentBuffers[recentNext] = data;
  recentHashes[recentNext] = h;
  recentNext = (recentNext + 1) % RECENT;
  return h;
}

/** For strings without surrogates (ASCII ones, say) UTF-16 order is byte order (compareBytes). */
const SURROGATE = /[\ud800-\udfff]/;
const compareUnits = (a: string, b: string): number => (a === b ? 0 : a < b ? -1 : 1);

/**
 * A sorted copy of `files` (by path, byte order); already sorted lists are only copied.
 * `ascii`: every path is ASCII, so UTF-16 order is byte order.
 */
function sortFiles(files: readonly BundleFile[], ascii: boolean): BundleFile[] {
  const out = files.slice();
  if (!ascii) return out.sort((a, b) => compareBytes(a.path, b.path));
  for (let i = 1; i < out.length; i++) if (out[i - 1]!.path > out[i]!.path) return out.sort((a, b) => compareUnits(a.path, b.path));
  return out;
}

/** Insert `x` into `list` (sorted by path, byte order, distinct paths) at its place. */
function insertSorted<T extends { path: string }>(list: T[], x: T, ascii: boolean): void {
  const cmp = ascii ? compareUnits : compareBytes;
  let i = 0;
  while (i < list.length && cmp(list[i]!.path, x.path) < 0) i++;
  list.splice(i, 0, x);
}

export function finalizeBundle(d: BundleDraft): BundlePlan {
  checkId(d.id);
  if (!isPlainRelPath(d.dir)) assertRelPath(d.dir, `directory of bundle ${d.id}`);
  const slash = d.dir.indexOf('/');
  if ((slash < 0 ? d.dir : d.dir.slice(0, slash)) === LAYOUT.stateDir) {
    throw new WriteError(WRITE_CODES.badPath, `Bundle ${d.id} cannot live in ${LAYOUT.stateDir}/, eegen's state directory.`, { path: d.dir });
  }
  // Plain paths (the usual case) are ASCII and certainly valid: cheap checks and sorting.
  const plain = d.files.every((f) => isPlainRelPath(f.path));
  const files = sortFiles(d.files, plain);
  checkFiles(d.id, files, plain);
  if (!files.some((f) => f.path === d.script)) {
    throw new WriteError(WRITE_CODES.scriptNotInBundle, `The script ${JSON.stringify(d.script)} of bundle ${d.id} is not one of its files.`, { path: d.script });
  }

  const paths = files.map((f) => f.path);
  const hashes = files.map((f) => sha256(f.content));
  const manifest = Buffer.from(manifestText(d, paths, hashes));
  // SHA256SUMS: the files and manifest.json, sorted by path (checksumsText, built in order).
  const listed = files.map((f, i) => ({ path: f.path, hash: hashes[i]! }));
  insertSorted(listed, { path: LAYOUT.manifest, hash: hex(manifest) }, plain);
  let sums = '';
  for (const x of listed) sums += `${x.hash}  ${x.path}\n`;
  const sumsBytes = Buffer.from(sums);
  const all = files.slice();
  insertSorted(all, { path: LAYOUT.manifest, content: manifest, mode: 0o644 }, plain);
  insertSorted(all, { path: LAYOUT.checksums, content: sumsBytes, mode: 0o644 }, plain);

  return { id: d.id, dir: d.dir, index: d.index, params: d.params, script: d.script, scheduler: d.scheduler, files: all, hash: hex(sumsBytes) };
}

/** The distinct values in byte order; a list that is already strictly sorted is used as is. */
function sortedSet(xs: string[]): string[] {
  for (let i = 0; i < xs.length; i++) if (typeof xs[i] !== 'string' || SURROGATE.test(xs[i]!) || (i > 0 && !(xs[i - 1]! < xs[i]!))) return [...new Set(xs)].sort(compareBytes);
  return xs;
}

/** A JSON string array at nesting depth 2 (inside `env`), formatted as json.ts would. */
function stringList(xs: string[]): string {
  if (xs.length === 0) return '[]';
  let out = '[\n';
  for (let i = 0; i < xs.length; i++) out += `${i ? ',\n' : ''}      ${canonicalText(xs[i]!, '      ')}`;
  return `${out}\n    ]`;
}

/**
 * manifest.json: what `stringify` (json.ts) writes for the Ordered document
 * { manifestVersion, eegen, schema, id, params (canonical), script, scheduler,
 * inputs (canonical), env: { used, deferred }, files: path -> hash in the given order },
 * built as text directly. test/write/manifest-text.test.ts pins the equivalence.
 */
function manifestText(d: BundleDraft, paths: string[], hashes: string[]): string {
  const members: string[] = [];
  const add = (key: string, v: unknown): void => {
    if (v !== undefined) members.push(`  "${key}": ${canonicalText(v as JsonLike, '  ')}`);
  };
  add('manifestVersion', MANIFEST_VERSION);
  add('eegen', d.eegenVersion);
  add('schema', d.schemaVersion);
  add('id', d.id);
  add('params', d.params);
  add('script', d.script);
  add('scheduler', d.scheduler);
  add('inputs', d.inputs);
  members.push(`  "env": {\n    "used": ${stringList(sortedSet(d.env.used))},\n    "deferred": ${stringList(sortedSet(d.env.deferred))}\n  }`);
  let files = '';
  for (let i = 0; i < paths.length; i++) files += `${i ? ',\n' : ''}    ${jsonString(paths[i]!)}: "${hashes[i]!}"`;
  members.push(`  "files": ${paths.length ? `{\n${files}\n  }` : '{}'}`);
  return `{\n${members.join(',\n')}\n}\n`;
}

/** `<hex>  <path>` lines sorted by path: what `sha256sum` prints and `sha256sum -c` reads. */
export function checksumsText(entries: [string, string][]): string {
  return [...entries]
    .sort((a, b) => compareBytes(a[0], b[0]))
    .map(([p, h]) => `${h}  ${p}\n`)
    .join('');
}

/** Path -> hash from SHA256SUMS text; undefined when a line is not in that format. */
export function parseChecksums(text: string): Map<string, string> | undefined {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const m = /^([0-9a-f]{64}) [ *](.+)$/.exec(line);
    if (!m || relPathProblem(m[2]!) || out.has(m[2]!)) return undefined;
    out.set(m[2]!, m[1]!);
  }
  return out;
}

/** The checked core of a manifest.json text, or a reason why it is not one. */
export function parseManifest(text: string): ManifestData | string {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    return `it is not JSON (${(e as Error).message})`;
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) return 'it is not a JSON object';
  const m = doc as Record<string, unknown>;
  if (m.manifestVersion !== MANIFEST_VERSION) return `manifestVersion is ${JSON.stringify(m.manifestVersion)}, expected ${MANIFEST_VERSION}`;
  if (typeof m.id !== 'string') return 'it has no string id';
  const files = m.files;
  if (files === null || typeof files !== 'object' || Array.isArray(files)) return 'it has no files map';
  for (const [p, h] of Object.entries(files)) {
    const problem = relPathProblem(p);
    if (problem) return `file path ${JSON.stringify(p)} ${problem}`;
    if (p === LAYOUT.manifest || p === LAYOUT.checksums) return `it lists ${p}, which cannot list itself`;
    if (typeof h !== 'string' || !/^[0-9a-f]{64}$/.test(h)) return `the hash of ${p} is not sha256 hex`;
  }
  const inputs = m.inputs !== null && typeof m.inputs === 'object' && !Array.isArray(m.inputs) ? Object.fromEntries(Object.entries(m.inputs).filter((e): e is [string, string] => typeof e[1] === 'string')) : undefined;
  return { manifestVersion: MANIFEST_VERSION, id: m.id, files: files as Record<string, string>, ...(typeof m.script === 'string' ? { script: m.script } : {}), ...(inputs ? { inputs } : {}) };
}

function checkId(id: string): void {
  if (typeof id !== 'string' || id === '' || id.startsWith('.') || /[/\\\0\n\r]/.test(id)) {
    throw new WriteError(WRITE_CODES.badId, `The bundle id ${JSON.stringify(id)} cannot be a directory name.`, {
      hint: 'Ids must be non-empty, must not start with `.`, and must not contain `/`, `\\`, NUL or newlines.',
    });
  }
}

function checkFiles(id: string, files: BundleFile[], plain: boolean): void {
  const seen = new Set<string>();
  let nested = false;
  for (const f of files) {
    if (!plain) assertRelPath(f.path, `file of bundle ${id}`);
    // Reserved: manifest.json, SHA256SUMS, and any segment starting with TEMP_PREFIX.
    if (f.path === LAYOUT.manifest || f.path === LAYOUT.checksums || f.path.startsWith(TEMP_PREFIX) || f.path.includes(`/${TEMP_PREFIX}`)) {
      throw new WriteError(WRITE_CODES.reservedName, `Bundle ${id} has a file named ${f.path}, a name eegen reserves for itself.`, { path: f.path });
    }
    if (seen.has(f.path)) {
      throw new WriteError(WRITE_CODES.duplicateFile, `Bundle ${id} has two files at ${f.path}.`, { path: f.path });
    }
    seen.add(f.path);
    if (f.path.includes('/')) nested = true;
  }
  if (!nested) return;
  for (const f of files) {
    const clash = ancestors(f.path).find((a) => seen.has(a));
    if (clash) {
      throw new WriteError(WRITE_CODES.duplicateFile, `Bundle ${id} has a file ${clash} and a file ${f.path} below it.`, { path: f.path });
    }
  }
}
