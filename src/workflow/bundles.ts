/**
 * Each node that runs something is a bundle, so that the dispatcher's proven machinery
 * carries it: claiming (mkdir, once even with two coordinators), the run wrapper's records
 * (start, end with the real exit code), state derivation, kill -9 recovery. The nodes of
 * one host are the bundles of one output directory (one status round trip per host):
 *
 *   <dir of the workflow file>/.eegen-workflow/<file name>/hosts/<host>/<node>/
 *       run.sh          the bundle's script: runs node/<file>, under `timeout` when asked
 *       node/<file>     the node's script as written (exec: node/exec.sh holds the command)
 *       node.json       which workflow, node and host this is (so that two workflows'
 *                       nodes of the same name and command are different bundles on a host)
 *       eegen-run.sh, manifest.json, SHA256SUMS   as in every bundle
 *
 * Everything here is derived from the spec; the directories can be deleted and rebuilt.
 * A node whose spec changes gets new content, which the dispatcher reports as
 * `changedSinceSubmit` against the run on the host.
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { indexFile, jobsScript } from '../bundle/side-files.js';
import { insertHook, wrapperText } from '../bundle/wrapper.js';
import { RUN_LAYOUT } from '../bundle/run-layout.js';
import type { HostEntry } from '../inventory/hosts.js';
import { shellQuote } from '../shell/quote.js';
import type { BuildPlan, BundleFile, BundlePlan, Scheduler } from '../types.js';
import { EEGEN_VERSION } from '../version.js';
import { finalizeBundle, sha256, writeBuild } from '../write/index.js';
import { nodeOf, type WorkflowNode, type WorkflowSpec } from './types.js';

/** The message a run stopped by its node's timeout leaves as its last progress event. */
export const TIMEOUT_MARK = 'eegen workflow: stopped at the node timeout';
/** Exit status of `timeout` when it stopped the command. */
export const TIMEOUT_EXIT = 124;

/** Where a workflow's derived state lives: beside the workflow file, one folder per file. */
export function stateDir(spec: Pick<WorkflowSpec, 'path'>): string {
  return path.join(path.dirname(spec.path), '.eegen-workflow', path.basename(spec.path));
}

/** The output directory of an experiment node's sweep. */
export function experimentOut(spec: Pick<WorkflowSpec, 'path'>, node: string): string {
  return path.join(stateDir(spec), 'experiments', node);
}

/** The output directory of one host's nodes. */
export function hostOut(spec: Pick<WorkflowSpec, 'path'>, host: string): string {
  return path.join(stateDir(spec), 'hosts', host);
}

function schedulerOf(h: HostEntry): Scheduler {
  return h.kind === 'slurm' ? 'slurm' : h.kind === 'lsf' ? 'lsf' : 'bash';
}

/** A file name of the node's script that is safe as a bundle path (else a fixed one). */
function scriptName(file: string): string {
  const base = path.basename(file);
  return /^[A-Za-z0-9_][A-Za-z0-9_.+-]{0,99}$/.test(base) ? base : 'script';
}

/** The bundle script: directives, the wrapper's hook, the node's command, the timeout mark. */
export function runScript(node: WorkflowNode, commandFile: string, direct: boolean): string {
  const h = node.host!;
  const lines = ['#!/usr/bin/env bash'];
  // Node names are letters, digits, _ and - (spec.ts): safe in a directive as they are.
  if (h.kind === 'slurm') lines.push(`#SBATCH --job-name=${node.name}`);
  if (h.kind === 'lsf') lines.push(`#BSUB -J ${node.name}`);
  lines.push(`# eegen workflow node ${node.name}: runs ${commandFile} in this directory.`);
  let command = `${direct ? '' : 'bash '}./${commandFile}`;
  if (node.wsl) command = wslCommand(node.wsl, lines, direct, commandFile);
  lines.push('rc=0');
  if (node.timeoutS !== undefined) {
    lines.push(`timeout -k 10 ${node.timeoutS} ${command} || rc=$?`);
    lines.push(`if [ "$rc" -eq ${TIMEOUT_EXIT} ]; then eegen_progress '' ${shellQuote(`${TIMEOUT_MARK} (${node.timeoutS} s)`)}; fi`);
  } else {
    lines.push(`${command} || rc=$?`);
  }
  lines.push('exit "$rc"', '');
  return insertHook(lines.join('\n'));
}

/**
 * A `kind: wsl` node: the run (its wrapper, its records) is this machine's, as for any local
 * node; the command runs in WSL through wsl.exe, in this same directory as WSL sees it, as
 * cloudmesh-cc does (`wsl --cd DIR ...`). `--cd` gets the Windows path (Git Bash's `pwd -W`;
 * wsl.exe maps it to /mnt/c/...), else this shell's own (another bash: a fake wsl.exe in
 * tests); `--exec` runs the command without a shell in between, so nothing of the node's
 * (its command is a file of the bundle) is ever parsed as wsl.exe's or a shell's words. The
 * distribution is checked by the spec (EG7117) and quoted all the same. Adds the setup lines
 * to `lines`; returns the command.
 */
export function wslCommand(wsl: NonNullable<WorkflowNode['wsl']>, lines: string[], direct: boolean, commandFile: string): string {
  lines.push('# kind: wsl: the command runs in WSL (wsl.exe), in this directory.');
  lines.push('eegen_cd=$(pwd -W 2>/dev/null) || eegen_cd=$PWD');
  const distro = wsl.distribution !== undefined ? `-d ${shellQuote(wsl.distribution)} ` : '';
  return `wsl.exe ${distro}--cd "$eegen_cd" --exec ${direct ? '' : 'bash '}./${commandFile}`;
}

