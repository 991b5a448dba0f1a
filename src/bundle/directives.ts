import type { DirectiveSet, HostProfile, Mapping } from '../types.js';

/**
 * The scheduler directives for one bundle, from weakest to strongest:
 * the profile's defaults, then the profile's entry for this bundle's directive name
 * (`experiment.directive`, else `experiment.gpu`, as cloudmesh configs use them),
 * then the config's own `resources:`. Later sources override single keys; `extra`
 * and `setup` lists are concatenated in that order.
 */
export function mergeDirectives(profile: HostProfile, params: Mapping, resources: Mapping | undefined): DirectiveSet & Mapping {
  const name = params.directive ?? params.gpu;
  const site = typeof name === 'string' || typeof name === 'number' ? profile.directives?.[String(name)] : undefined;
  const layers = [profile.defaults, site, resources as DirectiveSet | undefined];
  const out: DirectiveSet & Mapping = {};
  for (const layer of layers) {
    if (!layer) continue;
    for (const [k, v] of Object.entries(layer)) {
      if (v === undefined) continue;
      if ((k === 'extra' || k === 'setup') && Array.isArray(v)) out[k] = [...((out[k] as string[] | undefined) ?? []), ...(v as string[])];
      else out[k] = v as Mapping[string];
    }
  }
  return out;
}
