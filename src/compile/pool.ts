/**
 * Render bundles on worker threads (worker.ts), in parallel with the main thread,
 * which names bundles, checks them and writes them. Rendering is pure and CPU-bound, and
 * each worker gets the same RenderSetup, so a bundle's bytes do not depend on which
 * thread rendered it.
 *
 * Jobs go out in batches (one message per BATCH jobs) to the least-loaded worker;
 * results come back tagged with the job's sequence number, and the caller puts them back
 * in sweep order. Files every bundle shares (the run wrapper, copied files) do not
 * travel: the worker names them and the main thread puts its own Buffer in their place.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { DiagnosticError, type Diagnostic } from '../diagnostics/index.js';
import type { BundleFile, BundlePlan, HostProfile, Mapping } from '../types.js';
import { WriteError } from '../write/codes.js';
import type { TemplateSource } from '../render/template.js';
import { compiledWorker } from '../util/worker-url.js';

export interface RenderJob extends BundleHead {
  seq: number;
}

export interface RenderOutcome {
  seq: number;
  bundle?: BundlePlan;
  diagnostics: Diagnostic[];
}


/**
 * What every bundle of one build shares and a render worker needs: plain data, so it
 * can be sent to a worker thread (which parses the config text again, without reading
 * any file, so workers see exactly the inputs the main thread saw).
 */
export interface RenderSetup {
  configFile: string;
  configText: string;
  profile: HostProfile;
  template: TemplateSource;
  /** Buffers here; Uint8Arrays once a worker receives them. */
  copied: { to: string; content: Uint8Array; mode: number }[];
  fixedInputs: Record<string, string>;
  schema: string;
  strict: boolean;
}

/** A combination named and keyed, to be rendered (here or in a worker). */
export interface BundleHead {
  index: number;
  params: Mapping;
  id: string;
  inputKey: string;
  /** Resources over the config's for this bundle (CompileOptions.timeLimits: `{time}`). */
  resources?: Mapping;
}

/** A file's content on the wire: bytes, the shared wrapper, or the n-th copied file. */
export type WireContent = Uint8Array | 'wrapper' | number;
export interface WireOutcome {
  seq: number;
  bundle?: Omit<BundlePlan, 'files'> & { files: (Omit<BundleFile, 'content'> & { content: WireContent })[] };
  diagnostics: Diagnostic[];
}

export type ToWorker = { type: 'jobs'; jobs: RenderJob[] };
export type FromWorker =
  | { type: 'ready' }
  | { type: 'results'; results: WireOutcome[] }
  | { type: 'error'; message: string; stack?: string; write?: { code: string; message: string; path?: string; hint?: string } };

/** Jobs per message. */
const BATCH = 32;
/** Jobs in flight per worker before the caller is asked to wait (keeps memory flat). */
const IN_FLIGHT_PER_WORKER = 4 * BATCH;
/** Below this many bundles to render, starting workers costs more than it saves. */
export const PARALLEL_MIN = 500;

/**
 * Worker count for a sweep of `total` bundles (see CompileOptions.workers): one per CPU
 * beyond two, at most 4. The main thread renders too, and a build's staging thread
 * (write/stage-thread.ts) keeps a second CPU busy writing, so on two CPUs render workers
 * (which start cold: module loading, unoptimised code) only take time from those two.
 */
export function defaultWorkers(total: number): number {
  if (total < PARALLEL_MIN) return 0;
  return Math.max(0, Math.min(4, availableParallelism() - 2));
}

/** The compiled render worker (see worker-url.ts); undefined: render on the calling thread. */
export function workerScript(): URL | undefined {
  return compiledWorker(import.meta.url, './worker.js');
}

interface Slot {
  worker: Worker;
  inFlight: number;
}

export class RenderPool {
  private readonly slots: Slot[] = [];
  private batch: RenderJob[] = [];
  private readyCount = 0;
  private inFlight_ = 0;
  private results: RenderOutcome[] = [];
  private failure: Error | undefined;
  private wake: (() => void) | undefined;
  private closed = false;

  constructor(
    script: URL,
    setup: RenderSetup,
    size: number,
    private readonly shared: { wrapper: Buffer; copied: Buffer[] },
  ) {
    for (let i = 0; i < size; i++) {
      const worker = new Worker(script, { workerData: setup });
      const slot: Slot = { worker, inFlight: 0 };
      worker.on('message', (m: FromWorker) => this.onMessage(slot, m));
      worker.on('error', (e) => this.fail(e));
      worker.on('exit', (code) => {
        if (!this.closed) this.fail(new Error(`eegen: a render worker exited (code ${code}) before the build finished`));
      });
      this.slots.push(slot);
    }
  }

