/**
 * What the hosts say: one status round trip per host for the script nodes (each host's
 * nodes are the bundles of one output directory), and each experiment node's sweep asked
 * as `eegen status` would. A host that cannot be asked is named (its nodes keep the state
 * last seen); nothing is kept between calls but what the caller passes back (`known`).
 */
import { createContext, status as bundleStatus, type BundleStatus, type DispatchContext, type HostError } from '../dispatch/index.js';
import type { HostEntry } from '../inventory/hosts.js';
import { nodesByHost } from './bundles.js';
import { observeExperiment, type RunSummary } from './experiment.js';
import type { WorkflowCallOptions, WorkflowSpec } from './types.js';

export interface Observation {
  bundles: Map<string, BundleStatus>;
  /** Experiment nodes that have run (others have not), and those whose hosts could not all be asked. */
  experiments?: Map<string, RunSummary>;
  unknownExperiments?: Set<string>;
  hostErrors: HostError[];
  /** Hosts that could not be asked: their nodes keep the state last seen. */
  unknownHosts: Set<string>;
}

/** The dispatcher's context of a call: the caller's (with its runner, if given), else a new one. */
export function contextFor(opts: WorkflowCallOptions): DispatchContext {
  if (opts.context) return opts.runner ? { ...opts.context, runner: opts.runner } : opts.context;
  return createContext(opts.runner ? { runner: opts.runner } : {});
}

/** The hosts of the script nodes (an experiment node's hosts are asked through its sweep). */
export const hostsOf = (spec: WorkflowSpec): HostEntry[] => {
  const seen = new Map<string, HostEntry>();
  for (const n of spec.nodes) if (n.host && !n.virtual && !n.experiment) seen.set(n.host.name, n.host);
  return [...seen.values()];
};

/**
 * What the hosts say now: one status round trip per host. With `ask`, only about those
 * nodes (a host none of them is on is not asked); the others keep what `known` holds.
 */
export async function observe(spec: WorkflowSpec, outs: Map<string, string>, ctx: DispatchContext, signal?: AbortSignal, ask?: ReadonlySet<string>, known?: ReadonlyMap<string, BundleStatus>): Promise<Observation> {
  const bundles = new Map<string, BundleStatus>(known ?? []);
  const hostErrors: HostError[] = [];
  const unknownHosts = new Set<string>();
  const onHost = ask ? nodesByHost(spec) : undefined;
  await Promise.all(
    hostsOf(spec).map(async (h) => {
      const only = onHost?.get(h.name)?.map((n) => n.name).filter((n) => ask!.has(n));
      if (only && !only.length) return;
      const r = await bundleStatus({ out: outs.get(h.name)!, hosts: [h], context: ctx, ...(only ? { only } : {}), ...(signal ? { signal } : {}) });
      for (const e of r.hostErrors) {
        hostErrors.push(e);
        unknownHosts.add(h.name);
      }
      for (const b of r.bundles) bundles.set(b.id, b);
    }),
  );
  const experiments = new Map<string, RunSummary>();
  const unknownExperiments = new Set<string>();
  await Promise.all(
    spec.nodes
      .filter((n) => n.experiment)
      .map(async (n) => {
        const r = await observeExperiment(spec, n, ctx, signal);
        hostErrors.push(...r.hostErrors);
        if (r.hostErrors.length) unknownExperiments.add(n.name);
        if (r.run) experiments.set(n.name, r.run);
      }),
  );
  return { bundles, hostErrors, unknownHosts, experiments, unknownExperiments };
}
