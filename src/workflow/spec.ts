/**
 * Loading a workflow file: YAML with positions (load/), the workflow schema through the
 * config validator (validate/, schemas/workflow.schema.json), then what a schema cannot
 * say: names, hosts of the inventory, scripts, labels, dependencies, cycles. Every
 * problem is reported in one pass, positioned; a spec with an error runs nothing.
 *
 * Two forms, which may be mixed in one file: cloudmesh's (`workflow.dependencies`, a list
 * of chains `a,b,c`) and eegen's (`needs:` on a node). `start` and `end` exist when named,
 * defined or not; without a command they run nothing.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { diag, hasErrors, nearest, SourceSet, type Diagnostic, type Span } from '../diagnostics/index.js';
import { findHostsFile, loadInventory, type HostEntry, type Inventory } from '../inventory/hosts.js';
import { loadYamlFile, readInputFile, InputFileError } from '../load/index.js';
import type { LoadedYaml, Mapping, PathSegment } from '../types.js';
import { validateDocument } from '../validate/index.js';
import { WORKFLOW_CODES as C } from './codes.js';
import { dependencyOrder, findCycle, parseChain } from './graph.js';
import { parseLabel } from './labels.js';
import type { WorkflowNode, WorkflowSpec } from './types.js';

export interface LoadWorkflowOptions {
  /** hosts.yaml: this file, else hosts.yaml in `cwd`, else beside the workflow file. */
  hostsFile?: string;
  /** Where relative paths are resolved (default: the process's working directory). */
  cwd?: string;
  /** An inventory already loaded (then hostsFile is not read). */
  inventory?: Inventory;
}

export interface LoadWorkflowResult {
  spec?: WorkflowSpec;
  diagnostics: Diagnostic[];
  /** Texts of the files read, for formatting the diagnostics. */
  sources: SourceSet;
}

/** Node names become directory names and bundle ids: letters, digits, `_` and `-`. */
const NODE_NAME = /^[A-Za-z0-9_][A-Za-z0-9_-]{0,99}$/;
const VIRTUAL = new Set(['start', 'end']);
const NODE_KEYS = ['name', 'user', 'host', 'kind', 'label', 'script', 'exec', 'experiment', 'inputs', 'outputs', 'status', 'needs', 'retries', 'timeout', 'distribution'];
/** A WSL distribution name as `wsl.exe -d` takes it: letters, digits, . _ - (not first). */
const DISTRIBUTION = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;
/** A path inside a node's directory: segments of plain characters, none `.` or `..`. */
const DATA_PATH = /^[A-Za-z0-9_][A-Za-z0-9_.+-]*(\/[A-Za-z0-9_][A-Za-z0-9_.+-]*)*$/;
/** Colours of cloudmesh-cc (tests/workflow-example), for states a spec does not colour. */
export const DEFAULT_COLORS: Readonly<Record<string, string>> = {
  waiting: 'white',
  ready: 'white',
  blocked: '#E0E0E0',
  submitted: '#CCE5FF',
  queued: '#CCE5FF',
  running: '#CCE5FF',
  done: '#CCFFCC',
  failed: '#FFCCCC',
  killed: '#FFCCCC',
  cancelled: '#FFE5CC',
  timeout: '#FFCCCC',
  oom: '#FFCCCC',
  lost: '#FFCCCC',
};

