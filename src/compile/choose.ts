/**
 * Stage 2: what every bundle of a build shares: the host profile (an inventory entry on
 * top of its site profile, or profiles/NAME.yaml), the template, and the files `files:` copies.
 */
import path from 'node:path';
import { hasErrors, diag, type Diagnostic } from '../diagnostics/index.js';
import { findHostsFile, loadInventory } from '../inventory/hosts.js';
import { readFiles, type CopiedFile, type FilesEntry } from '../load/files.js';
import { checkDirectiveNames } from '../render/directive-table.js';
import { builtinTemplate, loadProfile, loadTemplate, type TemplateSource } from '../render/index.js';
import type { HostProfile, Mapping, Scheduler } from '../types.js';
import { SECTION, setting, settingPath, settingsLoaded } from '../validate/index.js';
import type { CompileOptions, Inputs } from './types.js';

async function chooseTemplate(opts: CompileOptions, inputs: Inputs, profile: HostProfile): Promise<{ template?: TemplateSource; diagnostics: Diagnostic[] }> {
  const configDir = path.dirname(inputs.loaded.file);
  const fromConfig = typeof setting(inputs.config, 'template') === 'string' ? path.join(configDir, setting<string>(inputs.config, 'template')!) : undefined;
  const file = opts.template ?? fromConfig;
  if (file) return loadTemplate(file);
  const run = setting(inputs.config, 'run') as { command?: unknown; script?: unknown } | undefined;
  if (!run || typeof run !== 'object' || (!run.command && !run.script)) {
    // The built-in templates run run.command (or run.script): without either, every bundle would only fail.
    const first = Object.keys(inputs.config)[0];
    const where = inputs.loaded.locate(run !== undefined ? settingPath(inputs.config, 'run') : settingPath(inputs.config).length ? [SECTION] : first !== undefined ? [first] : [], 'key');
    const at = settingPath(inputs.config).length ? 'eegen: ' : '';
    return {
      diagnostics: [
        diag('EG2030', 'The config has no template and no run.command (or run.script), so its bundles would have nothing to run.', where, `Add run: {command: "python train.py --epochs {experiment.epoch}"}${at ? ' to eegen:' : ''}, or name a template (${at}template: job.in.slurm, or --template FILE).`),
      ],
    };
  }
  const scheduler = (setting(inputs.config, 'scheduler') as Scheduler | undefined) ?? profile.scheduler ?? 'bash';
  return { template: builtinTemplate(scheduler), diagnostics: [] };
}

/** Inventory fields that only say how to reach a host; they do not change bundles. */
const DISPATCH_ONLY = ['port', 'identity', 'ssh_config', 'ssh_options', 'slots', 'array', 'max_array_size', 'workdir', 'hostname', 'kind', 'profile', 'description'];

/**
 * The profile templates see: an inventory entry (hosts.yaml) when the name is one,
 * on top of its site profile (`profile:`), else profiles/NAME.yaml. A name from the
 * config's `system.host` that names no profile is reported at that value. The config's
 * directive names are then checked against the profile's table (render/directive-table.ts).
 */
async function chooseProfile(opts: CompileOptions, inputs: Inputs): Promise<{ profile?: HostProfile; diagnostics: Diagnostic[] }> {
  const chosen = await findProfile(opts, inputs);
  if (!chosen.profile || hasErrors(chosen.diagnostics)) return chosen;
  return { profile: chosen.profile, diagnostics: [...chosen.diagnostics, ...checkDirectiveNames(chosen.profile, inputs.loaded, inputs.sweep)] };
}

async function findProfile(opts: CompileOptions, inputs: Inputs): Promise<{ profile?: HostProfile; diagnostics: Diagnostic[] }> {
  const system = setting(inputs.config, 'system') as Mapping | undefined;
  const name = opts.host ?? (typeof system?.host === 'string' ? system.host : undefined);
  if (!name) return { profile: { name: 'default' }, diagnostics: [] };
  // --host is reported without a place; system.host at its value in the config.
  const where = opts.host === undefined ? inputs.loaded.locate(settingPath(inputs.config, 'system', 'host')) : undefined;
  const searchDirs = [path.join(path.dirname(inputs.loaded.file), 'profiles'), ...(opts.profileDirs ?? [])];
  const { inventory, diagnostics } = await loadInventory(hostsFileFor(opts, inputs.loaded.file), inputs.sources);
  if (!inventory) return { diagnostics };
  const entry = inventory.hosts.get(name);
  if (!entry) return loadProfile(name, searchDirs, where);
  const site = entry.profile ? await loadProfile(entry.profile, searchDirs) : { profile: undefined, diagnostics: [] };
  const own = Object.fromEntries(Object.entries(entry).filter(([k]) => !DISPATCH_ONLY.includes(k))) as HostProfile;
  const profile: HostProfile = { ...(site.profile ?? {}), ...own, name, directives: { ...(site.profile?.directives ?? {}), ...(entry.directives ?? {}) }, defaults: { ...(site.profile?.defaults ?? {}), ...(entry.defaults ?? {}) } };
  return { profile, diagnostics: [...diagnostics, ...site.diagnostics] };
}

/** `files:` entries (files, directories, globs; rules in load/files.ts), read once per build. */
function readCopiedFiles(inputs: Inputs, script: string | undefined): { files: CopiedFile[]; diagnostics: Diagnostic[] } {
  return readFiles(settingsLoaded(inputs.loaded, inputs.config), setting<FilesEntry[]>(inputs.config, 'files') ?? [], script);
}

/** The inventory a compile looks the host up in (findHostsFile answers relative to `cwd`). */
function hostsFileFor(opts: CompileOptions, config: string): string | undefined {
  const file = findHostsFile(opts.hostsFile, config, opts.cwd);
  return file !== undefined && opts.cwd !== undefined ? path.resolve(opts.cwd, file) : file;
}

/** The profile, the template and the copied files, with what choosing them reported. */
export async function chooseShared(opts: CompileOptions, inputs: Inputs): Promise<{ ok?: { profile: HostProfile; template: TemplateSource; copied: CopiedFile[] }; diagnostics: Diagnostic[] }> {
  const diagnostics: Diagnostic[] = [];
  const prof = await chooseProfile(opts, inputs);
  diagnostics.push(...prof.diagnostics);
  const tmpl = prof.profile ? await chooseTemplate(opts, inputs, prof.profile) : { diagnostics: [] };
  diagnostics.push(...tmpl.diagnostics);
  const copied = readCopiedFiles(inputs, tmpl.template?.outputName);
  diagnostics.push(...copied.diagnostics);
  if (!prof.profile || !tmpl.template || hasErrors(diagnostics)) return { diagnostics };
  return { ok: { profile: prof.profile, template: tmpl.template, copied: copied.files }, diagnostics };
}
