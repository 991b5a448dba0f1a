/**
 * keys.json and sigs.json of a streaming build (see state.ts): one record per bundle,
 * appended to a spool in sweep order as bundles are staged, and turned into the two files
 * at commit, once every bundle is in place. Memory holds only the records whose signature
 * the staging thread has not reported yet (it is never more than HIGH_WATER bundles behind).
 *
 * The bytes are those of `JSON.stringify({version: 1, bundles})` with `bundles` an object
 * filled in sweep order, as eegen always wrote them: integer-like ids first, ascending (a
 * JavaScript object orders its keys so), and no `__proto__` key (an assignment to it sets
 * the object's prototype, which JSON leaves out).
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { LAYOUT, type BundlePlan } from '../types.js';
import { bundleSignature } from './disk.js';
import { parseChecksums } from './manifest.js';
import { assemble, forEachLine, placeUnlessSame, Spool, type Part } from './spool.js';

interface KeyRecord {
  id: string;
  dir: string;
  key: string | undefined;
  hash: string;
  /** Known signature; null: none, take it from the files in place at commit (`names`). */
  sig: string | null | undefined;
  names: readonly string[] | undefined;
}

/** The files a bundle consists of; a bundle reused unrendered knows them from its SHA256SUMS. */
export function bundleFileNames(b: BundlePlan): string[] {
  if (b.written) return b.written.map((f) => f.path);
  if (b.files.length !== 1 || b.files[0]!.path !== LAYOUT.checksums) return b.files.map((f) => f.path);
  return [LAYOUT.checksums, ...(parseChecksums(b.files[0]!.content.toString('utf8'))?.keys() ?? [])];
}

export class KeyRecords {
  private queue: KeyRecord[] = [];
  private head = 0;
  /** Records staged on the staging thread, in the order sent: its reports come in that order. */
  private awaiting: KeyRecord[] = [];
  private awaitingHead = 0;

  constructor(private readonly spool: Spool) {}

  /** A bundle, in sweep order; its signature is decided by one of the three calls below. */
  add(b: BundlePlan): KeyRecord {
    const r: KeyRecord = { id: b.id, dir: b.dir, key: b.inputKey, hash: b.hash, sig: undefined, names: undefined };
    this.queue.push(r);
    return r;
  }

  /** The signature is known (a reused bundle's, from the last build). */
  known(r: KeyRecord, sig: string): void {
    r.sig = sig;
    this.flush();
  }

  /** Taken from the files in place at commit (a stat of each). */
  later(r: KeyRecord, b: BundlePlan): void {
    r.names = bundleFileNames(b);
    r.sig = null;
    this.flush();
  }

  /** Reported by the staging thread (`fromThread`), else taken at commit like `later`. */
  onThread(r: KeyRecord, b: BundlePlan): void {
    r.names = bundleFileNames(b);
    this.awaiting.push(r);
  }

  /** The staging thread's signatures of its next bundles, in the order they were sent (null: none taken). */
  fromThread(sigs: readonly (string | null)[]): void {
    for (const sig of sigs) {
      const r = this.awaiting[this.awaitingHead++];
      if (r) r.sig = sig;
    }
    if (this.awaitingHead > 1024) {
      this.awaiting = this.awaiting.slice(this.awaitingHead);
      this.awaitingHead = 0;
    }
    this.flush();
  }

  /** Write the decided records at the front of the queue. */
  private flush(): void {
    const q = this.queue;
    while (this.head < q.length && q[this.head]!.sig !== undefined) {
      const r = q[this.head++]!;
      this.spool.write(`${JSON.stringify([r.id, r.dir, r.key ?? null, r.hash, r.sig, r.sig === null ? r.names : null])}\n`);
    }
    if (this.head > 1024) {
      this.queue = q.slice(this.head);
      this.head = 0;
    }
  }

  /** Every record decided (the staging thread finished): close the spool. */
  close(): void {
    for (let i = this.head; i < this.queue.length; i++) {
      const r = this.queue[i]!;
      if (r.sig === undefined) r.sig = null;
    }
    this.flush();
    this.spool.close();
  }

  get file(): string {
    return this.spool.file;
  }
}

/** True for the keys a JavaScript object puts first, in ascending order (array indexes). */
const isArrayIndex = (id: string): boolean => /^(0|[1-9][0-9]{0,9})$/.test(id) && Number(id) <= 4294967294;

/** The entries of one `{"version":1,"bundles":{...}}` file, in the order an object holds them. */
class ObjectBody {
  private readonly body: Spool;
  private readonly indexed: [number, string][] = [];
  private written = 0;
  constructor(file: string) {
    this.body = new Spool(file);
  }
  add(id: string, valueJson: string): void {
    if (id === '__proto__') return;
    const entry = `${JSON.stringify(id)}:${valueJson}`;
    if (isArrayIndex(id)) this.indexed.push([Number(id), entry]);
    else this.body.write(this.written++ ? `,${entry}` : entry);
  }
  get file(): string {
    return this.body.file;
  }
  parts(): Part[] {
    this.body.close();
    const first = this.indexed.sort((a, b) => a[0] - b[0]).map(([, e]) => e).join(',');
    return ['{"version":1,"bundles":{', first, first && this.written ? ',' : '', this.body, '}}\n'];
  }
}

/**
 * Write keys.json and sigs.json from the records (every bundle in place now): assembled in
 * `tmp`, renamed into `stateDir`; a file whose bytes are unchanged is left as it is.
 */
export function writeKeyFiles(records: KeyRecords, outAbs: string, stateDir: string, tmp: string, token: string): void {
  const keys = new ObjectBody(join(tmp, `${token}.keys.body`));
  const sigs = new ObjectBody(join(tmp, `${token}.sigs.body`));
  forEachLine(records.file, (line) => {
    const [id, dir, key, hash, sig, names] = JSON.parse(line) as [string, string, string | null, string, string | null, string[] | null];
    if (!key) return;
    keys.add(id, JSON.stringify({ key, hash }));
    const s = sig ?? (names ? bundleSignature(join(outAbs, dir), names) : undefined);
    if (s !== undefined) sigs.add(id, JSON.stringify(s));
  });
  for (const [name, body] of [['keys.json', keys], ['sigs.json', sigs]] as const) {
    const temp = join(tmp, `${token}.${name}`);
    placeUnlessSame(temp, assemble(temp, body.parts()), join(stateDir, name));
    rmSync(body.file, { force: true });
  }
}
