/**
 * The README is executed: every fenced block of README.md is run, built, loaded or compared
 * with the real output, so the README cannot drift from what eegen does.
 *
 * How each block is executed is decided by the table BLOCKS below, one entry per block,
 * found by the block's first line. A block nobody mapped fails the test (with the line to
 * add), and so does an entry whose block is gone, so a new README block cannot slip by
 * unexecuted and the table cannot rot.
 *
 * Commands for hosts that do not exist here (`--host cluster`, box1, box2) run against an
 * inventory that maps those names to the real test hosts: the local Slurm and the loopback
 * sshd (DEVELOPERS.md). `npx eegen` / `eegen` in a block is this checkout's CLI.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadInventory } from '../../src/inventory/hosts.js';
import { parseYaml } from '../../src/load/index.js';
import { BIN, ROOT } from '../support/cli.js';
import { skipWithout, testEnv } from '../support/env.js';
import { tmpDir } from '../support/tree.js';

interface Block {
  lang: string;
  text: string;
  /** 1-based line of the opening fence. */
  line: number;
}

/** Top-level fenced blocks (``` at the start of a line). */
function fencedBlocks(markdown: string): Block[] {
  const lines = markdown.split('\n');
  const out: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\w*)\s*$/.exec(lines[i]!);
    if (!open) continue;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !/^```\s*$/.test(lines[i]!); i++) body.push(lines[i]!);
    out.push({ lang: open[1]!, text: `${body.join('\n')}\n`, line: start + 1 });
  }
  return out;
}

/** How one README block is executed. */
type How =
  /** The two set-up commands at the top: the first run exactly as written in a fresh copy. */
  | { kind: 'top-commands' }
  /** Run with bash in a scratch folder holding fixtures/ (exit 0), then check `expect`. */
  | { kind: 'run'; bundles?: number }
  /** Identical (as data) to a file of the repository. */
  | { kind: 'equals-file'; file: string }
  /** A config: built beside the files of `dir`; must give `bundles` bundles. */
  | { kind: 'build'; dir: string; bundles: number }
  /** Diagnostics: `eegen ...args` (exit 1) prints this text. */
  | { kind: 'errors'; args: string[] }
  /** A hosts.yaml: loads with the hosts schema, no diagnostics. */
  | { kind: 'hosts' }
  /** Dispatch commands: run line by line against the test hosts; submit with --dry-run. */
  | { kind: 'dispatch' }
  /** The checked-in-bundles CI recipe: passes in a git repo with committed bundles, fails once the config changed. */
  | { kind: 'git-recipe' }
  /** A CI workflow: parses as YAML, and each `run: eegen ...` step is a line of the recipe block `recipe`. */
  | { kind: 'workflow'; recipe: string }
  /** The events one-liner: run with EEGEN_EVENTS set, it appends one valid progress event. */
  | { kind: 'events-line' }
  /** A sample of a format, not a command or config; `reason` says where it is tested. */
  | { kind: 'example'; reason: string };

/**
 * README.md blocks, by their first line. To add a block, add an entry: its first line
 * and how to execute it (see How above).
 */
const BLOCKS: { file: string; first: string; how: How }[] = [
  { file: 'README.md', first: '# 1. Run the built-in example end to end on this machine: build 12 bundles, run them in the', how: { kind: 'top-commands' } },
  { file: 'README.md', first: 'npx eegen build fixtures/cloudmask/config.yaml --template fixtures/cloudmask/cloudmask.in.slurm', how: { kind: 'run', bundles: 30 } },
  { file: 'README.md', first: 'application:', how: { kind: 'equals-file', file: 'fixtures/cloudmask/config.yaml' } },
  { file: 'README.md', first: 'fixtures/errors/schema-errors.yaml:8:3 - error EG2001: Unknown key "exlcude" in sweep.', how: { kind: 'errors', args: ['build', 'fixtures/errors/schema-errors.yaml'] } },
  { file: 'README.md', first: 'name: cloudmask-study', how: { kind: 'build', dir: 'fixtures/cloudmask', bundles: 50 } },
  { file: 'README.md', first: 'name: files-example', how: { kind: 'build', dir: 'test/readme/files-example', bundles: 2 } },
  { file: 'README.md', first: 'name: cloudmask on rivanna         # every key outside eegen: is yours, whatever its name', how: { kind: 'build', dir: 'fixtures/cloudmask', bundles: 12 } },
  { file: 'README.md', first: 'fixtures/cloudmesh-compat/eegen-section/errors.yaml:6:5 - error EG2001: Unknown key "partiton" in eegen.resources.', how: { kind: 'errors', args: ['build', 'fixtures/cloudmesh-compat/eegen-section/errors.yaml'] } },
  { file: 'README.md', first: 'eegen submit out --host cluster              # copy (rsync), verify checksums, sbatch', how: { kind: 'dispatch' } },
  { file: 'README.md', first: 'hosts:', how: { kind: 'hosts' } },
  { file: 'README.md', first: "# The Compute Coordinator's example (seed paper, Fig. 2), as cloudmesh-cc writes it:", how: { kind: 'equals-file', file: 'fixtures/workflow/cloudmesh/workflow.yaml' } },
  { file: 'README.md', first: 'workflow:', how: { kind: 'equals-file', file: 'fixtures/workflow/needs/workflow.yaml' } },
  { file: 'README.md', first: 'cp -r fixtures/workflow/needs wf && cd wf', how: { kind: 'run' } },
  { file: 'README.md', first: "import { build, submit, watch, LOCAL_HOST, type BundleStatus, type EegenEvent } from 'eegen';", how: { kind: 'example', reason: 'the library example; its code runs in test/readme/library-example.real.test.ts, which checks it is this block' } },
  { file: 'docs/checked-in-bundles.md', first: '# Fail when the committed bundles are not exactly what the committed config produces.', how: { kind: 'git-recipe' } },
  { file: 'docs/checked-in-bundles.md', first: 'jobs:', how: { kind: 'workflow', recipe: '# Fail when the committed bundles are not exactly what the committed config produces.' } },
  { file: 'docs/formats.md', first: '{"ts":"2026-11-25T15:00:00.123Z","event":"start","host":"node1","jobId":"123","pid":42}', how: { kind: 'example', reason: 'events.jsonl sample; parsed in test/results/events.test.ts' } },
  { file: 'docs/formats.md', first: `printf '{"ts":"%s","event":"progress","progress":%d}\\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" 50 >> "$EEGEN_EVENTS"`, how: { kind: 'events-line' } },
  { file: 'docs/formats.md', first: '# eegen progress=50 msg="epoch 3, \\"best\\" so far"', how: { kind: 'example', reason: 'status-line sample; test/results/events.test.ts' } },
  { file: 'docs/formats.md', first: '# csv,timer,status,time,sum,start,tag,msg,uname.node,user,uname.system,platform.version', how: { kind: 'example', reason: 'StopWatch sample; test/results/stopwatch.test.ts' } },
  { file: 'docs/formats.md', first: ':::MLLOG {"namespace": "", "time_ms": 1652220090000, "event_type": "POINT_IN_TIME", "key": "result", "value": {"accuracy": 0.887, "loss": 0.27, "history": {"loss": [0.52, 0.34], "accuracy": [0.71, 0.83]}}, "metadata": {"file": "app.py", "lineno": 200}}', how: { kind: 'example', reason: 'MLLOG sample; test/results/mllog.test.ts' } },
  { file: 'docs/formats.md', first: 'TZ=UTC nvidia-smi --query-gpu=timestamp,index,power.draw,power.draw.instant,utilization.gpu,memory.used \\', how: { kind: 'example', reason: 'what eegen-run.sh runs where nvidia-smi exists (no GPU here); test/runtime/gpu.test.ts' } },
  { file: 'docs/formats.md', first: '{"ts":"2026-11-25T15:00:00Z","host":"node1",', how: { kind: 'example', reason: 'fingerprint sample; test/results/fingerprint.test.ts' } },
  { file: 'docs/formats.md', first: '{"accuracy": 0.887, "loss": 0.271, "history": [{"epoch": 1, "loss": 0.52}, {"epoch": 2, "loss": 0.34}]}', how: { kind: 'example', reason: 'result.json sample; test/results/result-json.test.ts' } },
];

