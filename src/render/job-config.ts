/**
 * The config a bundle's config.yaml holds: the resolved config of this combination plus
 * the values cloudmesh-ee computes for each job and writes into the job's config.yaml.
 *
 * What cloudmesh-ee writes (cloudmesh/cloudmesh-ee src/cloudmesh/ee/experimentexecutor.py
 * at 461f0d1d71496c99a9249ef9f51e294ff61cc32b): `_generate_hierarchical_config` replaces
 * `experiment` by the job's values and sets `variables["ee"]["identifier"]`;
 * `generate_setup_from_configuration` then sets `ee.uuid` (uuid4, random), and when the job
 * has a `directive`, `slurm = {"sbatch": create_slurm_directives(host, directive).strip()}`
 * and `experiment.card_name`, all before `writefile(config, yaml.dump(variables))`. The
 * older cloudmesh-sbatch wrote the same into `sbatch.identifier` and `sbatch.uuid`.
 * It also copies the whole process environment (`update_from_os_environ`, unless --noos)
 * and `cms set` variables into the file, and it crashes (KeyError) on a config without an
 * `ee:` section or without `experiment.directive`.
 *
 * eegen writes, deterministically and never from the builder's environment:
 *   - `experiment.card_name` (directive-table.ts withCardName, already in the config);
 *   - `ee.identifier` and `ee.uuid` (or `sbatch.*` for a config with the older section
 *     name only), the values `{ee.identifier}` and `{ee.uuid}` give the template: the
 *     identifier is cloudmesh's job name (resolve/namespaces.ts eeIdentifier; it replaces
 *     one written in the config, as cloudmesh does and as the template sees it), the uuid a
 *     name-based one (bundleUuid; one written in the config is kept). A config with neither
 *     section gets none added (cloudmesh would crash; the values stay available to templates);
 *   - `slurm.sbatch`: the block `{slurm.sbatch}` gives this bundle, when a site entry of the
 *     host profile's table chose its directives (cloudmesh: when there is a directive), and
 *     the config has no `slurm` key of its own (then `{slurm.sbatch}` is the user's too). A
 *     block that cannot be built (a value that is not one printable line; the template did
 *     not use it, or the build would have failed) is left out.
 * Keys keep the config's order, the added ones after them (cloudmesh's yaml.dump sorts every
 * mapping by key; eegen keeps the order the user wrote).
 */
import { bundleUuid, isMapping } from '../resolve/namespaces.js';
import { ShellQuoteError } from '../shell/quote.js';
import type { Mapping } from '../types.js';
import { directiveChoice, directiveTable } from './directive-table.js';
import { directiveBlock } from './directives.js';
import type { RenderContext } from './index.js';

/** The executor section cloudmesh writes its job values into: `ee`, else the older `sbatch`. */
function executorSection(config: Mapping): 'ee' | 'sbatch' | undefined {
  if (isMapping(config.ee)) return 'ee';
  if (isMapping(config.sbatch)) return 'sbatch';
  return undefined;
}

/** The site directive block of this bundle, as `{slurm.sbatch}` renders it, when a table entry chose it. */
function siteBlock(ctx: RenderContext): string | undefined {
  const choice = directiveChoice(ctx.host, ctx.params);
  const table = directiveTable(ctx.host);
  if (!choice || !table || !Object.hasOwn(table, choice.name)) return undefined;
  try {
    return directiveBlock('slurm', ctx.directives);
  } catch (e) {
    if (e instanceof ShellQuoteError) return undefined;
    throw e;
  }
}

/** The config written as the bundle's config.yaml (before freezing deferred values). */
export function jobConfig(ctx: RenderContext): Mapping {
  const config = ctx.config;
  const out: Mapping = { ...config };
  const section = executorSection(config);
  if (section) {
    const own = config[section] as Mapping;
    const values: Mapping = { ...own, identifier: ctx.bundle.ee ?? ctx.bundle.id };
    if (!Object.hasOwn(own, 'uuid')) values.uuid = bundleUuid(config, ctx.bundle.id);
    out[section] = values;
  }
  if (!Object.hasOwn(config, 'slurm')) {
    const block = siteBlock(ctx);
    if (block !== undefined && block !== '') out.slurm = { sbatch: block };
  }
  return out;
}
