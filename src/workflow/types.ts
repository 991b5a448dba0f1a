/**
 * The values of the workflow coordinator: a loaded spec (nodes in dependency order, each
 * on a host of the inventory), the state of each node as rebuilt from the hosts, and the
 * events a run reports. Nothing here is kept between runs: the hosts hold the truth.
 */
import type { HostError } from '../dispatch/codes.js';
import type { DispatchContext } from '../dispatch/context.js';
import type { Runner } from '../dispatch/process.js';
import type { BundleState } from '../dispatch/types.js';
import type { HostEntry, Inventory } from '../inventory/hosts.js';
import type { Span } from '../diagnostics/index.js';
import type { LabelPart } from './labels.js';

export interface WorkflowNode {
  name: string;
  /** The inventory host it runs on (absent for a start/end node without a command). */
  host?: HostEntry;
  /** `kind:` as written (cloudmesh), else the host's kind. */
  kind: string;
  user?: string;
  /** The label as written, and parsed. */
  label?: string;
  labelParts: LabelPart[];
  /** `script:` as written, its absolute path and its text (read once, when the spec loads). */
  script?: { file: string; path: string; text: string };
  /** `exec:`, an inline command. */
  exec?: string;
  /** `experiment:`: a sweep built from an eegen config and submitted to `hosts` (the first is `host`). */
  experiment?: { config: string; template?: string; hosts: HostEntry[]; array: boolean; allowFailed: number };
  /** Files of other nodes copied into this node's directory (inputs/FROM/PATH) before it starts. */
  inputs: { from: string; path: string }[];
  /** Files this node writes that others read (checked after it ran). */
  outputs: string[];
  /** The nodes this one runs after (direct dependencies), in the order written. */
  needs: string[];
  /** Runs started again after a failure (0: none). */
  retries: number;
  /** Seconds a run may take before it is stopped. */
  timeoutS?: number;
  /** `kind: wsl` (on a local host): the command runs through wsl.exe, in `distribution` (default: WSL's default). */
  wsl?: { distribution?: string };
  /** start / end without a command: done when every node it needs is done, runs nothing. */
  virtual: boolean;
  /** The node's scalar values, for `{key}` in its label. */
  attributes: Record<string, string | number | boolean | null>;
  /** Where the node is defined (its key), for diagnostics; absent for an implicit start/end. */
  at?: Span;
}

export interface WorkflowSpec {
  /** The workflow file as the caller named it (diagnostics) and its absolute path. */
  file: string;
  path: string;
  /** `workflow.name`, else the file name without its extension. */
  name: string;
  /** Nodes in a dependency order (a node after every node it needs; ties in the order written). */
  nodes: WorkflowNode[];
  /** State -> colour (`colors.status`), with eegen's defaults for states it does not name. */
  colors: Record<string, string>;
  /** Graphviz layout engine (`workflow.layout`). */
  layout?: string;
  inventory: Inventory;
  /** When the workflow file was created (its birth time where the file system keeps one, else its modification time). */
  created?: Date;
}

/**
 * A node's state. `waiting`: a node it needs has not finished; `ready`: it can start;
 * then the dispatcher's states of its run (submitted ... lost); `blocked`: a node it needs
 * ended badly, so it will not start.
 */
export type NodeState = 'waiting' | 'ready' | 'blocked' | Exclude<BundleState, 'built' | 'synced'>;

export const NODE_FINAL: ReadonlySet<NodeState> = new Set(['done', 'failed', 'killed', 'cancelled', 'timeout', 'oom', 'lost', 'blocked']);
export const NODE_FAILED: ReadonlySet<NodeState> = new Set(['failed', 'killed', 'cancelled', 'timeout', 'oom', 'lost']);
export const NODE_ACTIVE: ReadonlySet<NodeState> = new Set(['submitted', 'queued', 'running']);

export interface NodeStatus {
  name: string;
  state: NodeState;
  host?: string;
  kind: string;
  progress?: number;
  msg?: string;
  /** ISO 8601 UTC, from the run's own records. */
  started?: string;
  ended?: string;
  jobId?: string;
  /** Which run of the node this is (1, then 2 after a retry, ...). */
  run?: number;
  exitCode?: number | null;
  /** What happened, in words (the dispatcher's `why`). */
  why?: string;
  /** The nodes whose failure blocks this one. */
  blockedBy?: string[];
  /** The job ids its run was submitted to wait for (a chain the scheduler carries: chain.ts). */
  after?: string[];
  /** The node's spec changed since this run was submitted (reported; rerun only when asked). */
  changed?: boolean;
  /** An experiment node: its bundles by state (`done 10, running 2`) and where its merged results are. */
  bundles?: string;
  results?: string;
  /** The label, rendered. */
  label: string;
}

export type WorkflowEvent =
  /** A node is ready and is being started (or waits for a slot on its host). */
  | { type: 'queued'; node: string; host?: string }
  /** A node's run was handed to its host (or was found already there): `run` counts retries. */
  | { type: 'started'; node: string; host?: string; jobId?: string; run?: number }
  /** A node's progress or message changed. */
  | { type: 'progress'; node: string; progress?: number; msg?: string }
  | { type: 'done'; node: string }
  /** A node ended badly; `retry` when it is started again. */
  | { type: 'failed'; node: string; state: NodeState; why?: string; retry: boolean }
  | { type: 'blocked'; node: string; by: string[] }
  /** A node's spec changed since its run was submitted; it is not rerun unless asked. */
  | { type: 'changed'; node: string }
  /** Every node's state, once per poll. */
  | { type: 'status'; nodes: NodeStatus[]; hostErrors: HostError[] }
  /** A host could not be asked or could not take a node (the run goes on with the others). */
  | { type: 'host-error'; error: HostError }
  /** Waiting for another coordinator of this workflow on this machine. */
  | { type: 'waiting'; lock: string }
  /** Every node has finished: done, failed or blocked. */
  | { type: 'finished'; ok: boolean; nodes: NodeStatus[] };

const byName = new WeakMap<WorkflowSpec, Map<string, WorkflowNode>>();
/** A node of the spec by name (a map built once per spec: lookups in loops over 1,000 nodes stay linear). */
export function nodeOf(spec: WorkflowSpec, name: string): WorkflowNode | undefined {
  let m = byName.get(spec);
  if (!m) {
    m = new Map(spec.nodes.map((n) => [n.name, n]));
    byName.set(spec, m);
  }
  return m.get(name);
}

/** Options of every workflow call (run, status, cancel). */
export interface WorkflowCallOptions {
  onEvent?: (e: WorkflowEvent) => void;
  /** Abort: the call rejects with AbortError; what runs on the hosts goes on (as after kill -9). */
  signal?: AbortSignal;
  /** The dispatcher's context (runner, caches) for every call. */
  context?: DispatchContext;
  runner?: Runner;
  /** Time zone labels show times in (IANA; default UTC). */
  timeZone?: string;
  /** `{os.VAR}` of labels, after the host's profile `env` (default: none). */
  env?: Readonly<Record<string, string | undefined>>;
  /** The clock (labels' `{now}`, `{dt0}`). */
  now?: () => Date;
}

export interface RunWorkflowOptions extends WorkflowCallOptions {
  /** Between two polls of the hosts (default 1000 ms). */
  pollMs?: number;
  /** Run these nodes again although they ended (done ones too); never one that is still running. */
  rerun?: readonly string[];
  /** Run every node again that ended badly (also out of retries, also cancelled). */
  rerunFailed?: boolean;
}

export interface WorkflowResult {
  ok: boolean;
  nodes: NodeStatus[];
  hostErrors: HostError[];
}
