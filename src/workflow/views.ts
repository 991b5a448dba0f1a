/**
 * The graph of a workflow as text for a layout engine: Graphviz DOT (laid out to SVG by
 * Graphviz compiled to WebAssembly, `@viz-js/viz`, imported here only and only when an SVG
 * is asked for) and Mermaid. Nodes are coloured by state (`colors.status` of the spec),
 * labelled with their rendered labels, and take a cloudmesh `shape:` when it is a plain
 * word. Every value reaches the output escaped for that language: a label cannot close its
 * string, add attributes or HTML.
 */
import type { NodeStatus, WorkflowSpec } from './types.js';

export type GraphFormat = 'svg' | 'dot' | 'mermaid';
export const GRAPH_FORMATS: readonly GraphFormat[] = ['svg', 'dot', 'mermaid'];

/** A DOT string literal. */
function dotString(s: string): string {
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\r?\n/g, '\\n')}"`;
}

const WORD = /^[A-Za-z][A-Za-z0-9_]{0,30}$/;

function stateOf(nodes: readonly NodeStatus[] | undefined, name: string): NodeStatus | undefined {
  return nodes?.find((n) => n.name === name);
}

export function toDot(spec: WorkflowSpec, nodes?: readonly NodeStatus[]): string {
  const lines = [`digraph ${dotString(spec.name)} {`, '  rankdir=TB;', '  node [style="filled,rounded", shape=box, fontname="Helvetica", fontsize=11];'];
  for (const n of spec.nodes) {
    const st = stateOf(nodes, n.name);
    const state = st?.state ?? 'waiting';
    const color = spec.colors[state] ?? 'white';
    const label = st?.label ?? n.name;
    const shape = typeof n.attributes.shape === 'string' && WORD.test(n.attributes.shape) ? `, shape=${n.attributes.shape}` : '';
    lines.push(`  ${dotString(n.name)} [label=${dotString(label)}, fillcolor=${dotString(color)}, tooltip=${dotString(`${n.name}: ${state}`)}${shape}];`);
  }
  for (const n of spec.nodes) for (const d of n.needs) lines.push(`  ${dotString(d)} -> ${dotString(n.name)};`);
  lines.push('}', '');
  return lines.join('\n');
}

/** Text inside a Mermaid `["..."]` label: quotes and markup as entities, line breaks as <br/>. */
function mermaidText(s: string): string {
  return s
    .replace(/&/g, '#amp;')
    .replace(/"/g, '#quot;')
    .replace(/</g, '#lt;')
    .replace(/>/g, '#gt;')
    .replace(/\r?\n/g, '<br/>');
}

export function toMermaid(spec: WorkflowSpec, nodes?: readonly NodeStatus[]): string {
  // Node names may be Mermaid keywords (end!): every node gets an id of its own.
  const id = new Map(spec.nodes.map((n, i) => [n.name, `n${i}`]));
  const lines = ['flowchart TD'];
  const used = new Set<string>();
  for (const n of spec.nodes) {
    const st = stateOf(nodes, n.name);
    const state = st?.state ?? 'waiting';
    used.add(state);
    lines.push(`  ${id.get(n.name)}["${mermaidText(st?.label ?? n.name)}"]:::${state}`);
  }
  for (const n of spec.nodes) for (const d of n.needs) lines.push(`  ${id.get(d)} --> ${id.get(n.name)}`);
  for (const s of [...used].sort()) lines.push(`  classDef ${s} fill:${spec.colors[s] ?? 'white'},stroke:#333`);
  lines.push('');
  return lines.join('\n');
}

type Viz = { renderString(src: string, o: { format: string; engine?: string }): string; engines: string[] };
let vizInstance: Promise<Viz> | undefined;

/** The graph laid out by Graphviz (the spec's `layout` engine when Graphviz has it, else dot). */
export async function toSvg(spec: WorkflowSpec, nodes?: readonly NodeStatus[]): Promise<string> {
  vizInstance ??= import('@viz-js/viz').then((m) => m.instance() as Promise<Viz>);
  const viz = await vizInstance;
  const engine = spec.layout && viz.engines.includes(spec.layout) ? spec.layout : 'dot';
  return viz.renderString(toDot(spec, nodes), { format: 'svg', engine });
}

export async function renderGraph(spec: WorkflowSpec, format: GraphFormat, nodes?: readonly NodeStatus[]): Promise<string> {
  if (format === 'dot') return toDot(spec, nodes);
  if (format === 'mermaid') return toMermaid(spec, nodes);
  return toSvg(spec, nodes);
}
