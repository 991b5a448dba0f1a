/** eegen runtime helpers for JavaScript/TypeScript apps. Formats: eegen docs/formats.md. */

/** Appends `{"ts","event":name,...fields}` to $EEGEN_EVENTS, or prints `# eegen event=name ...`. */
export declare function event(name: string, fields?: Record<string, unknown>): void;

/** Reports progress (0-100) and an optional message. */
export declare function progress(percent: number, msg?: string, fields?: Record<string, unknown>): void;

/** Writes result.json in the bundle (or `file`), atomically; returns the path written. */
export declare function result(data: Record<string, unknown>, file?: string): string;

/** Prints an MLCommons `:::MLLOG {json}` line. */
export declare function mllog(
  key: string,
  value?: unknown,
  metadata?: Record<string, unknown>,
  options?: { eventType?: 'POINT_IN_TIME' | 'INTERVAL_START' | 'INTERVAL_END'; namespace?: string },
): void;

/** Named timers (class-level, like cloudmesh-common's StopWatch). */
export declare class StopWatch {
  static readonly HEADER: readonly string[];
  static start(name: string, msg?: string, tag?: string): void;
  static stop(name: string, status?: string, msg?: string): void;
  /** A zero-length timer that marks a moment. */
  static event(name: string, msg?: string, tag?: string): void;
  /** Seconds of the last start/stop, undefined while running or unknown. */
  static get(name: string): number | undefined;
  static clear(): void;
  static rows(tag?: string): string[][];
  /** Header and one RFC-4180-quoted `# csv,` line per timer. */
  static csvLines(tag?: string): string[];
  /** Prints the table and the `# csv,` lines (to stdout unless `write` is given). */
  static benchmark(tag?: string, write?: (text: string) => void): void;
}