/** README.md and the docs: every fenced block of these files must be in BLOCKS. */
const README_FILES = ['README.md', ...readdirSync(path.join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).sort().map((f) => `docs/${f}`)];

function blocksOf(file: string): Block[] {
  return fencedBlocks(readFileSync(path.join(ROOT, file), 'utf8'));
}

function entryFor(file: string, b: Block) {
  const first = b.text.split('\n')[0]!;
  return BLOCKS.find((e) => e.file === file && e.first === first);
}

/** `npx eegen` and `eegen` at the start of a command are this checkout's CLI. */
const PRELUDE = `eegen() { ${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)} "$@"; }\nnpx() { if [ "$1" = eegen ]; then shift; eegen "$@"; else command npx "$@"; fi; }\n`;

/** A scratch folder with the repository's fixtures in it (read-only use). */
function scratch(): string {
  const dir = tmpDir('eegen-readme-');
  symlinkSync(path.join(ROOT, 'fixtures'), path.join(dir, 'fixtures'));
  return dir;
}

function bash(script: string, cwd: string, timeout = 60_000) {
  const r = spawnSync('bash', ['-c', script], { cwd, encoding: 'utf8', timeout, input: '' });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

function bundleCount(out: string): number {
  return (JSON.parse(readFileSync(path.join(out, 'index.json'), 'utf8')) as { bundles: unknown[] }).bundles.length;
}

describe('every fenced block of the README is executed', () => {
  for (const file of README_FILES) {
    it(`${file}: every block has an entry in BLOCKS, every entry a block`, () => {
      const unmapped = blocksOf(file)
        .filter((b) => !entryFor(file, b))
        .map((b) => `${file}:${b.line}: a \`\`\`${b.lang} block starting ${JSON.stringify(b.text.split('\n')[0])} is executed by nobody: add { file: '${file}', first: <that line>, how: {...} } to BLOCKS in test/readme/readme.real.test.ts (kinds: run, build, errors, hosts, dispatch, equals-file)`);
      expect(unmapped, unmapped.join('\n')).toEqual([]);
      const firsts = new Set(blocksOf(file).map((b) => b.text.split('\n')[0]));
      const stale = BLOCKS.filter((e) => e.file === file && !firsts.has(e.first)).map((e) => `BLOCKS entry ${JSON.stringify(e.first)} matches no block of ${file}: update or remove it`);
      expect(stale, stale.join('\n')).toEqual([]);
    });
  }

  for (const file of README_FILES) {
    for (const b of blocksOf(file)) {
      const entry = entryFor(file, b);
      if (!entry) continue;
      const how = entry.how;
      const name = `${file}:${b.line} (${how.kind}) ${b.text.split('\n')[0]!.slice(0, 60)}`;
      switch (how.kind) {
        case 'top-commands':
          topCommands(name, b);
          break;
        case 'run':
          it(name, () => {
            const dir = scratch();
            const r = bash(PRELUDE + b.text, dir);
            expect(r.code, r.out).toBe(0);
            if (how.bundles !== undefined) expect(bundleCount(path.join(dir, 'out'))).toBe(how.bundles);
          });
          break;
        case 'equals-file':
          it(name, () => {
            const shown = parseYaml('README', b.text).loaded?.data;
            const real = parseYaml(how.file, readFileSync(path.join(ROOT, how.file), 'utf8')).loaded?.data;
            expect(shown).toBeDefined();
            expect(shown, `the README shows ${how.file} as it is`).toEqual(real);
          });
          break;
        case 'build':
          it(name, () => {
            const dir = tmpDir('eegen-readme-');
            cpSync(path.join(ROOT, how.dir), dir, { recursive: true });
            writeFileSync(path.join(dir, 'config.yaml'), b.text);
            const r = spawnSync(process.execPath, [BIN, 'build', 'config.yaml', '--out', 'out'], { cwd: dir, encoding: 'utf8' });
            expect(r.status, `${r.stdout}${r.stderr}`).toBe(0);
            expect(r.stderr).toBe('');
            expect(bundleCount(path.join(dir, 'out'))).toBe(how.bundles);
            // The prose beside the block states the same count.
            const after = readFileSync(path.join(ROOT, file), 'utf8').split('\n').slice(b.line + b.text.split('\n').length, b.line + b.text.split('\n').length + 4).join(' ');
            expect(after, 'the sentence after the block says how many bundles it builds').toContain(`builds ${how.bundles} bundles`);
          });
          break;
        case 'errors':
          it(name, () => {
            const r = spawnSync(process.execPath, [BIN, ...how.args], { cwd: ROOT, encoding: 'utf8' });
            expect(r.status).toBe(1);
            // One whole diagnostic of the real output (they are separated by blank lines).
            const shown = r.stderr.split(/\n\n/).map((d) => `${d.trim()}\n`);
            expect(shown, 'the README shows one real message as printed').toContain(b.text.replace(/^\n+/, ''));
          });
          break;
        case 'hosts':
          it(name, async () => {
            const dir = tmpDir('eegen-readme-');
            writeFileSync(path.join(dir, 'hosts.yaml'), b.text);
            const { inventory, diagnostics } = await loadInventory(path.join(dir, 'hosts.yaml'));
            expect(diagnostics).toEqual([]);
            const names = Object.keys((parseYaml('hosts', b.text).loaded!.data as { hosts: object }).hosts);
            for (const n of names) expect(inventory!.hosts.has(n), n).toBe(true);
          });
          break;
        case 'dispatch':
          dispatch(name, b);
          break;
        case 'git-recipe':
          it(name, () => {
            const dir = tmpDir('eegen-readme-git-');
            cpSync(path.join(ROOT, 'fixtures/cloudmask'), path.join(dir, 'cloudmask'), { recursive: true });
            const setup = bash(`${PRELUDE}set -e; git init -q; git config user.email t@example.org; git config user.name t; eegen build cloudmask/config.yaml --template cloudmask/cloudmask.in.slurm --out out >/dev/null; git add -A; git commit -qm bundles`, dir);
            expect(setup.code, setup.out).toBe(0);
            const pass = bash(`${PRELUDE}set -e\n${b.text}`, dir);
            expect(pass.code, pass.out).toBe(0);
            // The recipe must be able to fail: the config changes, the bundles do not.
            const config = path.join(dir, 'cloudmask/config.yaml');
            writeFileSync(config, readFileSync(config, 'utf8').replace('"1,30,60"', '"1,30"'));
            expect(bash(`${PRELUDE}set -e\n${b.text}`, dir).code).not.toBe(0);
          });
          break;
        case 'workflow':
          it(name, () => {
            const data = parseYaml('workflow', b.text).loaded?.data as { jobs: Record<string, { steps: { run?: string }[] }> } | undefined;
            expect(data).toBeDefined();
            const recipe = blocksOf(file).find((x) => x.text.startsWith(`${how.recipe}\n`))!.text;
            const runs = Object.values(data!.jobs).flatMap((j) => j.steps.map((st) => st.run).filter((r): r is string => r !== undefined && r.startsWith('eegen ')));
            expect(runs.length).toBeGreaterThan(0);
            for (const r of runs) expect(recipe.split('\n'), r).toContain(r);
          });
          break;
        case 'events-line':
          it(name, () => {
            const dir = tmpDir('eegen-readme-');
            const events = path.join(dir, 'events.jsonl');
            const r = spawnSync('sh', ['-c', b.text], { env: { ...process.env, EEGEN_EVENTS: events }, encoding: 'utf8' });
            expect(r.status, r.stderr).toBe(0);
            const lines = readFileSync(events, 'utf8').trim().split('\n');
            expect(lines).toHaveLength(1);
            expect(JSON.parse(lines[0]!)).toMatchObject({ event: 'progress', progress: 50, ts: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/) });
          });
          break;
        case 'example':
          // Mapped on purpose and not run: the table says where the format is tested.
          break;
      }
    }
  }
});