export async function loadWorkflow(file: string, opts: LoadWorkflowOptions = {}): Promise<LoadWorkflowResult> {
  const sources = new SourceSet();
  const cwd = opts.cwd ?? process.cwd();
  const abs = path.resolve(cwd, file);
  const { loaded, text, diagnostics } = await loadYamlFile(opts.cwd ? abs : file);
  const shown = loaded?.file ?? file;
  if (text !== undefined) sources.add(shown, text);
  if (!loaded || hasErrors(diagnostics)) return { diagnostics, sources };
  // The validator's own mapping of ajv errors to YAML positions; 'workflow' is a schema of schemas/ it loads.
  diagnostics.push(...validateDocument(loaded, 'workflow'));
  if (hasErrors(diagnostics)) return { diagnostics, sources };

  let inventory = opts.inventory;
  if (!inventory) {
    const hostsFile = findHostsFile(opts.hostsFile, abs, cwd);
    const inv = await loadInventory(hostsFile === undefined || !opts.cwd ? hostsFile : path.resolve(cwd, hostsFile), sources);
    diagnostics.push(...inv.diagnostics);
    if (!inv.inventory) {
      diagnostics.push(diag(C.badInventory, `The host inventory ${hostsFile ?? ''} could not be loaded, so no node's host can be checked.`, undefined, 'Fix hosts.yaml (see the errors above), or pass --hosts FILE.'));
      return { diagnostics, sources };
    }
    inventory = inv.inventory;
  }

  const wf = (loaded.data as Mapping).workflow as Mapping;
  const nodesRaw = (wf.nodes ?? {}) as Mapping;
  const nodes = new Map<string, WorkflowNode>();
  const needs = new Map<string, string[]>();
  /** Where each edge was written, for the cycle's message: "a>b" -> span. */
  const edgeAt = new Map<string, Span>();
  for (const [name, raw] of Object.entries(nodesRaw)) {
    const node = await readNode(loaded, name, (raw ?? {}) as Mapping, inventory, path.dirname(abs), diagnostics, sources);
    if (node) {
      nodes.set(name, node);
      needs.set(name, []);
    }
  }

  const add = (to: string, from: string, at: Span): void => {
    if (!nodes.has(to) || !needs.has(to)) return;
    const list = needs.get(to)!;
    if (!list.includes(from)) list.push(from);
    if (!edgeAt.has(`${from}>${to}`)) edgeAt.set(`${from}>${to}`, at);
  };
  const known = (name: string, at: Span): boolean => {
    if (nodes.has(name)) return true;
    // Defined, with errors of its own (reported): not unknown.
    if (Object.hasOwn(nodesRaw, name)) return false;
    if (VIRTUAL.has(name)) {
      nodes.set(name, virtualNode(name));
      needs.set(name, []);
      return true;
    }
    const near = nearest(name, [...Object.keys(nodesRaw), ...VIRTUAL]);
    diagnostics.push(diag(C.unknownNode, `There is no node "${name}".`, at, near ? `Did you mean "${near}"? Nodes: ${Object.keys(nodesRaw).join(', ')}.` : `Nodes: ${Object.keys(nodesRaw).join(', ') || '(none)'}; define it under workflow.nodes, or remove it here.`));
    return false;
  };

  // eegen's form: needs on each node.
  for (const [name, raw] of Object.entries(nodesRaw)) {
    const list = (raw as Mapping | null)?.needs;
    if (list === undefined || list === null) continue;
    const strings = typeof list === 'string' ? [{ text: list, where: ['workflow', 'nodes', name, 'needs'] as PathSegment[] }] : (list as string[]).map((t, i) => ({ text: t, where: ['workflow', 'nodes', name, 'needs', i] as PathSegment[] }));
    for (const s of strings) {
      const { items, errors } = parseChain(s.text);
      for (const e of errors) diagnostics.push(diag(C.badChain, e.message, subSpan(loaded, s.where, s.text, e.offset, e.length), e.hint));
      for (const it of items) {
        const at = subSpan(loaded, s.where, s.text, it.offset, it.length);
        if (it.name === name) diagnostics.push(diag(C.cycle, `The node "${name}" needs itself.`, at, 'Remove it from its own needs.'));
        else if (known(it.name, at)) add(name, it.name, at);
      }
    }
  }
  // inputs: {from: [...]}: the node runs after `from`.
  for (const [name, raw] of Object.entries(nodesRaw)) {
    const ins = (raw as Mapping | null)?.inputs as Mapping | undefined;
    for (const from of Object.keys(ins ?? {})) {
      const at = loaded.locate(['workflow', 'nodes', name, 'inputs', from], 'key');
      if (from === name) diagnostics.push(diag(C.cycle, `The node "${name}" takes inputs from itself.`, at, 'Name another node, or write the file in this node itself.'));
      else if (known(from, at)) add(name, from, at);
    }
  }
  // Cloudmesh's form: chains.
  const deps = wf.dependencies;
  const chains = typeof deps === 'string' ? [{ text: deps, where: ['workflow', 'dependencies'] as PathSegment[] }] : ((deps ?? []) as string[]).map((t, i) => ({ text: t, where: ['workflow', 'dependencies', i] as PathSegment[] }));
  for (const ch of chains) {
    const { items, errors } = parseChain(ch.text);
    for (const e of errors) diagnostics.push(diag(C.badChain, e.message, subSpan(loaded, ch.where, ch.text, e.offset, e.length), e.hint));
    const resolved = items.map((it) => ({ ...it, at: subSpan(loaded, ch.where, ch.text, it.offset, it.length) })).filter((it) => known(it.name, it.at));
    if (items.length === 1 && !errors.length) diagnostics.push(diag(C.chainOfOne, `The chain "${ch.text}" names one node, so it orders nothing.`, loaded.locate(ch.where), 'A chain is a,b,c in one string: in YAML, [a,b] is a list of two chains; write - a,b or ["a,b"].', 'warning'));
    for (let i = 1; i < resolved.length; i++) {
      const a = resolved[i - 1]!;
      const b = resolved[i]!;
      if (a.name === b.name) diagnostics.push(diag(C.cycle, `The chain runs from "${a.name}" to itself.`, b.at, 'Write each node once in a row.'));
      else add(b.name, a.name, b.at);
    }
  }
  if (hasErrors(diagnostics)) return { diagnostics, sources };

  const names = [...nodes.keys()];
  const cycle = findCycle(names, needs);
  if (cycle) {
    const closing = edgeAt.get(`${cycle[cycle.length - 2]}>${cycle[cycle.length - 1]}`) ?? loaded.locate(['workflow']);
    diagnostics.push(diag(C.cycle, `The dependencies form a cycle: ${cycle.join(' -> ')}.`, closing, 'A node cannot run after itself: remove one of these dependencies.'));
    return { diagnostics, sources };
  }
  const order = dependencyOrder(names, needs);
  const list = order.map((n) => ({ ...nodes.get(n)!, needs: needs.get(n)! }));
  const colorsRaw = ((((loaded.data as Mapping).colors ?? wf.colors) as Mapping | undefined)?.status ?? {}) as Record<string, string>;
  const created = await stat(abs).then((s) => (s.birthtimeMs > 0 ? s.birthtime : s.mtime)).catch(() => undefined);
  const spec: WorkflowSpec = {
    file: shown,
    path: abs,
    name: typeof wf.name === 'string' ? wf.name : path.basename(abs).replace(/\.ya?ml$/i, ''),
    nodes: list,
    colors: { ...DEFAULT_COLORS, ...colorsRaw },
    ...(typeof wf.layout === 'string' ? { layout: wf.layout } : {}),
    inventory,
    ...(created ? { created } : {}),
  };
  return { spec, diagnostics, sources };
}

