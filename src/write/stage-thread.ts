/**
 * Write staged bundles on a worker thread (stage-worker.ts), so the file-system calls of
 * a build run on one core while the main thread compiles on the other. On a 2-core
 * machine this overlaps the two halves of a build almost completely.
 *
 * The main thread picks each staging path and keeps every decision (survey, commit,
 * recovery); the thread only creates the staging dir and writes the files into it, in
 * order, with the writer's sync-or-async adaptation. Large buffers shared by many
 * bundles (the run wrapper, copied input files) cross once and are then named by id.
 */
import { Worker } from 'node:worker_threads';
import type { BundleFile } from '../types.js';
import { compiledWorker } from '../util/worker-url.js';
import { WRITE_CODES, WriteError } from './codes.js';
import type { FsMode } from './fsx.js';

/** What the staging thread is started with. */
export interface StagerData {
  fs: FsMode;
}

/**
 * A file on the wire: the id of a buffer sent before (`shared`), or `len` bytes at `at`
 * in its stage message's `data` (one buffer per message, moved to the thread, not copied).
 */
export interface WireFile {
  path: string;
  mode: number;
  shared?: number;
  at: number;
  len: number;
}
export type ToStager =
  | { type: 'share'; id: number; content: Uint8Array }
  | { type: 'stage'; items: { staging: string; files: WireFile[] }[]; data: Uint8Array }
  | { type: 'finish' };
export type FromStager =
  /**
   * A stage message's bundles are written (or, on a slow filesystem, in flight there), with
   * each one's bundle signature as written, in order (null: written by async calls, none taken).
   */
  | { type: 'staged'; count: number; sigs: (string | null)[] }
  | { type: 'finished' }
  | { type: 'error'; staging: string; message: string; code?: string };

/** Buffers at least this large are sent once and named by id afterwards. */
const SHARE_MIN = 4096;
/** Bundles per message. */
const BATCH = 32;
/**
 * Bundles sent but not yet written, at most: past this, stage() waits until the thread has
 * caught up to half of it. Without it a compile faster than the disk queues every
 * bundle's bytes in messages (measured: 717 MB at 100,000 bundles).
 */
export const HIGH_WATER = 1024;

/** The compiled staging worker (see worker-url.ts); undefined: stage on the calling thread. */
export function stagerScript(): URL | undefined {
  return compiledWorker(import.meta.url, './stage-worker.js');
}

export class StagingThread {
  private readonly worker: Worker;
  private readonly ids = new WeakMap<Buffer, number>();
  private nextId = 0;
  private batch: { staging: string; files: WireFile[] }[] = [];
  /** The bytes of the batch's files that are not shared, in order, and their total length. */
  private batchBytes: Buffer[] = [];
  private batchLength = 0;
  private failure: Error | undefined;
  private finished: (() => void) | undefined;
  private closed = false;
  /** Bundles sent to the thread and not yet reported written. */
  private inFlight = 0;
  /** Callers of ready() waiting for the thread to catch up. */
  private waiting: (() => void)[] = [];
  /**
   * `onSigs` gets the bundle signature of each bundle written (disk.ts bundleSignature,
   * from an fstat of each file while it was open), in the order staged, a batch at a time.
   */
  constructor(script: URL, fs: FsMode = 'auto', onSigs?: (sigs: readonly (string | null)[]) => void) {
    this.worker = new Worker(script, { workerData: { fs } satisfies StagerData });
    this.worker.on('message', (m: FromStager) => {
      if (m.type === 'staged') {
        this.inFlight -= m.count;
        onSigs?.(m.sigs);
        if (this.inFlight <= HIGH_WATER / 2) this.wake();
        return;
      }
      if (m.type === 'error') {
        this.failure ??= new WriteError(WRITE_CODES.writeFailed, `Having trouble writing a bundle to ${m.staging}: ${m.message}`, { path: m.staging });
      }
      this.wake();
      this.finished?.();
    });
    this.worker.on('error', (e) => {
      this.failure ??= e;
      this.wake();
      this.finished?.();
    });
    this.worker.on('exit', (code) => {
      if (!this.closed) this.failure ??= new Error(`eegen: the staging thread exited (code ${code}) before the build finished`);
      this.wake();
      this.finished?.();
    });
  }

  /** Bundles sent (or queued to send) that the thread has not reported written. */
  get backlog(): number {
    return this.inFlight;
  }

  /** Queue a bundle's files for `staging`; throws a failure seen so far. */
  stage(staging: string, files: readonly BundleFile[]): void {
    if (this.failure) throw this.failure;
    this.batch.push({ staging, files: files.map((f) => this.wire(f)) });
    this.inFlight++;
    if (this.batch.length >= BATCH) this.flush();
  }

  /**
   * Resolves at once unless the thread is HIGH_WATER bundles behind, then once it has
   * caught up to half of that; throws a failure seen so far. Callers wait here, not
   * inside a timed write: waiting for the thread is not a slow filesystem.
   */
  async ready(): Promise<void> {
    if (this.inFlight >= HIGH_WATER && !this.failure) {
      this.flush();
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
    if (this.failure) throw this.failure;
  }

  private wake(): void {
    const w = this.waiting;
    this.waiting = [];
    for (const r of w) r();
  }

  /** Wait until every queued bundle is written; rethrows the first failure. */
  async finish(): Promise<void> {
    this.flush();
    if (!this.failure) {
      const done = new Promise<void>((resolve) => (this.finished = resolve));
      this.worker.postMessage({ type: 'finish' } satisfies ToStager);
      await done;
    }
    await this.close();
    if (this.failure) throw this.failure;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.worker.terminate();
  }

  private flush(): void {
    if (!this.batch.length) return;
    // One buffer of its own for the batch's bytes, transferred: small Buffers share 8 KiB
    // pool slabs, and a message would copy every slab a file's bytes sit in.
    const data = Buffer.allocUnsafeSlow(this.batchLength);
    let at = 0;
    for (const b of this.batchBytes) at += b.copy(data, at);
    this.worker.postMessage({ type: 'stage', items: this.batch, data } satisfies ToStager, [data.buffer]);
    this.batch = [];
    this.batchBytes = [];
    this.batchLength = 0;
  }

  private wire(f: BundleFile): WireFile {
    const content = f.content;
    if (content.length < SHARE_MIN) {
      const w = { path: f.path, mode: f.mode, at: this.batchLength, len: content.length };
      this.batchBytes.push(content);
      this.batchLength += content.length;
      return w;
    }
    let id = this.ids.get(content);
    if (id === undefined) {
      id = this.nextId++;
      this.ids.set(content, id);
      this.worker.postMessage({ type: 'share', id, content } satisfies ToStager);
    }
    return { path: f.path, mode: f.mode, shared: id, at: 0, len: content.length };
  }
}