/**
 * The README's two set-up commands. The first runs exactly as written, in a fresh copy of
 * this checkout (tracked and untracked, not ignored files) so `npm ci` leaves the working
 * tree alone. The second is the test command itself: it must be what CI runs, not rerun.
 */
function topCommands(name: string, b: Block): void {
  const commands = b.text.split('\n').filter((l) => l.trim() && !l.trim().startsWith('#'));
  it(`${name}: the block holds exactly the two commands`, () => {
    expect(commands).toEqual(['npm ci && npx eegen run fixtures/example/config.yaml --out out/example', 'bash scripts/test.sh']);
  });
  it(`${name}: the second command is the test command that CI runs`, () => {
    expect(existsSync(path.join(ROOT, 'scripts/test.sh'))).toBe(true);
    expect(readFileSync(path.join(ROOT, '.ci/run'), 'utf8')).toMatch(/^bash scripts\/test\.sh$/m);
    expect(readFileSync(path.join(ROOT, 'scripts/test.sh'), 'utf8')).toMatch(/npm (test|run test)/);
  });
  it(`${name}: the first command runs as written in a fresh copy and ends with 12 bundles done`, () => {
    const copy = tmpDir('eegen-readme-copy-');
    const files = spawnSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: ROOT, encoding: 'utf8' }).stdout.split('\0').filter(Boolean);
    for (const f of files) {
      if (!existsSync(path.join(ROOT, f))) continue; // deleted in the working tree
      mkdirSync(path.dirname(path.join(copy, f)), { recursive: true });
      cpSync(path.join(ROOT, f), path.join(copy, f));
    }
    const r = bash(commands[0]!, copy, 600_000);
    expect(r.code, r.out.slice(-4000)).toBe(0);
    expect(bundleCount(path.join(copy, 'out/example'))).toBe(12);
    expect(r.out).toMatch(/12 bundles/);
    const dirs = readdirSync(path.join(copy, 'out/example')).filter((d) => existsSync(path.join(copy, 'out/example', d, 'eegen-run/events.jsonl')));
    expect(dirs).toHaveLength(12);
    expect(readFileSync(path.join(copy, 'out/example/results.csv'), 'utf8').split('\n').filter((l) => /,done,/.test(l))).toHaveLength(12);
  }, 620_000);
}