  /** At least one worker has loaded and can take jobs. */
  get ready(): boolean {
    return this.readyCount > 0;
  }

  /** Jobs sent (or batched) and not yet taken: still rendering, or returned and waiting in take(). */
  get outstanding(): number {
    return this.inFlight_ + this.results.length;
  }

  /** True when the caller should wait for results before submitting more. */
  get full(): boolean {
    return this.inFlight_ >= IN_FLIGHT_PER_WORKER * this.slots.length;
  }

  submit(job: RenderJob): void {
    this.batch.push(job);
    this.inFlight_++;
    if (this.batch.length >= BATCH) this.flush();
  }

  /** Send the jobs batched so far. */
  flush(): void {
    if (!this.batch.length) return;
    const slot = this.slots.reduce((a, b) => (b.inFlight < a.inFlight ? b : a));
    slot.inFlight += this.batch.length;
    slot.worker.postMessage({ type: 'jobs', jobs: this.batch } satisfies ToWorker);
    this.batch = [];
  }

  /** Results received so far (possibly none); never waits. */
  take(): RenderOutcome[] {
    if (this.failure) throw this.failure;
    const r = this.results;
    this.results = [];
    return r;
  }

  /** Wait until a result (or a failure) arrives, then take what arrived. */
  async next(): Promise<RenderOutcome[]> {
    if (!this.results.length && !this.failure) {
      if (this.batch.length) this.flush();
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
    return this.take();
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }

  private onMessage(slot: Slot, m: FromWorker): void {
    if (m.type === 'ready') this.readyCount++;
    else if (m.type === 'error') {
      const e = m.write ? new WriteError(m.write.code, m.write.message, { ...(m.write.path !== undefined ? { path: m.write.path } : {}), ...(m.write.hint !== undefined ? { hint: m.write.hint } : {}) }) : new Error(m.message);
      if (!m.write && m.stack) e.stack = m.stack;
      this.fail(e);
    } else {
      slot.inFlight -= m.results.length;
      this.inFlight_ -= m.results.length;
      for (const r of m.results) this.results.push(this.fromWire(r));
      this.signal();
    }
  }

  private fromWire(r: WireOutcome): RenderOutcome {
    if (!r.bundle) return { seq: r.seq, diagnostics: r.diagnostics };
    const files = r.bundle.files.map((f) => {
      const c = f.content;
      const content = c === 'wrapper' ? this.shared.wrapper : typeof c === 'number' ? this.shared.copied[c]! : Buffer.from(c.buffer, c.byteOffset, c.byteLength);
      return { path: f.path, mode: f.mode, content };
    });
    return { seq: r.seq, bundle: { ...r.bundle, files }, diagnostics: r.diagnostics };
  }

  private fail(e: Error): void {
    this.failure ??= e;
    this.signal();
  }

  private signal(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }
}

/** The worker side of fromWire: shared files by name, the rest as bytes. */
export function toWire(b: BundlePlan | undefined, shared: { wrapper: Buffer; copied: readonly Buffer[] }): WireOutcome['bundle'] {
  if (!b) return undefined;
  const files = b.files.map((f) => {
    const i = shared.copied.indexOf(f.content);
    const content: WireContent = f.content === shared.wrapper ? 'wrapper' : i >= 0 ? i : f.content;
    return { path: f.path, mode: f.mode, content };
  });
  return { ...b, files };
}

/** What an exception in a worker becomes on the wire (WriteErrors keep their code). */
export function errorMessage(e: unknown): FromWorker {
  if (e instanceof WriteError) {
    const d = e.diagnostics[0];
    return { type: 'error', message: e.message, write: { code: e.code, message: d?.message ?? e.message, ...(e.path !== undefined ? { path: e.path } : {}), ...(d?.hint !== undefined ? { hint: d.hint } : {}) } };
  }
  if (e instanceof DiagnosticError) return { type: 'error', message: e.message, ...(e.stack ? { stack: e.stack } : {}) };
  const err = e instanceof Error ? e : new Error(String(e));
  return { type: 'error', message: err.message, ...(err.stack ? { stack: err.stack } : {}) };
}
