/**
 * Loading workflow files: the cloudmesh-cc examples load unchanged, eegen's `needs:` form
 * and the chains mix, and broken specs give positioned diagnostics, recorded in
 * test/workflow/baselines/*.errors.txt (file:line:col, code, message, code frame, hint).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatDiagnostics } from '../../src/diagnostics/index.js';
import { loadWorkflow, parseDuration } from '../../src/workflow/spec.js';
import { expectBaseline } from '../support/baseline.js';
import { tmpDir } from '../support/tree.js';

async function loadText(yaml: string, files: Record<string, string> = {}) {
  const dir = tmpDir('eegen-wf-spec-');
  for (const [f, t] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
    writeFileSync(path.join(dir, f), t);
  }
  writeFileSync(path.join(dir, 'wf.yaml'), yaml);
  const r = await loadWorkflow('wf.yaml', { cwd: dir });
  return { ...r, dir, text: formatDiagnostics(r.diagnostics, r.sources) };
}

describe('workflow specs', () => {
  it("loads the paper's example unchanged: start -> fetch-data -> compute -> analyze -> end", async () => {
    const r = await loadWorkflow('fixtures/workflow/cloudmesh/workflow.yaml', {});
    expect(r.diagnostics).toEqual([]);
    const s = r.spec!;
    expect(s.nodes.map((n) => n.name)).toEqual(['start', 'fetch-data', 'compute', 'analyze', 'end']);
    expect(s.nodes.map((n) => n.needs)).toEqual([[], ['start'], ['fetch-data'], ['compute'], ['analyze']]);
    expect(s.nodes[0]!.virtual).toBe(true);
    const fetch = s.nodes[1]!;
    expect(fetch).toMatchObject({ kind: 'local', user: 'gregor', virtual: false });
    expect(fetch.host!.name).toBe('local');
    expect(fetch.script!.text).toContain('# cloudmesh status=running');
    expect(s.name).toBe('workflow');
  });

  it('loads the cloudmesh-cc exec and style examples (colours, shapes, layout, start/end with commands)', async () => {
    for (const f of ['workflow-example', 'workflow-style']) {
      const r = await loadWorkflow(`fixtures/workflow/cloudmesh/${f}.yaml`);
      expect(r.diagnostics, f).toEqual([]);
      expect(r.spec!.nodes.map((n) => n.name)).toEqual(['start', 'fetch-data', 'compute', 'analyze', 'end']);
      expect(r.spec!.nodes.every((n) => !n.virtual && n.exec === 'echo hello')).toBe(true);
      expect(r.spec!.colors.done).toBe('#CCFFCC');
      expect(r.spec!.colors.blocked).toBeDefined();
    }
    const style = await loadWorkflow('fixtures/workflow/cloudmesh/workflow-style.yaml');
    expect(style.spec!.layout).toBe('dummy');
    expect(style.spec!.nodes[1]!.attributes.shape).toBe('cylinder');
  });

  it("mixes needs: with chains, expands bracket ranges into a chain, and orders nodes by dependency", async () => {
    const r = await loadText(`workflow:
  nodes:
    report: {exec: echo r, needs: [c2, c3]}
    c1: {exec: echo 1}
    c2: {exec: echo 2}
    c3: {exec: echo 3}
    fetch: {exec: echo f}
  dependencies:
    - fetch,c[1-2]
    - fetch, c3
    - report,end
`);
    expect(r.text).toBe('');
    expect(r.spec!.nodes.map((n) => `${n.name}<${n.needs.join('+')}`)).toEqual(['fetch<', 'c1<fetch', 'c2<c1', 'c3<fetch', 'report<c2+c3', 'end<report']);
  });

  it('a dependency list may be one string (the paper writes it so), with blanks after the commas', async () => {
    const r = await loadText('workflow:\n  nodes:\n    a: {exec: "true"}\n    b: {exec: "true"}\n  dependencies: start, a, b, end\n');
    expect(r.text).toBe('');
    expect(r.spec!.nodes.map((n) => n.name)).toEqual(['start', 'a', 'b', 'end']);
  });

  it('hostile values: a node named like a path or an option, a host name with $(...), shell text in exec stays data', async () => {
    const r = await loadText(`workflow:
  nodes:
    "../x": {exec: "true"}
    "-rf": {exec: "true"}
    ok: {exec: "rm -rf / $(reboot)", host: "$(reboot)"}
`);
    expect(r.diagnostics.filter((d) => d.severity === 'error').map((d) => d.code)).toEqual(['EG7102', 'EG7102', 'EG7106']);
    expect(r.spec).toBeUndefined();
  });

  it('a 1,000-node chain loads (no recursion limit) and a long cycle is found and printed', async () => {
    const names = Array.from({ length: 1000 }, (_, i) => `n${i}`);
    const nodes = names.map((n) => `    ${n}: {exec: "true"}`).join('\n');
    const ok = await loadText(`workflow:\n  nodes:\n${nodes}\n  dependencies:\n    - ${names.join(',')}\n`);
    expect(ok.text).toBe('');
    expect(ok.spec!.nodes.at(-1)!.name).toBe('n999');
    const bad = await loadText(`workflow:\n  nodes:\n${nodes}\n  dependencies:\n    - n[0-999]\n    - n999,n0\n`);
    expect(bad.diagnostics.map((d) => d.code)).toEqual(['EG7104']);
    expect(bad.diagnostics[0]!.message).toMatch(/^The dependencies form a cycle: n0 -> n1 -> .* -> n999 -> n0\.$/);
  });

  it('a node that needs itself, a chain through one node twice in a row', async () => {
    const r = await loadText('workflow:\n  nodes:\n    a: {exec: "true", needs: a}\n    b: {exec: "true"}\n  dependencies: "b,b"\n');
    expect(r.diagnostics.map((d) => d.code)).toEqual(['EG7104', 'EG7104']);
  });

  it('a script that is a directory, or missing, is positioned; a timeout that is no duration too', async () => {
    const r = await loadText('workflow:\n  nodes:\n    a: {script: sub, timeout: 10x}\n    b: {script: gone.sh, timeout: 0}\n', { 'sub/x': '' });
    expect(r.diagnostics.map((d) => d.code)).toEqual(['EG7109', 'EG7111', 'EG7109', 'EG7111']);
    expect(r.text).toMatch(/wf\.yaml:3:17 - error EG7109: The script of the node "a", sub, is a directory/);
  });

  it('a near miss of a node key is a warning, a key of the user\'s own is a label value', async () => {
    const r = await loadText('workflow:\n  nodes:\n    a: {exec: "true", neds: b, colour: red, label: "{colour}"}\n');
    expect(r.diagnostics.map((d) => `${d.code}:${d.severity}`)).toEqual(['EG7113:warning']);
    expect(r.spec!.nodes[0]!.attributes.colour).toBe('red');
  });

  it('a chain of one node is a warning (in YAML, [a,end] is two chains of one)', async () => {
    const r = await loadText('workflow:\n  nodes:\n    a: {exec: "true"}\n  dependencies: [a,end]\n');
    expect(r.diagnostics.map((d) => `${d.code}:${d.severity}`)).toEqual(['EG7114:warning', 'EG7114:warning']);
    expect(r.spec!.nodes.map((n) => `${n.name}<${n.needs.join('+')}`)).toEqual(['a<', 'end<']);
  });

  it('experiment nodes: config and template beside the workflow file, hosts of the inventory, one command only', async () => {
    const ok = await loadText('workflow:\n  nodes:\n    s: {experiment: {config: c.yaml, hosts: "local", array: true, allow_failed: 2}}\n', { 'c.yaml': 'experiment: {x: "1,2"}\n' });
    expect(ok.text).toBe('');
    expect(ok.spec!.nodes[0]).toMatchObject({ kind: 'experiment', experiment: { config: path.join(ok.dir, 'c.yaml'), array: true, allowFailed: 2 } });
    expect(ok.spec!.nodes[0]!.experiment!.hosts.map((h) => h.name)).toEqual(['local']);
    const bad = await loadText('workflow:\n  nodes:\n    s: {experiment: {config: gone.yaml, template: t.eta, hosts: [local, lokal]}}\n    t: {exec: "true", experiment: {config: c.yaml}}\n', { 'c.yaml': '' });
    expect(bad.diagnostics.map((d) => d.code)).toEqual(['EG7106', 'EG7109', 'EG7109', 'EG7108']);
    expect(bad.text).toContain('error EG7106: The experiment of the node "s" runs on "lokal"');
    const noConfig = await loadText('workflow:\n  nodes:\n    u: {experiment: {hosts: [local]}}\n');
    expect(noConfig.diagnostics.map((d) => d.code)).toEqual(['EG2002']);
  });

  it('inputs imply needs; input and output paths are plain relative paths', async () => {
    const ok = await loadText('workflow:\n  nodes:\n    a: {exec: "true", outputs: [out/x.csv, y.txt]}\n    b: {exec: "true", inputs: {a: [out/x.csv], c: y}}\n    c: {exec: "true"}\n');
    expect(ok.text).toBe('');
    const b = ok.spec!.nodes.find((n) => n.name === 'b')!;
    expect(b.needs).toEqual(['a', 'c']);
    expect(b.inputs).toEqual([{ from: 'a', path: 'out/x.csv' }, { from: 'c', path: 'y' }]);
    const bad = await loadText('workflow:\n  nodes:\n    a: {exec: "true", outputs: [../etc/passwd, /abs, ok, "a//b", ./x]}\n    b: {exec: "true", inputs: {a: ["$(x)"], nope: [f], b: [f]}}\n');
    expect(bad.diagnostics.map((d) => d.code)).toEqual(['EG7116', 'EG7116', 'EG7116', 'EG7116', 'EG7116', 'EG7103', 'EG7104']);
  });

  it('durations', () => {
    expect([600, '600', '90s', '10m', '2h', '1d', '1h30m', '01:00:00', '10:00'].map(parseDuration)).toEqual([600, 600, 90, 600, 7200, 86400, 5400, 3600, 600]);
    expect([0, -1, 1.5, '', 'h', '1x', '400d', '1:2'].map(parseDuration)).toEqual(Array(8).fill(undefined));
  });
});

describe('broken workflow specs give positioned diagnostics (baselines)', () => {
  const cases: Record<string, string[]> = {
    cycle: ['EG7104'],
    'unknown-node': ['EG7103', 'EG7103'],
    'unknown-host': ['EG7106', 'EG7107'],
    'bad-label': ['EG7120', 'EG7121', 'EG7123', 'EG7122'],
    nodes: ['EG7101', 'EG7109', 'EG7108', 'EG7102', 'EG7108', 'EG7105'],
    'schema-types': ['EG2003', 'EG2001', 'EG2003'],
  };
  for (const [name, codes] of Object.entries(cases)) {
    it(`${name}.yaml`, async () => {
      const r = await loadWorkflow(`fixtures/workflow/errors/${name}.yaml`, { hostsFile: 'fixtures/workflow/errors/hosts.yaml' });
      expect(r.spec).toBeUndefined();
      const errors = r.diagnostics.filter((d) => d.severity === 'error');
      expect(errors.map((d) => d.code).sort()).toEqual([...codes].sort());
      const text = formatDiagnostics(r.diagnostics, r.sources);
      for (const line of text.split('\n').filter((l) => / - error EG/.test(l) || /^error EG/.test(l))) {
        expect(line, 'each error carries a position').toMatch(/^fixtures\/workflow\/errors\/[\w.-]+:\d+:\d+ - error EG\d{4}: /);
      }
      expectBaseline(`test/workflow/baselines/${name}.errors.txt`, `${text}\n`);
    });
  }
});
