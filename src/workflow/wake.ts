/**
 * How the coordinator waits between two looks at the hosts: a timer (the poll interval),
 * cut short when the run records of a node this machine runs in place change. A run's
 * wrapper appends to `eegen-run/events.jsonl` when it starts and ends, so watching the run
 * directories of the active local nodes (fs.watch: inotify on Linux, FSEvents on macOS)
 * tells the coordinator within milliseconds that there is something to see; the timer
 * stays as the fallback (a file system that does not report changes, a run killed without
 * an end event, hosts elsewhere). Nothing is decided from an event: the next look at the
 * hosts is, as always, one status round trip.
 */
import { watch, type FSWatcher } from 'node:fs';
import { AbortError } from '../util/abort.js';

/** After a change, wait this long for what comes with it (runs ending together: one look)... */
export const SETTLE_MS = 25;
/** ...and never look more often than this (a run writing progress all the time costs a round trip per look). */
export const MIN_GAP_MS = 100;

export class RunWatch {
  private readonly watchers = new Map<string, FSWatcher>();
  private changed = false;
  private wake: (() => void) | undefined;
  private last = 0;

  /** Watch exactly these directories from now on (a directory that is not there is not watched). */
  watch(dirs: Iterable<string>): void {
    const want = new Set(dirs);
    for (const [dir, w] of this.watchers) {
      if (want.has(dir)) continue;
      w.close();
      this.watchers.delete(dir);
    }
    for (const dir of want) {
      if (this.watchers.has(dir)) continue;
      try {
        const w = watch(dir, { persistent: false }, () => this.poke());
        w.on('error', () => {
          w.close();
          this.watchers.delete(dir);
        });
        this.watchers.set(dir, w);
      } catch {
        /* not there (yet) or not watchable: the timer covers it */
      }
    }
  }

  get size(): number {
    return this.watchers.size;
  }

  private poke(): void {
    this.changed = true;
    this.wake?.();
  }

  /**
   * Wait up to `ms`, or until a watched directory changed (also before this call, since
   * the last wait) and then SETTLE_MS more, at least MIN_GAP_MS after the last wait ended.
   * Rejects with AbortError when `signal` aborts (and stops watching).
   */
  wait(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) {
        this.close();
        return reject(new AbortError(undefined, { cause: signal.reason }));
      }
      let timer: NodeJS.Timeout;
      const done = (): void => {
        clearTimeout(timer);
        this.wake = undefined;
        this.changed = false;
        this.last = Date.now();
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      const onAbort = (): void => {
        clearTimeout(timer);
        this.close();
        reject(new AbortError(undefined, { cause: signal?.reason }));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      const settle = (): void => {
        this.wake = undefined;
        clearTimeout(timer);
        timer = setTimeout(done, Math.min(ms, Math.max(SETTLE_MS, this.last + MIN_GAP_MS - Date.now())));
      };
      timer = setTimeout(done, ms);
      if (this.changed) settle();
      else this.wake = settle;
    });
  }

  close(): void {
    for (const w of this.watchers.values()) w.close();
    this.watchers.clear();
    this.wake = undefined;
  }
}
