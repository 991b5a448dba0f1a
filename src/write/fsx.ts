/**
 * The filesystem calls of the hot path, in two flavours behind one promise interface.
 *
 * Why two: a bundle is a handful of small files. On a local disk or tmpfs each call
 * takes microseconds, and fs/promises spends more than that handing it to libuv's
 * thread pool and back (measured: ~3x slower than the sync calls on a 2-core box). On
 * NFS/Lustre each call waits a network round trip, and only many calls in flight hide
 * that. So a pass starts with sync calls, one bundle at a time, timing each; when the
 * average bundle turns out slow it switches, for the rest of the pass, to fs/promises
 * with bounded concurrency. Sync work yields to the event loop every few milliseconds
 * so progress output and a server's other requests keep moving.
 */
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import { CONCURRENCY } from './pool.js';

export interface HotFs {
  readonly sync: boolean;
  readFile(p: string): Promise<Buffer>;
  writeFile(p: string, data: Buffer | string, mode?: number): Promise<void>;
  mkdir(p: string, recursive?: boolean): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  rmdir(p: string): Promise<void>;
  unlink(p: string): Promise<void>;
  readdir(p: string): Promise<fs.Dirent[]>;
  lstat(p: string): Promise<fs.Stats>;
}

export const syncFs: HotFs = {
  sync: true,
  readFile: async (p) => fs.readFileSync(p),
  writeFile: async (p, data, mode) => fs.writeFileSync(p, data, mode === undefined ? undefined : { mode }),
  mkdir: async (p, recursive) => void fs.mkdirSync(p, { recursive: recursive === true }),
  rename: async (a, b) => fs.renameSync(a, b),
  rmdir: async (p) => fs.rmdirSync(p),
  unlink: async (p) => fs.unlinkSync(p),
  readdir: async (p) => fs.readdirSync(p, { withFileTypes: true }),
  lstat: async (p) => fs.lstatSync(p),
};

export const asyncFs: HotFs = {
  sync: false,
  readFile: (p) => fsp.readFile(p),
  writeFile: (p, data, mode) => fsp.writeFile(p, data, mode === undefined ? undefined : { mode }),
  mkdir: async (p, recursive) => void (await fsp.mkdir(p, { recursive: recursive === true })),
  rename: (a, b) => fsp.rename(a, b),
  rmdir: (p) => fsp.rmdir(p),
  unlink: (p) => fsp.unlink(p),
  readdir: (p) => fsp.readdir(p, { withFileTypes: true }),
  lstat: (p) => fsp.lstat(p),
};

/** This thread's time on a CPU and time waiting for one, in ns (Linux); undefined elsewhere. */
function schedNs(): [number, number] | undefined {
  if (!schedstat) return undefined;
  try {
    // One file descriptor per thread (a module instance is a thread's own), read from the
    // start each time: a build reads it twice per window, and open+read+close cost 0.2 ms.
    schedFd ??= fs.openSync('/proc/thread-self/schedstat', 'r');
    const n = fs.readSync(schedFd, schedBuf, 0, schedBuf.length, 0);
    const [cpu, wait] = schedBuf.toString('latin1', 0, n).split(' ', 2).map(Number);
    if (Number.isFinite(cpu) && Number.isFinite(wait)) return [cpu!, wait!];
  } catch {
    // not Linux, or /proc not mounted
  }
  schedstat = false;
  return undefined;
}
let schedstat = process.platform === 'linux';
let schedFd: number | undefined;
const schedBuf = Buffer.alloc(128);

/** How a writer makes its filesystem calls: adaptively (the default), or pinned. */
export type FsMode = 'auto' | 'sync' | 'async';

/** Sync work runs at most this long before the event loop gets a turn. */
const SLICE_MS = 20;
/** Bundles per timing window. */
const SAMPLE = 24;

/** Average time per bundle write above which writing goes async (a network filesystem). */
export const SLOW_WRITE_MS = 4;

/**
 * Run `fn` for every item: sync and one at a time while the average item takes less than
 * `slowMs`, then (for good) async with CONCURRENCY in flight. `mode` 'sync' or 'async' pins
 * the flavour (benchmarks, tests).
 */
