/** Workflows in temporary folders, and what their runs left on the hosts. */
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseEvents } from '../../src/results/index.js';
import { hostOut } from '../../src/workflow/bundles.js';
import { loadWorkflow } from '../../src/workflow/spec.js';
import type { WorkflowEvent, WorkflowSpec } from '../../src/workflow/types.js';
import { formatDiagnostics } from '../../src/diagnostics/index.js';
import { ROOT } from '../support/cli.js';
import { tmpDir } from '../support/tree.js';

/** A folder with wf.yaml (and hosts.yaml, and other files when given). */
export function workflowDir(yaml: string, files: Record<string, string> = {}): { dir: string; file: string } {
  const dir = tmpDir('eegen-wf-');
  for (const [f, t] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
    writeFileSync(path.join(dir, f), t);
  }
  writeFileSync(path.join(dir, 'wf.yaml'), yaml);
  return { dir, file: path.join(dir, 'wf.yaml') };
}

/** A copy of a fixture folder. */
export function fixtureCopy(name: string): string {
  const dir = path.join(tmpDir('eegen-wf-'), name);
  cpSync(path.join(ROOT, 'fixtures/workflow', name), dir, { recursive: true });
  return dir;
}

export async function load(file: string): Promise<WorkflowSpec> {
  const r = await loadWorkflow(file);
  if (!r.spec) throw new Error(formatDiagnostics(r.diagnostics, r.sources));
  return r.spec;
}

/** The run directories of a node wherever it ran: in place (local), or below a host's workdir. */
function runDirs(spec: WorkflowSpec, node: string, workdirs: readonly string[]): string[] {
  const n = spec.nodes.find((x) => x.name === node)!;
  const dirs = [path.join(hostOut(spec, n.host!.name), node)];
  for (const w of workdirs) if (existsSync(w)) for (const d of readdirSync(w)) if (d.startsWith(`${node}-`) && /-[0-9a-f]{12}$/.test(d)) dirs.push(path.join(w, d));
  return dirs;
}

/** How often a node's run started (start events in every run record, earlier attempts included). */
export function starts(spec: WorkflowSpec, node: string, workdirs: readonly string[] = []): number {
  let n = 0;
  for (const dir of runDirs(spec, node, workdirs)) {
    if (!existsSync(dir)) continue;
    for (const r of readdirSync(dir).filter((d) => d === 'eegen-run' || d.startsWith('eegen-run.attempt-'))) {
      const f = path.join(dir, r, 'events.jsonl');
      if (existsSync(f)) n += parseEvents(readFileSync(f, 'utf8')).value.filter((e) => e.event === 'start').length;
    }
  }
  return n;
}

/** [start, end] of a node's last run, as its record says (ms). */
export function runTimes(spec: WorkflowSpec, node: string): { start?: number; end?: number } {
  const f = path.join(hostOut(spec, spec.nodes.find((x) => x.name === node)!.host!.name), node, 'eegen-run', 'events.jsonl');
  if (!existsSync(f)) return {};
  const ev = parseEvents(readFileSync(f, 'utf8')).value;
  const s = ev.filter((e) => e.event === 'start').at(-1);
  const e = ev.filter((x) => x.event === 'end').at(-1);
  return { ...(s?.ts ? { start: Date.parse(s.ts) } : {}), ...(e?.ts ? { end: Date.parse(e.ts) } : {}) };
}

export function recorder(): { events: WorkflowEvent[]; onEvent: (e: WorkflowEvent) => void; of: (type: WorkflowEvent['type']) => WorkflowEvent[] } {
  const events: WorkflowEvent[] = [];
  return { events, onEvent: (e) => events.push(e), of: (type) => events.filter((e) => e.type === type) };
}

/** A coordinator in a process of its own (the library, run by node), to kill -9. */
export function coordinator(file: string, opts: { pollMs?: number } = {}): ChildProcess & { exited: Promise<number | null>; output: () => string } {
  const code = `
    const { loadWorkflow } = await import(${JSON.stringify(path.join(ROOT, 'dist/workflow/spec.js'))});
    const { runWorkflow } = await import(${JSON.stringify(path.join(ROOT, 'dist/workflow/run.js'))});
    const { spec, diagnostics } = await loadWorkflow(${JSON.stringify(file)});
    if (!spec) { console.error(JSON.stringify(diagnostics)); process.exit(3); }
    const r = await runWorkflow(spec, { pollMs: ${opts.pollMs ?? 100}, onEvent: (e) => { if (e.type !== 'status') console.log(JSON.stringify(e)); } });
    process.exit(r.ok ? 0 : 1);
  `;
  const child = spawn(process.execPath, ['--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((res) => child.on('exit', (c) => res(c)));
  return Object.assign(child, { exited, output: () => out });
}
