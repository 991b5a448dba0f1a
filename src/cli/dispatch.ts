/** The dispatcher commands: submit, status, cancel, collect, and run (all of them in a row). */
import type { Command as Program } from 'commander';
import { formatDiagnostics, type Diagnostic, SourceSet, hasErrors } from '../diagnostics/index.js';
import type { BundleStatus, HostEntry, Inventory, RetryWhat } from '../dispatch/index.js';
import { FINAL_STATES } from '../dispatch/types.js';
import { Exit } from './exit.js';
import { formatPending, formatStatus, formatSubmit, formatTable, stateCounts } from './format-dispatch.js';
import { quoteLiteral } from '../shell/quote.js';

/**
 * The dispatcher (and zx, which it runs commands with) is loaded when a dispatch command
 * runs, not for every eegen command: `eegen build` starts ~90 ms sooner.
 */
let dispatchModules: Promise<typeof import('../dispatch/index.js') & typeof import('../dispatch/process.js')> | undefined;
const dispatch = () => (dispatchModules ??= Promise.all([import('../dispatch/index.js'), import('../dispatch/process.js')]).then(([a, b]) => ({ ...a, ...b })));


interface HostFlags {
  host?: string[];
  hosts?: string;
  only?: string[];
  json?: boolean;
}

const collectList = (value: string, previous: string[] = []): string[] => [...previous, ...value.split(',').filter(Boolean)];

function fail(diagnostics: Diagnostic[], sources?: SourceSet): never {
  process.stderr.write(`${formatDiagnostics(diagnostics, sources)}\n`);
  throw new Exit(1);
}

async function inventoryFor(out: string, flags: HostFlags): Promise<{ inv: Inventory; named: HostEntry[] }> {
  const d = await dispatch();
  const sources = new SourceSet();
  const file = d.findHostsFile(flags.hosts, out);
  const { inventory, diagnostics } = await d.loadInventory(file, sources);
  if (!inventory || hasErrors(diagnostics)) fail(diagnostics, sources);
  const { hosts, diagnostics: pick } = d.pickHosts(inventory, flags.host ?? []);
  if (pick.length) fail(pick, sources);
  return { inv: inventory, named: hosts };
}

function printJson(v: unknown): void {
  process.stdout.write(`${JSON.stringify(v, null, 2)}\n`);
}

function statusJson(bundles: BundleStatus[]): unknown {
  return bundles.map((b) => ({ ...b, id: b.id, host: b.host ?? null, state: b.state, jobId: b.jobId ?? null, exitCode: b.exitCode ?? null }));
}

async function watchStatus(out: string, hosts: HostEntry[], flags: HostFlags & { interval?: string }, until: (b: BundleStatus[]) => boolean): Promise<BundleStatus[]> {
  const d = await dispatch();
  const interval = Math.max(0.2, Number(flags.interval ?? 2)) * 1000;
  const tty = process.stdout.isTTY === true && !flags.json;
  let last = '';
  for (;;) {
    const r = await d.status({ out, hosts, ...(flags.only ? { only: flags.only } : {}) });
    const text = formatStatus(r.bundles, r.hostErrors);
    if (tty) process.stdout.write(`\x1b[H\x1b[2J${text}\n`);
    else if (!flags.json && stateCounts(r.bundles) !== last) process.stdout.write(`${new Date().toISOString().slice(11, 19)} ${stateCounts(r.bundles)}\n`);
    last = stateCounts(r.bundles);
    if (until(r.bundles)) return r.bundles;
    await new Promise((res) => setTimeout(res, interval));
  }
}

/** The command that collects again with the same selection (shell-quoted). */
function collectAgain(out: string, flags: HostFlags & { exclude?: string[] }): string {
  const words = ['eegen', 'collect', out];
  if (flags.host?.length) words.push('--host', flags.host.join(','));
  if (flags.hosts) words.push('--hosts', flags.hosts);
  for (const o of flags.only ?? []) words.push('--only', o);
  for (const e of flags.exclude ?? []) words.push('--exclude', e);
  return words.map(quoteLiteral).join(' ');
}

const allFinal = (bs: BundleStatus[]): boolean => bs.every((b) => FINAL_STATES.has(b.state) || b.state === 'built' || b.state === 'synced');