export async function forEachAdaptive<T>(items: readonly T[], slowMs: number, fn: (item: T, i: number, hot: HotFs) => Promise<void>, mode: FsMode = 'auto'): Promise<void> {
  const runner = new AdaptiveRunner(slowMs, mode);
  for (let i = 0; i < items.length; i++) await runner.run((hot) => fn(items[i] as T, i, hot));
  await runner.drain();
}

/**
 * The engine of forEachAdaptive, for items that may arrive one at a time (a build that
 * writes bundles while they are still being compiled). `run` does the work at once with
 * sync calls while they are fast; once two windows of items in a row average over `slowMs`
 * (judged per window, so a disk that slows down mid-build is noticed) it starts each item with
 * async calls and returns while up to CONCURRENCY are in flight. The first failure stops
 * new work; it is rethrown (by `run` or `drain`) only after the calls already running
 * have finished, so nothing keeps writing after the caller has returned.
 */
export class AdaptiveRunner {
  private async_: boolean;
  private windowSpent = 0;
  /** The last window's items waited on the filesystem longer than slowMs on average. */
  private slowBefore = false;
  private count = 0;
  private sliceStart = performance.now();
  private readonly inFlight = new Set<Promise<void>>();
  private failure: { error: unknown } | undefined;

  /** The thread's scheduler times when the window started (Linux), see blockedMs. */
  private windowSched: readonly [number, number] | undefined;

  constructor(
    private readonly slowMs: number,
    /** 'sync' or 'async' pins the flavour (benchmarks, tests; the CLI's EEGEN_FS). */
    private readonly mode: FsMode = 'auto',
  ) {
    this.async_ = mode === 'async';
  }

  /**
   * How long this window's sync calls waited for the filesystem. A slow filesystem blocks
   * the thread in its calls; a busy machine (other builds, a test suite, 2 cores) only
   * delays it in the run queue, and sync calls are still the fastest there. Where Linux
   * says both (/proc/thread-self/schedstat: time on CPU, time runnable but waiting), the
   * wait is wall time less those two; elsewhere it is all of the wall time.
   */
  private blockedMs(): number {
    const start = this.windowSched;
    const end = start && schedNs();
    if (!start || !end) return this.windowSpent;
    return Math.max(0, this.windowSpent - (end[0] - start[0] + end[1] - start[1]) / 1e6);
  }

  /** After a failure: wait for the calls in flight, then throw it. */
  private async stopIfFailed(): Promise<void> {
    if (this.failure) await this.drain();
  }

  async run(fn: (hot: HotFs) => Promise<void>): Promise<void> {
    await this.stopIfFailed();
    if (this.async_) {
      while (this.inFlight.size >= CONCURRENCY) await Promise.race(this.inFlight);
      await this.stopIfFailed();
      const p: Promise<void> = fn(asyncFs).then(
        () => void this.inFlight.delete(p),
        (error: unknown) => {
          this.inFlight.delete(p);
          this.failure ??= { error };
        },
      );
      this.inFlight.add(p);
      return;
    }
    const t = performance.now();
    if (this.count % SAMPLE === 0) this.windowSched = schedNs();
    await fn(syncFs);
    const now = performance.now();
    this.windowSpent += now - t;
    if (++this.count % SAMPLE === 0) {
      // Two slow windows in a row: a filesystem that blocks does so steadily; one window
      // held up by a moment's contention (another build writing the same tmpfs) does not.
      const slow = this.blockedMs() / SAMPLE > this.slowMs;
      if (this.mode === 'auto' && slow && this.slowBefore) this.async_ = true;
      this.slowBefore = slow;
      this.windowSpent = 0;
    }
    if (now - this.sliceStart > SLICE_MS) {
      await new Promise((r) => setImmediate(r));
      this.sliceStart = performance.now();
    }
  }

  async drain(): Promise<void> {
    while (this.inFlight.size) await Promise.race(this.inFlight);
    if (this.failure) throw this.failure.error;
  }
}