function virtualNode(name: string): WorkflowNode {
  return { name, kind: 'virtual', labelParts: [{ text: name }], inputs: [], outputs: [], needs: [], retries: 0, virtual: true, attributes: { name } };
}

/**
 * The span of `text.slice(offset, offset + length)` inside the scalar at `where`: exact
 * when the scalar is written plainly or quoted without escapes, else the whole scalar.
 */
function subSpan(loaded: LoadedYaml, where: readonly PathSegment[], text: string, offset: number, length: number): Span {
  const span = loaded.locate(where);
  const src = loaded.text.slice(span.start, span.start + span.length);
  const inner = src === text ? 0 : (src.startsWith("'") || src.startsWith('"')) && src.slice(1, 1 + text.length) === text ? 1 : -1;
  if (inner < 0) return span;
  return { file: span.file, start: span.start + inner + offset, length: Math.max(1, length) };
}

async function readNode(loaded: LoadedYaml, name: string, raw: Mapping, inv: Inventory, dir: string, out: Diagnostic[], sources: SourceSet): Promise<WorkflowNode | undefined> {
  const at = (key?: string, which: 'key' | 'value' = 'value'): Span => loaded.locate(key === undefined ? ['workflow', 'nodes', name] : ['workflow', 'nodes', name, key], which);
  const before = out.length;
  const keyAt = loaded.locate(['workflow', 'nodes', name], 'key');
  if (!NODE_NAME.test(name)) {
    out.push(diag(C.badNodeName, `The node name "${name}" cannot be used: it names a directory on the host and the node's runs.`, keyAt, 'Use letters, digits, _ and - (at most 100), not starting with -.'));
  }
  if (raw.name !== undefined && raw.name !== name) out.push(diag(C.nameMismatch, `The node "${name}" says name: ${String(raw.name)}.`, at('name'), `The name must be the node's key: write name: ${name}, or rename the key.`));
  for (const key of Object.keys(raw)) {
    if (NODE_KEYS.includes(key)) continue;
    const near = nearest(key, NODE_KEYS);
    if (near && key.length >= 4) out.push(diag(C.nearKey, `Unknown key "${key}" in the node "${name}": did you mean "${near}"?`, at(key, 'key'), `Rename it to "${near}"; a key of your own (usable as {${key}} in the label) is best named further from eegen's keys.`, 'warning'));
  }
  const script = raw.script as string | undefined;
  const exec = raw.exec as string | undefined;
  const exp = raw.experiment as Mapping | undefined;
  const commands = [script !== undefined && 'script', exec !== undefined && 'exec', exp !== undefined && 'experiment'].filter((c): c is string => !!c);
  const virtual = VIRTUAL.has(name) && commands.length === 0;
  if (commands.length > 1) out.push(diag(C.noCommand, `The node "${name}" has both ${commands.join(' and ')}.`, at(commands[1], 'key'), 'Keep one: script: FILE runs a file, exec: COMMAND an inline command, experiment: {config: FILE} a sweep.'));
  if (!virtual && commands.length === 0) out.push(diag(C.noCommand, `The node "${name}" has nothing to run.`, keyAt, 'Give it script: FILE (relative to the workflow file), exec: COMMAND, or experiment: {config: FILE}.'));

  let host: HostEntry | undefined;
  const kindWritten = raw.kind as string | undefined;
  if (!virtual) {
    const hostName = (raw.host as string | undefined) ?? 'local';
    const thisMachine = (hostName === 'localhost' || hostName === 'local') && (kindWritten === undefined || kindWritten === 'local' || kindWritten === 'wsl');
    host = inv.hosts.get(hostName) ?? (thisMachine ? inv.hosts.get('local') : undefined);
    if (kindWritten === 'wsl' && host && (host.kind !== 'local' || exp !== undefined)) {
      // WSL is a subsystem of this (Windows) machine: wsl.exe runs the command in it, from a
      // local host's run (cloudmesh-cc's `wsl --cd DIR ...`).
      out.push(diag(C.unsupportedKind, exp !== undefined ? `The node "${name}" is an experiment of kind wsl: a sweep runs on its hosts, not through wsl.exe.` : `The node "${name}" is of kind wsl, but the host "${host.name}" is of kind ${host.kind}: wsl.exe runs on this machine.`, at('kind'), exp !== undefined ? 'Leave kind out (the hosts of the experiment say how it runs).' : 'Put it on a local host (host: local, or a host of kind local in hosts.yaml).'));
    } else if (!host) {
      const near = nearest(hostName, inv.hosts.keys());
      out.push(diag(C.unknownHost, `The node "${name}" runs on "${hostName}", which is not a host ${inv.file ? `in ${inv.file}` : '(no hosts.yaml found; only "local" exists)'}.`, at(raw.host === undefined ? undefined : 'host'), `${near ? `Did you mean "${near}"? ` : ''}Known hosts: ${[...inv.hosts.keys()].join(', ')}. Add it to hosts.yaml, or pass --hosts FILE.`));
    } else if (kindWritten !== undefined && kindWritten !== host.kind && kindWritten !== 'wsl') {
      out.push(diag(C.kindMismatch, `The node "${name}" says kind: ${kindWritten}, but the host "${host.name}" is of kind ${host.kind}${inv.file ? ` in ${inv.file}` : ''}.`, at('kind'), `Write kind: ${host.kind} (or leave kind out), or pick a host of kind ${kindWritten}.`));
    }
  }

  let experiment: WorkflowNode['experiment'];
  if (exp !== undefined && host) {
    const where = (k: string, ...more: PathSegment[]): Span => loaded.locate(['workflow', 'nodes', name, 'experiment', k, ...more]);
    const names = exp.hosts === undefined ? [host.name] : typeof exp.hosts === 'string' ? exp.hosts.split(',').map((h) => h.trim()).filter(Boolean) : (exp.hosts as string[]);
    const hosts: HostEntry[] = [];
    names.forEach((h, i) => {
      const e = inv.hosts.get(h);
      if (e) hosts.push(e);
      else {
        const near = nearest(h, inv.hosts.keys());
        out.push(diag(C.unknownHost, `The experiment of the node "${name}" runs on "${h}", which is not a host ${inv.file ? `in ${inv.file}` : '(no hosts.yaml found; only "local" exists)'}.`, typeof exp.hosts === 'string' ? where('hosts') : where('hosts', i), `${near ? `Did you mean "${near}"? ` : ''}Known hosts: ${[...inv.hosts.keys()].join(', ')}.`));
      }
    });
    for (const k of ['config', 'template'] as const) {
      const f = exp[k] as string | undefined;
      if (f === undefined) continue;
      try {
        await readInputFile(path.resolve(dir, f));
      } catch (e) {
        if (!(e instanceof InputFileError)) throw e;
        out.push(diag(C.badScript, `The experiment ${k} of the node "${name}", ${f}, ${e.what}.`, where(k), 'The path is relative to the workflow file.'));
      }
    }
    if (hosts.length) {
      host = hosts[0]!;
      experiment = { config: path.resolve(dir, exp.config as string), ...(typeof exp.template === 'string' ? { template: path.resolve(dir, exp.template) } : {}), hosts, array: exp.array === true, allowFailed: (exp.allow_failed as number | undefined) ?? 0 };
    }
  }

  let scriptInfo: WorkflowNode['script'];
  if (script !== undefined) {
    const p = path.resolve(dir, script);
    try {
      const text = (await readInputFile(p)).toString('utf8');
      scriptInfo = { file: script, path: p, text };
      sources.add(p, text);
    } catch (e) {
      if (!(e instanceof InputFileError)) throw e;
      out.push(diag(C.badScript, `The script of the node "${name}", ${script}, ${e.what}.`, at('script'), 'The path is relative to the workflow file.'));
    }
  }

  let timeoutS: number | undefined;
  if (raw.timeout !== undefined) {
    timeoutS = parseDuration(raw.timeout as string | number);
    if (timeoutS === undefined) out.push(diag(C.badTimeout, `The timeout of the node "${name}", ${JSON.stringify(raw.timeout)}, is not a duration.`, at('timeout'), 'Write seconds (600), or 90s, 10m, 2h, 1d, or HH:MM:SS; at most 365 days.'));
  }

  const attributes: WorkflowNode['attributes'] = {};
  for (const [k, v] of Object.entries(raw)) if (v === null || typeof v !== 'object') attributes[k] = v as string | number | boolean | null;
  attributes.name = name;
  const label = raw.label as string | undefined;
  let labelParts: WorkflowNode['labelParts'] = [{ text: name }];
  if (label !== undefined) {
    const parsed = parseLabel(label, Object.keys(attributes));
    for (const e of parsed.errors) out.push(diag(e.code, `The label of the node "${name}": ${e.message}`, subSpan(loaded, ['workflow', 'nodes', name, 'label'], label, e.offset, e.length), e.hint));
    labelParts = parsed.parts;
  }
  const dataPath = (p: string, where: PathSegment[]): boolean => {
    if (DATA_PATH.test(p) && !p.split('/').some((seg) => seg === '..' || seg === '.')) return true;
    out.push(diag(C.badPath, `The path "${p}" of the node "${name}" is not a plain relative path.`, loaded.locate(['workflow', 'nodes', name, ...where]), 'Name a file in the node\'s directory: letters, digits, _ . + - and /, no .. and no leading /.'));
    return false;
  };
  const listOf = (v: unknown): string[] => (typeof v === 'string' ? v.split(',').map((x) => x.trim()).filter(Boolean) : Array.isArray(v) ? (v as string[]) : []);
  const outputs = listOf(raw.outputs).filter((p, i) => dataPath(p, typeof raw.outputs === 'string' ? ['outputs'] : ['outputs', i]));
  const inputs: WorkflowNode['inputs'] = [];
  for (const [from, paths] of Object.entries((raw.inputs ?? {}) as Mapping)) {
    listOf(paths).forEach((p, i) => {
      if (dataPath(p, typeof paths === 'string' ? ['inputs', from] : ['inputs', from, i])) inputs.push({ from, path: p });
    });
  }
  const distribution = raw.distribution as string | undefined;
  if (distribution !== undefined && kindWritten !== 'wsl') {
    out.push(diag(C.badDistribution, `The node "${name}" names a WSL distribution but is not of kind wsl.`, at('distribution', 'key'), 'Add kind: wsl, or leave distribution out.'));
  } else if (distribution !== undefined && !DISTRIBUTION.test(distribution)) {
    out.push(diag(C.badDistribution, `The WSL distribution of the node "${name}", ${JSON.stringify(distribution)}, is not a distribution name.`, at('distribution'), 'Use the name `wsl.exe --list` shows: letters, digits, . _ and -, not starting with - or a dot.'));
  }
  if (out.slice(before).some((d) => d.severity === 'error')) return undefined;
  return {
    name,
    ...(host ? { host } : {}),
    kind: virtual ? 'virtual' : experiment ? 'experiment' : (kindWritten ?? host!.kind),
    ...(typeof raw.user === 'string' ? { user: raw.user } : {}),
    ...(label !== undefined ? { label } : {}),
    labelParts,
    ...(scriptInfo ? { script: scriptInfo } : {}),
    ...(exec !== undefined ? { exec } : {}),
    ...(experiment ? { experiment } : {}),
    inputs,
    outputs,
    needs: [],
    retries: (raw.retries as number | undefined) ?? 0,
    ...(timeoutS !== undefined ? { timeoutS } : {}),
    ...(kindWritten === 'wsl' && !virtual ? { wsl: distribution !== undefined ? { distribution } : {} } : {}),
    virtual,
    attributes,
    at: keyAt,
  };
}

/** Seconds of `600`, `90s`, `10m`, `2h`, `1d`, `1h30m`, `HH:MM:SS` or `MM:SS`; undefined when not a positive duration. */
export function parseDuration(v: string | number): number | undefined {
  let s: number | undefined;
  if (typeof v === 'number') s = Number.isInteger(v) ? v : undefined;
  else if (/^\d+$/.test(v.trim())) s = Number(v.trim());
  else if (/^(\d+:)?\d+:\d\d$/.test(v.trim())) s = v.trim().split(':').reduce((acc, p) => acc * 60 + Number(p), 0);
  else {
    const m = /^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(v.trim());
    if (m && v.trim() !== '') s = Number(m[1] ?? 0) * 86_400 + Number(m[2] ?? 0) * 3600 + Number(m[3] ?? 0) * 60 + Number(m[4] ?? 0);
  }
  return s !== undefined && s > 0 && s <= 365 * 86_400 ? s : undefined;
}