export function addDispatchCommands(cmd: Program): void {
  const hostOptions = (c: Program): Program =>
    c
      .option('--host <name>', 'host from the inventory (repeatable, or comma-separated)', collectList)
      .option('--hosts <file>', 'host inventory (default: hosts.yaml in the working directory or beside OUT)')
      .option('--only <pattern>', 'only bundles whose id matches (globs; repeatable)', collectList)
      .option('--json', 'machine-readable output');

  hostOptions(cmd.command('submit').description('Copy bundles to hosts and submit them (sbatch, bsub, or detached background processes).').argument('<out>', 'output directory of eegen build'))
    .option('--array', 'submit as job arrays on slurm/lsf hosts')
    .option('--retry <what>', 'run bundles again whose run ended: "failed" (failed, killed, cancelled, timeout, oom, lost), "changed" (rebuilt since submitted), "all" (a second series); comma-separated; earlier runs are kept')
    .option('-n, --dry-run', 'print the exact commands; run nothing')
    .addHelpText('after', '\nExamples:\n  eegen submit out --host local\n  eegen submit out --host cluster --array\n  eegen submit out --host box1,box2    # split the sweep between two hosts\n  eegen submit out --host cluster --retry failed\n  eegen submit out --host cluster --retry changed   # after a rebuild\n  eegen submit out --host cluster --retry all       # a second series; results-all.csv keeps both')
    .action(async (out: string, flags: HostFlags & { array?: boolean; retry?: string; dryRun?: boolean }) => {
      const d = await dispatch();
      const { inv, named } = await inventoryFor(out, flags);
      const retry = (flags.retry ?? '').split(',').map((w) => w.trim()).filter(Boolean);
      const unknown = retry.filter((w) => !(d.RETRY_WHAT as readonly string[]).includes(w));
      if (flags.retry !== undefined && (unknown.length || !retry.length)) fail([{ code: 'EG9002', severity: 'error', message: `--retry ${flags.retry} is not supported.`, hint: `Use --retry with ${d.RETRY_WHAT.join(', ')} (comma-separated).` }]);
      const hosts = named.length ? named : [inv.hosts.get('local')!];
      const runner = flags.dryRun ? new d.DryRunner() : undefined;
      const r = await d.submit({ out, hosts, alsoAsk: [...inv.hosts.values()], ...(flags.only ? { only: flags.only } : {}), retry: retry as RetryWhat[], array: flags.array ?? false, ...(runner ? { runner, dryRun: true } : {}) });
      if (runner) {
        process.stdout.write(`${runner.commands.map((c) => `# ${c.purpose}\n${d.commandLine(c)}`).join('\n\n')}\n`);
        throw new Exit(0);
      }
      if (flags.json) printJson(r);
      else process.stdout.write(`${formatSubmit(r)}\n`);
      throw new Exit(r.hosts.every((h) => h.ok && h.failed.length === 0) ? 0 : 1);
    });

  hostOptions(cmd.command('status').description('Show the state of every bundle: one round trip per host, no daemon.').argument('<out>', 'output directory of eegen build'))
    .option('-w, --watch', 'refresh until every submitted bundle has finished')
    .option('--interval <seconds>', 'refresh interval for --watch', '2')
    .addHelpText('after', '\nExamples:\n  eegen status out\n  eegen status out --json | jq \'.[] | select(.state == "failed")\'\n  eegen status out --watch')
    .action(async (out: string, flags: HostFlags & { watch?: boolean; interval?: string }) => {
      const d = await dispatch();
      const { inv, named } = await inventoryFor(out, flags);
      const hosts = await d.hostsToAsk(out, inv, named);
      if (flags.watch) {
        const bundles = await watchStatus(out, hosts, flags, allFinal);
        if (flags.json) printJson(statusJson(bundles));
        else if (!process.stdout.isTTY) process.stdout.write(`${formatStatus(bundles, [])}\n`);
        throw new Exit(0);
      }
      const r = await d.status({ out, hosts, ...(flags.only ? { only: flags.only } : {}) });
      if (flags.json) printJson(statusJson(r.bundles));
      else process.stdout.write(`${formatStatus(r.bundles, r.hostErrors)}\n`);
      for (const e of r.hostErrors) process.stderr.write(`warning: ${e.host}: ${e.error}\n`);
      throw new Exit(0);
    });

  hostOptions(cmd.command('cancel').description('Cancel submitted, queued or running bundles (scancel, bkill, or a signal).').argument('<out>', 'output directory of eegen build'))
    .addHelpText('after', '\nExamples:\n  eegen cancel out\n  eegen cancel out --only "epoch-60_*"')
    .action(async (out: string, flags: HostFlags) => {
      const d = await dispatch();
      const { inv, named } = await inventoryFor(out, flags);
      const r = await d.cancel({ out, hosts: await d.hostsToAsk(out, inv, named), ...(flags.only ? { only: flags.only } : {}) });
      if (flags.json) printJson(r);
      else process.stdout.write(`Cancelled ${r.cancelled.length} bundle${r.cancelled.length === 1 ? '' : 's'}.${r.failed.map((f) => `\n  ${f.id} on ${f.host}: ${f.error}`).join('')}\n`);
      for (const e of r.hostErrors) process.stderr.write(`warning: ${e.host}: ${e.error}\n`);
      throw new Exit(r.failed.length || r.hostErrors.length ? 1 : 0);
    });

  hostOptions(cmd.command('collect').description('Bring results back and merge them into OUT/results.csv and OUT/results.jsonl.').argument('<out>', 'output directory of eegen build'))
    .option('--exclude <pattern>', 'rsync pattern of files not to bring back (repeatable)', (v: string, p: string[] = []) => [...p, v])
    .addHelpText('after', '\nExit code 3: results written, but some bundles are still queued or running (collect again later).\n\nExamples:\n  eegen collect out\n  eegen collect out --exclude "*.ckpt" --exclude "checkpoints/"')
    .action(async (out: string, flags: HostFlags & { exclude?: string[] }) => {
      const d = await dispatch();
      const { inv, named } = await inventoryFor(out, flags);
      const r = await d.collect({ out, hosts: await d.hostsToAsk(out, inv, named), ...(flags.only ? { only: flags.only } : {}), ...(flags.exclude ? { exclude: flags.exclude } : {}) });
      const again = collectAgain(out, flags);
      if (flags.json) printJson({ ...r, ...(r.pending.ids.length ? { again } : {}) });
      else process.stdout.write(`${formatTable(r.rows, r.paramColumns)}\nWrote ${r.files.csv} and ${r.files.jsonl} (${r.rows.length} rows)${r.allRows.length > r.rows.filter((x) => x.jobId).length ? `; every run, earlier ones included: ${r.files.allCsv} (${r.allRows.length} rows)` : ''}.\n${formatPending(r.pending, out, again)}`);
      for (const c of r.conflicts) process.stderr.write(`warning: ${c.id} finished on ${c.kept} and on ${c.other} with different results; kept ${c.kept}\n`);
      for (const p of r.problems) process.stderr.write(`warning: ${p}\n`);
      for (const e of r.hostErrors) process.stderr.write(`warning: ${e.host}: ${e.error}\n`);
      // 3: collected what there is, but bundles are still queued or running (collect again).
      throw new Exit(r.hostErrors.length ? 1 : r.pending.ids.length ? 3 : 0);
    });

  cmd
    .command('run')
    .description('Build, submit, watch until done, collect, and print the merged table.')
    .argument('<config>', 'experiment config (YAML)')
    .option('-t, --template <file>', 'template file')
    .option('-o, --out <dir>', 'output directory', 'out')
    .option('--host <name>', 'host from the inventory (repeatable, or comma-separated)', collectList)
    .option('--hosts <file>', 'host inventory')
    .option('--interval <seconds>', 'status refresh interval', '1')
    .addHelpText('after', '\nExamples:\n  eegen run fixtures/example/config.yaml --out out/example\n  eegen run config.yaml --host cluster')
    .action(async (config: string, flags: { template?: string; out: string; host?: string[]; hosts?: string; interval?: string }) => {
      const d = await dispatch();
      const { build } = await import('../build.js');
      const built = await build({ config, out: flags.out, ...(flags.template ? { template: flags.template } : {}) });
      if (!built.plan || !built.ok) fail(built.diagnostics, built.sources);
      process.stdout.write(`Built ${built.plan.bundles.length} bundles in ${flags.out}.\n`);
      const { inv, named } = await inventoryFor(flags.out, { ...flags });
      const hosts = named.length ? named : [inv.hosts.get('local')!];
      const sub = await d.submit({ out: flags.out, hosts, alsoAsk: [...inv.hosts.values()] });
      process.stdout.write(`${formatSubmit(sub)}\n`);
      if (!sub.hosts.every((h) => h.ok)) throw new Exit(1);
      await watchStatus(flags.out, hosts, { interval: flags.interval ?? '1' }, allFinal);
      const r = await d.collect({ out: flags.out, hosts });
      process.stdout.write(`\n${formatTable(r.rows, r.paramColumns)}\nWrote ${r.files.csv} and ${r.files.jsonl}.\n`);
      throw new Exit(r.rows.every((row) => row.state === 'done') ? 0 : 1);
    });
}
