/**
 * The schedulers eegen knows, by name. A registry is an immutable value: the default one
 * holds slurm, lsf and bash; a caller (a test, a site's plug-in) makes another with
 * `withSchedulers` and hands it to the dispatcher in its context, so no module state
 * changes and two registries in one process never meet.
 */
import { bash } from './bash.js';
import { lsf } from './lsf.js';
import { slurm } from './slurm.js';
import type { SchedulerAdapter } from './types.js';

export interface SchedulerRegistry {
  readonly byName: ReadonlyMap<string, SchedulerAdapter>;
}

function registry(adapters: readonly SchedulerAdapter[]): SchedulerRegistry {
  const byName = new Map<string, SchedulerAdapter>();
  const prefixes = new Map<string, string>();
  const kinds = new Map<string, string>();
  for (const a of adapters) {
    // A job id or a host kind read back must name exactly one scheduler.
    if (!/^[a-z][a-z0-9_-]*$/.test(a.name) || !/^[a-z][a-z0-9_-]*$/.test(a.jobIdPrefix)) throw new Error(`scheduler ${JSON.stringify(a.name)}: its name and job id prefix must be lower-case words`);
    const taken = prefixes.get(a.jobIdPrefix);
    if (taken !== undefined && taken !== a.name) throw new Error(`schedulers ${taken} and ${a.name} both record job ids as ${a.jobIdPrefix}:`);
    for (const k of a.hostKinds) {
      const other = kinds.get(k);
      if (other !== undefined && other !== a.name) throw new Error(`schedulers ${other} and ${a.name} both claim host kind ${k}`);
    }
    const old = byName.get(a.name);
    if (old) {
      prefixes.delete(old.jobIdPrefix);
      for (const k of old.hostKinds) kinds.delete(k);
    }
    byName.set(a.name, a);
    prefixes.set(a.jobIdPrefix, a.name);
    for (const k of a.hostKinds) kinds.set(k, a.name);
  }
  return { byName };
}

/** slurm, lsf and bash (background processes of local and ssh hosts). */
export const DEFAULT_SCHEDULERS: SchedulerRegistry = registry([slurm, lsf, bash]);

/** A registry with `adapters` added (one of the same name is replaced). */
export function withSchedulers(base: SchedulerRegistry, ...adapters: SchedulerAdapter[]): SchedulerRegistry {
  return registry([...base.byName.values(), ...adapters]);
}

/** The scheduler called `name` (`slurm`), if the registry has one. */
export function schedulerNamed(name: string, reg: SchedulerRegistry = DEFAULT_SCHEDULERS): SchedulerAdapter | undefined {
  return reg.byName.get(name);
}

/**
 * The scheduler that runs the bundles of a host of `kind` (hosts.yaml `kind`): slurm
 * for `slurm`, bash for `local` and `ssh`. Undefined for a kind no scheduler claims.
 */
export function schedulerForKind(kind: string, reg: SchedulerRegistry = DEFAULT_SCHEDULERS): SchedulerAdapter | undefined {
  for (const a of reg.byName.values()) if (a.hostKinds.includes(kind)) return a;
  return undefined;
}

/** The scheduler whose job ids look like `id` (`slurm:123_4`), if any. */
export function schedulerOfJob(id: string, reg: SchedulerRegistry = DEFAULT_SCHEDULERS): SchedulerAdapter | undefined {
  const prefix = /^([a-z][a-z0-9_-]*):/.exec(id)?.[1];
  if (prefix === undefined) return undefined;
  for (const a of reg.byName.values()) if (a.jobIdPrefix === prefix) return a;
  return undefined;
}

/** Every scheduler of the registry, in the order they were added. */
export function schedulers(reg: SchedulerRegistry = DEFAULT_SCHEDULERS): SchedulerAdapter[] {
  return [...reg.byName.values()];
}