/**
 * The dispatch block: `cluster` is the local Slurm, box1/box2 (and box) the loopback sshd.
 * Optional parts written `[--json]` are left out, and `submit` gets --dry-run (a real
 * submit of the README's commands is what test/dispatch does): each line must run and exit 0.
 */
function dispatch(name: string, b: Block): void {
  it.skipIf(skipWithout('ssh', 'slurm', 'rsync'))(name, () => {
    const { ssh } = testEnv();
    const dir = scratch();
    const work = tmpDir('eegen-readme-work-');
    writeFileSync(
      path.join(dir, 'hosts.yaml'),
      `hosts:
  cluster: {kind: slurm, workdir: ${work}/cluster}
  box: {kind: ssh, hostname: ${ssh!.host}, ssh_config: ${ssh!.config}, workdir: ${work}/box}
  box1: {kind: ssh, hostname: ${ssh!.host}, ssh_config: ${ssh!.config}, workdir: ${work}/box1}
  box2: {kind: ssh, hostname: ${ssh!.host}, ssh_config: ${ssh!.config}, workdir: ${work}/box2}
`,
    );
    const built = bash(`${PRELUDE}eegen build fixtures/cloudmask/config.yaml --template fixtures/cloudmask/cloudmask.in.slurm --out out`, dir);
    expect(built.code, built.out).toBe(0);
    const lines = b.text
      .split('\n')
      .map((l) => l.replace(/\s+#.*$/, '').replace(/\s*\[[^\]]*\]/g, '').trim())
      .filter(Boolean);
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) {
      const cmd = line.replace(/^eegen submit /, 'eegen submit --dry-run ');
      const r = bash(PRELUDE + cmd, dir, 120_000);
      expect(r.code, `${cmd}\n${r.out}`).toBe(0);
      expect(r.out).not.toMatch(/EG9\d{3}|at .*\.js:\d+/);
    }
  }, 300_000);
}
