/**
 * Finalize a rendered bundle: add `manifest.json` (what the bundle is and the sha256 of
 * every other file) and `SHA256SUMS` (sha256sum-compatible, covering every file
 * including the manifest). Pure: no disk, no clock, no absolute paths, so the same
 * draft always yields the same bytes and the same `BundlePlan.hash`.
 */
import { createHash } from 'node:crypto';
import { LAYOUT, type BundleFile, type BundlePlan, type Mapping, type Scheduler } from '../types.js';
import { WRITE_CODES, WriteError } from './codes.js';
import { canonical, Ordered, stringify } from './json.js';
import { ancestors, assertRelPath, compareBytes, relPathProblem } from './paths.js';

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
}

/** Files shared by every bundle (the wrapper, copied inputs) are one Buffer: hash each once. */
const bufferHashes = new WeakMap<Buffer, string>();

export function sha256(data: Buffer | string): string {
  if (typeof data === 'string') return createHash('sha256').update(data).digest('hex');
  let h = bufferHashes.get(data);
  if (h === undefined) {
    h = createHash('sha256').update(data).digest('hex');
    bufferHashes.set(data, h);
  }
  return h;
}

export function finalizeBundle(d: BundleDraft): BundlePlan {
  checkId(d.id);
  assertRelPath(d.dir, `directory of bundle ${d.id}`);
  if (d.dir.split('/')[0] === LAYOUT.stateDir) {
    throw new WriteError(WRITE_CODES.badPath, `Bundle ${d.id} cannot live in ${LAYOUT.stateDir}/, eegen's state directory.`, { path: d.dir });
  }
  const files = [...d.files].sort((a, b) => compareBytes(a.path, b.path));
  checkFiles(d.id, files);
  if (!files.some((f) => f.path === d.script)) {
    throw new WriteError(WRITE_CODES.scriptNotInBundle, `The script ${JSON.stringify(d.script)} of bundle ${d.id} is not one of its files.`, { path: d.script });
  }

  const hashes = files.map((f) => [f.path, sha256(f.content)] as [string, string]);
  const manifest = Buffer.from(manifestText(d, hashes));
  const sums = checksumsText([...hashes, [LAYOUT.manifest, sha256(manifest)]]);
  const all: BundleFile[] = [
    ...files,
    { path: LAYOUT.manifest, content: manifest, mode: 0o644 },
    { path: LAYOUT.checksums, content: Buffer.from(sums), mode: 0o644 },
  ].sort((a, b) => compareBytes(a.path, b.path));

  return { id: d.id, dir: d.dir, index: d.index, params: d.params, script: d.script, scheduler: d.scheduler, files: all, hash: sha256(sums) };
}

function manifestText(d: BundleDraft, hashes: [string, string][]): string {
  const sortedSet = (xs: string[]) => [...new Set(xs)].sort(compareBytes);
  const doc = new Ordered([
    ['manifestVersion', MANIFEST_VERSION],
    ['eegen', d.eegenVersion],
    ['schema', d.schemaVersion],
    ['id', d.id],
    ['params', canonical(d.params)],
    ['script', d.script],
    ['scheduler', d.scheduler],
    ['inputs', canonical(d.inputs)],
    ['env', new Ordered([['used', sortedSet(d.env.used)], ['deferred', sortedSet(d.env.deferred)]])],
    ['files', new Ordered(hashes)],
  ]);
  return stringify(doc) + '\n';
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
  return { manifestVersion: MANIFEST_VERSION, id: m.id, files: files as Record<string, string> };
}

function checkId(id: string): void {
  if (typeof id !== 'string' || id === '' || id.startsWith('.') || /[/\\\0\n\r]/.test(id)) {
    throw new WriteError(WRITE_CODES.badId, `The bundle id ${JSON.stringify(id)} cannot be a directory name.`, {
      hint: 'Ids must be non-empty, must not start with `.`, and must not contain `/`, `\\`, NUL or newlines.',
    });
  }
}

function checkFiles(id: string, files: BundleFile[]): void {
  const seen = new Set<string>();
  for (const f of files) {
    assertRelPath(f.path, `file of bundle ${id}`);
    if (f.path === LAYOUT.manifest || f.path === LAYOUT.checksums || f.path.split('/').some((s) => s.startsWith(TEMP_PREFIX))) {
      throw new WriteError(WRITE_CODES.reservedName, `Bundle ${id} has a file named ${f.path}, a name eegen reserves for itself.`, { path: f.path });
    }
    if (seen.has(f.path)) {
      throw new WriteError(WRITE_CODES.duplicateFile, `Bundle ${id} has two files at ${f.path}.`, { path: f.path });
    }
    seen.add(f.path);
  }
  for (const f of files) {
    const clash = ancestors(f.path).find((a) => seen.has(a));
    if (clash) {
      throw new WriteError(WRITE_CODES.duplicateFile, `Bundle ${id} has a file ${clash} and a file ${f.path} below it.`, { path: f.path });
    }
  }
}