/** The bundle of one node (a node with a host and a command). Pure. */
export function nodeBundle(spec: Pick<WorkflowSpec, 'name' | 'path'>, node: WorkflowNode, index: number, wrapper: Buffer, inputs: readonly BundleFile[] = []): BundlePlan {
  const files: BundleFile[] = [...inputs];
  let commandFile: string;
  let direct = false;
  if (node.script) {
    commandFile = `node/${scriptName(node.script.file)}`;
    direct = node.script.text.startsWith('#!');
    files.push({ path: commandFile, content: Buffer.from(node.script.text), mode: 0o755 });
  } else {
    commandFile = 'node/exec.sh';
    files.push({ path: commandFile, content: Buffer.from(`${node.exec ?? ''}\n`), mode: 0o644 });
  }
  const info = { workflow: spec.name, file: spec.path, node: node.name, host: node.host!.name, kind: node.kind, needs: node.needs, ...(node.timeoutS !== undefined ? { timeout: node.timeoutS } : {}), ...(node.wsl?.distribution !== undefined ? { distribution: node.wsl.distribution } : {}) };
  const infoText = Buffer.from(`${JSON.stringify(info, null, 2)}\n`);
  files.push({ path: 'run.sh', content: Buffer.from(runScript(node, commandFile, direct)), mode: 0o755 });
  files.push({ path: 'node.json', content: infoText, mode: 0o644 });
  files.push({ path: RUN_LAYOUT.wrapper, content: wrapper, mode: 0o755 });
  return finalizeBundle({
    id: node.name,
    dir: node.name,
    index,
    params: { node: node.name },
    script: 'run.sh',
    scheduler: schedulerOf(node.host!),
    files,
    inputs: { node: sha256(infoText), wrapper: sha256(wrapper) },
    env: { used: [], deferred: [] },
    eegenVersion: EEGEN_VERSION,
    schemaVersion: 'workflow',
  });
}

/**
 * Where this machine holds a file a node wrote: in its directory here (a local host runs
 * it in place; collect brings a remote run back), or in an experiment's output directory.
 */
export function outputPath(spec: Pick<WorkflowSpec, 'path'>, from: WorkflowNode, file: string): string {
  if (from.experiment) return path.join(experimentOut(spec, from.name), file);
  return path.join(hostOut(spec, from.host!.name), from.name, file);
}

/** A node's inputs that are here now, as bundle files (inputs/FROM/PATH); the missing ones, named. */
export function inputFiles(spec: WorkflowSpec, node: WorkflowNode): { files: BundleFile[]; missing: string[] } {
  const files: BundleFile[] = [];
  const missing: string[] = [];
  for (const i of node.inputs) {
    const from = nodeOf(spec, i.from);
    let content: Buffer | undefined;
    try {
      content = from && !from.virtual ? readFileSync(outputPath(spec, from, i.path)) : undefined;
    } catch {
      content = undefined;
    }
    if (content) files.push({ path: `inputs/${i.from}/${i.path}`, content, mode: 0o644 });
    else missing.push(`${i.from}/${i.path}`);
  }
  return { files, missing };
}

/** The nodes that run something, by host name, in dependency order. */
export function nodesByHost(spec: WorkflowSpec): Map<string, WorkflowNode[]> {
  const out = new Map<string, WorkflowNode[]>();
  for (const n of spec.nodes) {
    if (n.virtual || n.experiment || !n.host) continue;
    const list = out.get(n.host.name);
    if (list) list.push(n);
    else out.set(n.host.name, [n]);
  }
  return out;
}

/** Each host's build plan (in memory). */
export function hostPlans(spec: WorkflowSpec): Map<string, BuildPlan> {
  const wrapper = Buffer.from(wrapperText());
  const plans = new Map<string, BuildPlan>();
  for (const [host, nodes] of nodesByHost(spec)) {
    const bundles = nodes.map((n, i) => nodeBundle(spec, n, i, wrapper, inputFiles(spec, n).files));
    plans.set(host, { bundles, sideFiles: [indexFile({ eegen: EEGEN_VERSION, schema: 'workflow', name: `${spec.name} on ${host}`, varying: ['node'] }, bundles), jobsScript(bundles)], diagnostics: [] });
  }
  return plans;
}

/**
 * Write every host's output directory (the writer: atomic, incremental, never a file a
 * run wrote). Nodes the spec no longer has stay on disk (no prune): their runs are records.
 */
export async function writeHostDirs(spec: WorkflowSpec, only?: ReadonlySet<string>, opts: { ifChanged?: boolean } = {}): Promise<Map<string, string>> {
  const outs = new Map<string, string>();
  for (const [host, plan] of hostPlans(spec)) {
    if (only && !only.has(host)) continue;
    const out = hostOut(spec, host);
    // Status and graph only read: when index.json already lists these bundles with these
    // hashes, the directory is as the spec makes it (a run checks every file: writeBuild).
    if (!(opts.ifChanged && (await indexMatches(out, plan)))) await writeBuild(plan, out);
    outs.set(host, out);
  }
  return outs;
}

async function indexMatches(out: string, plan: BuildPlan): Promise<boolean> {
  try {
    const index = JSON.parse(await readFile(path.join(out, 'index.json'), 'utf8')) as { bundles?: { id: string; hash: string }[] };
    const have = (index.bundles ?? []).map((b) => `${b.id}:${b.hash}`).join('\n');
    return have === plan.bundles.map((b) => `${b.id}:${b.hash}`).join('\n');
  } catch {
    return false;
  }
}
