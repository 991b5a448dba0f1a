/**
 * The host inventory (hosts.yaml). Each entry says how bundles reach a host and how
 * they run there; the same entry is the host profile templates read. Nothing about a
 * site is in code: a `local` host exists without any file, everything else is data.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { diag, hasErrors, nearest, type Diagnostic, type SourceSet } from '../diagnostics/index.js';
import { loadYamlFile } from '../load/index.js';
import { schedulerForKind } from '../scheduler/registry.js';
import type { DirectiveSet, HostProfile, Mapping, Scheduler } from '../types.js';
import { validateDocument } from '../validate/index.js';

export type HostKind = 'local' | 'ssh' | 'slurm' | 'lsf';

export interface HostEntry extends HostProfile {
  name: string;
  kind: HostKind;
  port?: number;
  identity?: string;
  ssh_config?: string;
  ssh_options?: string[];
  slots?: number;
  array?: boolean;
  max_array_size?: number;
  profile?: string;
}

/** Always there: this machine, as many bundles at once as it has CPUs. */
export const LOCAL_HOST: HostEntry = { name: 'local', kind: 'local', scheduler: 'bash', slots: Math.max(1, availableParallelism()) };

/** Whether commands for this host run through ssh: an ssh host always, a local one never, a scheduler's when it names a login node. */
export function isRemote(h: HostEntry): boolean {
  return h.kind === 'ssh' || (h.kind !== 'local' && h.hostname !== undefined);
}

/**
 * Which inventory file applies: --hosts, else hosts.yaml in `cwd` (the caller's working
 * directory: the CLI passes process.cwd()), else beside `near`. The result is relative to
 * `cwd`. An omitted `cwd` means the process's working directory (kept for callers written
 * before the parameter existed; the dispatcher's own callers pass it).
 */
export function findHostsFile(explicit: string | undefined, near?: string, cwd: string = process.cwd()): string | undefined {
  if (explicit) return explicit;
  const candidates = ['hosts.yaml', 'hosts.yml'];
  for (const dir of [cwd, ...(near ? [path.dirname(path.resolve(cwd, near))] : [])]) {
    for (const c of candidates) if (existsSync(path.join(dir, c))) return path.relative(cwd, path.join(dir, c)) || c;
  }
  return undefined;
}

function normalize(name: string, raw: Mapping): HostEntry {
  const h = { ...(raw as unknown as HostEntry), name };
  // Top-level partition/account/qos are shorthand for scheduler defaults.
  const defaults: DirectiveSet = { ...((raw.defaults as DirectiveSet | undefined) ?? {}) };
  for (const k of ['partition', 'account', 'qos'] as const) if (typeof raw[k] === 'string' && defaults[k] === undefined) defaults[k] = raw[k] as string;
  if (Object.keys(defaults).length) h.defaults = defaults;
  // The template family of the scheduler that runs this kind of host (scheduler/registry.ts).
  h.scheduler ??= (schedulerForKind(h.kind)?.name ?? 'bash') as Scheduler;
  return h;
}

export interface Inventory {
  file?: string;
  hosts: Map<string, HostEntry>;
}

/** Load an inventory; without a file there is only `local`. */
export async function loadInventory(file: string | undefined, sources?: SourceSet): Promise<{ inventory?: Inventory; diagnostics: Diagnostic[] }> {
  const hosts = new Map<string, HostEntry>([['local', LOCAL_HOST]]);
  if (!file) return { inventory: { hosts }, diagnostics: [] };
  const { loaded, text, diagnostics } = await loadYamlFile(file);
  if (text !== undefined) sources?.add(file, text);
  if (!loaded || hasErrors(diagnostics)) return { diagnostics };
  diagnostics.push(...validateDocument(loaded, 'hosts'));
  if (hasErrors(diagnostics)) return { diagnostics };
  for (const [name, raw] of Object.entries((loaded.data as Mapping).hosts as Mapping)) {
    const h = normalize(name, raw as Mapping);
    // `~` and `~/x` are the home directory (os.homedir() here, the login directory over
    // ssh); `~alice/x` would need a shell to look alice up, and no shell ever sees a workdir.
    if (typeof h.workdir === 'string' && /^~[^/]/.test(h.workdir)) {
      diagnostics.push(diag('EG6005', `The workdir of host "${name}" is ${JSON.stringify(h.workdir)}: only a leading ~ or ~/ is expanded (to the home directory), not ~USER.`, loaded.locate(['hosts', name, 'workdir'], 'value'), 'Write the directory out in full, or use ~/... for the home directory of the user the bundles run as (on an ssh host: the login user).'));
      continue;
    }
    hosts.set(name, h);
  }
  if (hasErrors(diagnostics)) return { diagnostics };
  return { inventory: { file, hosts }, diagnostics };
}

/** Look up hosts by name; an unknown name suggests the nearest. */
export function pickHosts(inv: Inventory, names: readonly string[]): { hosts: HostEntry[]; diagnostics: Diagnostic[] } {
  const hosts: HostEntry[] = [];
  const diagnostics: Diagnostic[] = [];
  for (const n of names) {
    const h = inv.hosts.get(n);
    if (h) hosts.push(h);
    else {
      const near = nearest(n, inv.hosts.keys());
      diagnostics.push(
        diag('EG6001', `There is no host "${n}"${inv.file ? ` in ${inv.file}` : ' (no hosts.yaml found; only "local" exists)'}.`, inv.file ? { file: inv.file } : undefined, near ? `Did you mean "${near}"? Known hosts: ${[...inv.hosts.keys()].join(', ')}.` : `Known hosts: ${[...inv.hosts.keys()].join(', ')}. Add it to hosts.yaml or pass --hosts FILE.`),
      );
    }
  }
  return { hosts, diagnostics };
}
