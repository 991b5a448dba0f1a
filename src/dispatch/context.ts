/**
 * The dispatcher's state that lives longer than one command, in one object passed in
 * instead of module globals: two experiments dispatched at once in one process (or two
 * inventories that both call a host `cluster`) cannot see each other's caches or queues.
 * Every operation takes `context` (optional: one is created for the call when absent).
 */
import type { HostEntry } from '../inventory/hosts.js';
import { DEFAULT_SCHEDULERS, schedulerForKind, type SchedulerRegistry } from '../scheduler/registry.js';
import type { SchedulerAdapter } from '../scheduler/types.js';
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
  /** The schedulers hosts are dispatched through, by name (default: slurm, lsf, bash; see scheduler/registry.ts). */
  readonly schedulers: SchedulerRegistry;
  /** MaxArraySize per host, as that host answered (asked once per context). */
  readonly maxArraySize: Map<string, number>;
  /** Ledger appends per output directory (absolute path), in order. */
  readonly ledgerQueues: Map<string, Promise<unknown>>;
  /** Parsed result schemas by their text (collect). */
  readonly schemas: Map<string, object | undefined>;
}

export function createContext(opts: { runner?: Runner; cwd?: string; schedulers?: SchedulerRegistry } = {}): DispatchContext {
  return {
    runner: opts.runner ?? realRunner,
    ...(opts.cwd !== undefined ? { cwd: opts.cwd } : {}),
    schedulers: opts.schedulers ?? DEFAULT_SCHEDULERS,
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

/** The scheduler that runs a host's bundles (by its kind). A kind none claims is a bug: hosts.yaml's schema lists the kinds. */
export function hostScheduler(h: HostEntry, reg: SchedulerRegistry = DEFAULT_SCHEDULERS): SchedulerAdapter {
  const a = schedulerForKind(h.kind, reg);
  if (!a) throw new Error(`host ${h.name}: no scheduler runs hosts of kind ${JSON.stringify(h.kind)}`);
  return a;
}
