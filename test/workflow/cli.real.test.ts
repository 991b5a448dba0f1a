/**
 * `eegen workflow run|status|graph|cancel` as a user runs them (the real CLI, real local
 * processes): exit codes, what is printed, --json, --quiet, Ctrl-C, broken files.
 */
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, eegen, ROOT } from '../support/cli.js';
import { tmpDir } from '../support/tree.js';
import { fixtureCopy, load, starts, workflowDir } from './helpers.js';

describe('eegen workflow (CLI)', () => {
  it("run, status, graph of the paper's example; a second run starts nothing", async () => {
    const dir = fixtureCopy('cloudmesh');
    const run = eegen(['workflow', 'run', 'workflow.yaml', '--poll', '0.1'], { cwd: dir, env: { TZ: 'Asia/Tokyo' } });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    for (const n of ['fetch-data', 'compute', 'analyze']) expect(run.stdout).toMatch(new RegExp(`\\d\\d:\\d\\d:\\d\\d ${n}: started on local \\(local:\\d+\\)\\n(.*\\n)*\\d\\d:\\d\\d:\\d\\d ${n}: done`));
    expect(run.stdout).toMatch(/workflow done\n$/);
    const st = eegen(['workflow', 'status', 'workflow.yaml'], { cwd: dir, env: { TZ: 'Asia/Tokyo' } });
    expect(st.code).toBe(0);
    expect(st.stdout.split('\n')[0]).toMatch(/^#\s+name\s+kind\s+host\s+state\s+progress\s+start\s+end\s+duration\s+label$/);
    expect(st.stdout).toMatch(/2\s+fetch-data\s+local\s+local\s+done\s+\[##########\] 100%\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\s+00:00:0\d\s+fetch-data \| progress=100/);
    // Shown in the user's zone (TZ), stored in UTC.
    const json = JSON.parse(eegen(['workflow', 'status', 'workflow.yaml', '--json'], { cwd: dir }).stdout) as { ok: boolean; nodes: { name: string; started?: string }[] };
    expect(json.ok).toBe(true);
    const started = json.nodes.find((n) => n.name === 'fetch-data')!.started!;
    expect(started).toMatch(/Z$/);
    const tokyo = new Date(Date.parse(started) + 9 * 3600_000).toISOString().slice(0, 19).replace('T', ' ');
    expect(st.stdout).toContain(tokyo);
    const dot = eegen(['workflow', 'graph', 'workflow.yaml', '--format', 'dot'], { cwd: dir });
    expect(dot.stdout).toContain('"compute" [label="compute\\nprogress=100", fillcolor="#CCFFCC"');
    const svg = eegen(['workflow', 'graph', 'workflow.yaml'], { cwd: dir });
    expect([svg.code, svg.stdout.includes('<svg')]).toEqual([0, true]);
    expect(eegen(['workflow', 'graph', 'workflow.yaml', '--format', 'mermaid'], { cwd: dir }).stdout).toMatch(/^flowchart TD\n/);
    const again = eegen(['workflow', 'run', 'workflow.yaml', '-q'], { cwd: dir });
    expect([again.code, again.stdout, again.stderr]).toEqual([0, '', '']);
    const spec = await load(path.join(dir, 'workflow.yaml'));
    for (const n of ['fetch-data', 'compute', 'analyze']) expect(starts(spec, n)).toBe(1);
  }, 60_000);

  it('exit 1 when a node fails; --json is one event per line; --rerun of an unknown node is EG7130', () => {
    const { dir } = workflowDir('workflow:\n  nodes:\n    a: {exec: "exit 4"}\n    b: {exec: "true", needs: a}\n');
    const r = eegen(['workflow', 'run', 'wf.yaml', '--json', '--poll', '0.1'], { cwd: dir });
    expect(r.code).toBe(1);
    const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string; node?: string });
    expect(events.map((e) => `${e.type}:${e.node ?? ''}`)).toEqual(['queued:a', 'started:a', 'failed:a', 'blocked:b', 'finished:']);
    const bad = eegen(['workflow', 'run', 'wf.yaml', '--rerun', 'x'], { cwd: dir });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('error EG7130: --rerun x: the workflow has no node "x" that runs something.');
    expect(bad.stderr).not.toMatch(/\n\s+at /);
  }, 60_000);

  it('a broken workflow file: positioned diagnostics on stderr, exit 1, nothing run', () => {
    const { dir } = workflowDir('workflow:\n  nodes:\n    a: {exec: "true", needs: b}\n    b: {exec: "true", needs: a, host: nowhere}\n');
    for (const cmd of ['run', 'status', 'graph', 'cancel']) {
      const r = eegen(['workflow', cmd, 'wf.yaml'], { cwd: dir });
      expect(r.code, cmd).toBe(1);
      expect(r.stderr).toContain('wf.yaml:4:39 - error EG7106: The node "b" runs on "nowhere"');
      expect(r.stdout).toBe('');
    }
  });

  it('cancel stops a running node; its dependents are blocked; Ctrl-C of run is exit 130 and the node goes on', async () => {
    const { dir, file } = workflowDir('workflow:\n  nodes:\n    long: {exec: "sleep 30"}\n    after: {exec: "true", needs: long}\n');
    const child = spawn(process.execPath, [BIN, 'workflow', 'run', 'wf.yaml', '--poll', '0.1'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    for (let i = 0; i < 200 && !out.includes('long: started'); i++) await new Promise((r) => setTimeout(r, 50));
    child.kill('SIGINT');
    const code = await new Promise<number | null>((res) => child.on('exit', res));
    expect(code, out).toBe(130);
    expect(out).toContain('eegen: interrupted; the nodes that were started go on');
    const st = JSON.parse(eegen(['workflow', 'status', 'wf.yaml', '--json'], { cwd: dir }).stdout) as { nodes: { name: string; state: string }[] };
    expect(st.nodes.map((n) => `${n.name}:${n.state}`)).toEqual(['long:running', 'after:waiting']);
    const c = eegen(['workflow', 'cancel', 'wf.yaml', 'long'], { cwd: dir });
    expect(c.code).toBe(0);
    expect(c.stdout).toMatch(/^cancelled long on local \(local:\d+\)\n$/);
    for (let i = 0; i < 100; i++) {
      const s = JSON.parse(eegen(['workflow', 'status', 'wf.yaml', '--json'], { cwd: dir }).stdout) as { nodes: { name: string; state: string }[] };
      if (s.nodes[0]!.state === 'cancelled') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const r = eegen(['workflow', 'run', 'wf.yaml', '--poll', '0.1'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('after: blocked (long did not succeed)');
    const spec = await load(file);
    expect([starts(spec, 'long'), starts(spec, 'after')]).toEqual([1, 0]);
  }, 60_000);

  it('status --watch shows the table again as nodes change and ends when all have finished; an unreachable host is warned about once', async () => {
    const { dir } = workflowDir('workflow:\n  nodes:\n    a: {exec: "sleep 1"}\n    b: {exec: "true", needs: a}\n');
    const run = spawn(process.execPath, [BIN, 'workflow', 'run', 'wf.yaml', '--poll', '0.1', '-q'], { cwd: dir, stdio: 'ignore' });
    const watch = eegen(['workflow', 'status', 'wf.yaml', '--watch', '--poll', '0.2'], { cwd: dir });
    await new Promise((res) => run.on('exit', res));
    expect(watch.code).toBe(0);
    const tables = watch.stdout.split(/\n(?=#\s+name)/);
    expect(tables.length).toBeGreaterThan(1);
    expect(tables.at(-1)).toMatch(/2\s+b\s+local\s+local\s+done/);

    const dead = workflowDir('workflow:\n  nodes:\n    a: {exec: "true", host: dead}\n', { 'hosts.yaml': 'hosts:\n  dead: {kind: ssh, hostname: 127.0.0.1, port: 1, ssh_options: [ConnectTimeout=2], workdir: /tmp/nowhere}\n' });
    const child = spawn(process.execPath, [BIN, 'workflow', 'run', 'wf.yaml', '--poll', '0.1'], { cwd: dead.dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    // Up to a minute for the first warning: each run of eegen's wrapper costs seconds on a loaded 2-CPU machine.
    for (let i = 0; i < 1200 && !err.includes('warning: dead:'); i++) await new Promise((res) => setTimeout(res, 50));
    await new Promise((res) => setTimeout(res, 2000)); // more polls of the dead host
    child.kill('SIGINT');
    expect(await new Promise((res) => child.on('exit', res))).toBe(130);
    expect(err.split('\n').filter((l) => l.startsWith('warning: dead:'))).toHaveLength(1);
  }, 180_000);

  it("the README's workflow commands each succeed, in order (set -e), and the nodes ran as the spec says", async () => {
    const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const block = /```bash\n(cp -r fixtures\/workflow\/needs wf[^]*?)```/.exec(readme)![1]!;
    const dir = tmpDir('eegen-wf-readme-');
    symlinkSync(path.join(ROOT, 'fixtures'), path.join(dir, 'fixtures'));
    const prelude = `set -e\neegen() { ${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)} "$@"; }\n`;
    const r = spawnSync('bash', ['-c', prelude + block], { cwd: dir, encoding: 'utf8', timeout: 90_000 });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('workflow done');
    expect(r.stdout).toMatch(/analyze 100% ended \d\d:\d\d:\d\d/);
    expect(r.stdout).toContain('flowchart TD');
    const spec = await load(path.join(dir, 'wf', 'workflow.yaml'));
    expect(['fetch', 'train-a', 'train-b', 'analyze'].map((n) => starts(spec, n))).toEqual([1, 1, 1, 2]);
    expect(readFileSync(path.join(dir, 'wf', '.eegen-workflow', '.gitignore'), 'utf8')).toContain('*');
  }, 120_000);
});
