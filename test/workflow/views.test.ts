/**
 * Graph views: DOT and Mermaid text coloured by state, every label escaped for its
 * language, and an SVG laid out by Graphviz (WebAssembly) from the same DOT.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadWorkflow } from '../../src/workflow/spec.js';
import type { NodeStatus } from '../../src/workflow/types.js';
import { toDot, toMermaid, toSvg } from '../../src/workflow/views.js';
import { tmpDir } from '../support/tree.js';

async function spec(yaml: string) {
  const dir = tmpDir('eegen-wf-views-');
  writeFileSync(path.join(dir, 'wf.yaml'), yaml);
  const r = await loadWorkflow(path.join(dir, 'wf.yaml'));
  if (!r.spec) throw new Error(JSON.stringify(r.diagnostics));
  return r.spec;
}

const EVIL = '"]; evil [label="x"]; <b>&amp;</b>\\\\';

describe('graph views', () => {
  it('DOT: nodes coloured by state (the spec\'s colours), labels escaped, cloudmesh shapes that are words', async () => {
    const s = await spec(`workflow:\n  nodes:\n    a: {exec: "true", shape: cylinder}\n    b: {exec: "true", needs: a, shape: 'box]; x [a=b'}\n  dependencies: ["b,end"]\ncolors:\n  status:\n    done: '#00FF00'\n`);
    const nodes: NodeStatus[] = [
      { name: 'a', state: 'done', kind: 'local', label: `a\n${EVIL}` },
      { name: 'b', state: 'running', kind: 'local', label: 'b' },
      { name: 'end', state: 'waiting', kind: 'virtual', label: 'end' },
    ];
    const dot = toDot(s, nodes);
    expect(dot).toContain('"a" [label="a\\n\\"]; evil [label=\\"x\\"]; <b>&amp;</b>\\\\\\\\", fillcolor="#00FF00", tooltip="a: done", shape=cylinder];');
    expect(dot).toContain('"b" [label="b", fillcolor="#CCE5FF", tooltip="b: running"];');
    expect(dot).toContain('"a" -> "b";');
    expect(dot).toContain('"b" -> "end";');
    // Every line inside the graph is one statement: the hostile label opened no second one.
    expect(dot.split('\n').filter((l) => l.includes('evil'))).toHaveLength(1);
  });

  it('Mermaid: own ids (a node may be called end), entities for quotes and markup, one classDef per state', async () => {
    const s = await spec('workflow:\n  nodes:\n    a: {exec: "true"}\n  dependencies: ["start,a,end"]\n');
    const m = toMermaid(s, [
      { name: 'start', state: 'done', kind: 'virtual', label: 'start' },
      { name: 'a', state: 'failed', kind: 'local', label: `a\n${EVIL}` },
      { name: 'end', state: 'blocked', kind: 'virtual', label: 'end' },
    ]);
    expect(m).toBe(
      [
        'flowchart TD',
        '  n0["start"]:::done',
        '  n1["a<br/>#quot;]; evil [label=#quot;x#quot;]; #lt;b#gt;#amp;amp;#lt;/b#gt;\\\\"]:::failed',
        '  n2["end"]:::blocked',
        '  n0 --> n1',
        '  n1 --> n2',
        '  classDef blocked fill:#E0E0E0,stroke:#333',
        '  classDef done fill:#CCFFCC,stroke:#333',
        '  classDef failed fill:#FFCCCC,stroke:#333',
        '',
      ].join('\n'),
    );
  });

  it('SVG: Graphviz lays the graph out; a label with markup arrives as text', async () => {
    const s = await spec('workflow:\n  layout: dummy\n  nodes:\n    a: {exec: "true"}\n    b: {exec: "true", needs: a}\n');
    const svg = await toSvg(s, [
      { name: 'a', state: 'done', kind: 'local', label: '<script>alert(1)</script>' },
      { name: 'b', state: 'waiting', kind: 'local', label: 'b' },
    ]);
    expect(svg).toMatch(/^<\?xml/);
    expect(svg).toContain('<svg');
    expect(svg).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(svg).not.toContain('<script>');
    expect(svg.toLowerCase()).toContain('fill="#ccffcc"');
    expect((svg.match(/class="node"/g) ?? []).length).toBe(2);
    expect((svg.match(/class="edge"/g) ?? []).length).toBe(1);
  });
});
