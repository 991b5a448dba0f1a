/**
 * The dispatcher's state that lives longer than one command, in one object passed in
 * instead of module globals: two experiments dispatched at once in one process (or two
 * inventories that both call a host `cluster`) cannot see each other's caches or queues.
 * Every operation takes `context` (optional: one is created for the call when absent).
 */
import { realRunner, type Runner } from './process.js';

export interface DispatchContext {
  /** How commands run (default: for real). */
  runner: Runner;
  /**
   * The directory a relative output directory, config or template is taken from. Default:
   * none, and relative paths are left as they are (Node's file calls then resolve them). Module
   * state that remains is immutable: zx and the run wrapper's text, each loaded once.
   */
  cwd?: string;
  /** Slurm MaxArraySize per host, as that host answered (asked once per context). */
  readonly maxArraySize: Map<string, number>;
  /** Ledger appends per output directory (absolute path), in order. */
  readonly ledgerQueues: Map<string, Promise<unknown>>;
  /** Parsed result schemas by their text (collect). */
  readonly schemas: Map<string, object | undefined>;
}

export function createContext(opts: { runner?: Runner; cwd?: string } = {}): DispatchContext {
  return {
    runner: opts.runner ?? realRunner,
    ...(opts.cwd !== undefined ? { cwd: opts.cwd } : {}),
    maxArraySize: new Map(),
    ledgerQueues: new Map(),
    schemas: new Map(),
  };
}

/** The context of one call: the one passed in (with its runner replaced when the call names one), else a new one. */
export function contextFor(opts: { context?: DispatchContext; runner?: Runner }): DispatchContext {
  if (opts.context) return opts.runner && opts.runner !== opts.context.runner ? { ...opts.context, runner: opts.runner } : opts.context;
  return createContext(opts.runner ? { runner: opts.runner } : {});
}
