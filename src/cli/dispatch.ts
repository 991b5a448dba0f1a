/**
 * The dispatcher commands: submit, status, cancel, collect, and run (all of them in a row).
 * Only parsing and printing: every step is a library call (src/dispatch), `--watch` is
 * `watch()`, `run` is `runSweep()`. Ctrl-C aborts the call (AbortSignal): what is on the
 * hosts and in OUT is then what kill -9 would leave, and the exit code is 130.
 */
import type { Command as Program } from 'commander';
import { formatDiagnostics, type Diagnostic, SourceSet, hasErrors } from '../diagnostics/index.js';
import type { BundleStatus, EegenEvent, HostEntry, HostError, Inventory, RetryWhat } from '../dispatch/index.js';
import { colorFor } from './color.js';
import { Exit } from './exit.js';
import { formatLogs, formatPending, formatStatus, formatSubmit, formatSubmitHost, formatTable, formatWatch, stateCounts } from './format-dispatch.js';
import { quoteLiteral } from '../shell/quote.js';

/**
 * The dispatcher (and zx, which it runs commands with, on its first command) is loaded
 * when a dispatch command runs, not for every eegen command: `eegen build` starts ~90 ms sooner.
 */
let dispatchModule: Promise<typeof import('../dispatch/index.js')> | undefined;
const dispatch = () => (dispatchModule ??= import('../dispatch/index.js'));

/** Text for stdout, unless --quiet (JSON output is not text: it always goes out). */
function say(flags: { quiet?: boolean }, text: string): void {
  if (!flags.quiet) process.stdout.write(text);
}

/** --verbose: the runner that prints each command (as --dry-run shows it) before running it. */
async function runnerFor(flags: { verbose?: boolean }): Promise<{ runner?: import('../dispatch/process.js').Runner }> {
  if (!flags.verbose) return {};
  const d = await dispatch();
  return {
    runner: {
      run: (c, o) => {
        process.stderr.write(`# ${c.purpose}\n${d.commandLine(c)}\n`);
        return d.realRunner.run(c, o);
      },
    },
  };
}

interface HostFlags {
  quiet?: boolean;
  verbose?: boolean;
  host?: string[];
  hosts?: string;
  only?: string[];
  json?: boolean;
}

const collectList = (value: string, previous: string[] = []): string[] => [...previous, ...value.split(',').filter(Boolean)];

/**
 * `--only a,b` is two patterns, `--only 'lr-{0.01,0.1}_*'` one: split at the commas that
 * are outside braces, brackets and parentheses (a backslash escapes the next character).
 */
export function splitPatterns(value: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (c === '\\') i++;
    else if (c === '{' || c === '[' || c === '(') depth++;
    else if ((c === '}' || c === ']' || c === ')') && depth > 0) depth--;
    else if (c === ',' && depth === 0) {
      out.push(value.slice(start, i));
      start = i + 1;
    }
  }
  out.push(value.slice(start));
  return out.filter(Boolean);
}
const collectPatterns = (value: string, previous: string[] = []): string[] => [...previous, ...splitPatterns(value)];

function fail(diagnostics: Diagnostic[], sources?: SourceSet): never {
  process.stderr.write(`${formatDiagnostics(diagnostics, sources, { color: colorFor(process.stderr) })}\n`);
  throw new Exit(1);
}

async function inventoryFor(out: string, flags: HostFlags): Promise<{ inv: Inventory; named: HostEntry[] }> {
  const d = await dispatch();
  const sources = new SourceSet();
  const file = d.findHostsFile(flags.hosts, out, process.cwd());
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

function warnHosts(errors: readonly HostError[]): void {
  for (const e of errors) process.stderr.write(`warning: ${e.host}: ${e.error}${e.diagnostic.code ? ` [${e.diagnostic.code}]` : ''}\n`);
}

/** States `status --exit-code` fails on: the run ended, and not well (cancelled is asked for: not a failure). */
const BAD = new Set(['failed', 'killed', 'timeout', 'oom', 'lost']);
const anyBad = (bs: readonly BundleStatus[]): boolean => bs.some((b) => BAD.has(b.state));

/** An AbortSignal that Ctrl-C (SIGINT) or SIGTERM aborts, for the length of one command. */
function interruptSignal(): { signal: AbortSignal; done: () => void } {
  const ac = new AbortController();
  const onSignal = (): void => ac.abort(new Error('interrupted'));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  return { signal: ac.signal, done: () => (process.off('SIGINT', onSignal), process.off('SIGTERM', onSignal)) };
}

/** Run a command's body with an interrupt signal; an abort ends with exit code 130. */
async function interruptible(body: (signal: AbortSignal) => Promise<never>): Promise<never> {
  const d = await dispatch();
  const { signal, done } = interruptSignal();
  try {
    return await body(signal);
  } catch (e) {
    if (d.isAbortError(e)) {
      process.stderr.write('eegen: interrupted; what was submitted stays submitted (eegen status shows it).\n');
      throw new Exit(130);
    }
    throw e;
  } finally {
    done();
  }
}

/**
 * One poll of a watch, shown: on a terminal the screen is redrawn (fitted to its size),
 * elsewhere a line is printed when the counts change. Nothing with --json.
 */
function watchPrinter(flags: { json?: boolean; quiet?: boolean }): (bundles: BundleStatus[], hostErrors: HostError[]) => void {
  let last = '';
  return (bundles, hostErrors) => {
    if (flags.json) return;
    const counts = stateCounts(bundles);
    if (process.stdout.isTTY) say(flags, `\x1b[H\x1b[2J${formatWatch(bundles, hostErrors, process.stdout.rows ?? 24, process.stdout.columns ?? 80)}\n`);
    else if (counts !== last) say(flags, `${new Date().toISOString().slice(11, 19)} ${counts}\n`);
    last = counts;
  };
}

/** `status --watch`: every poll shown (watchPrinter) until all have finished. */
async function watchStatus(out: string, hosts: HostEntry[], flags: HostFlags & { interval?: string }, signal: AbortSignal): Promise<BundleStatus[]> {
  const d = await dispatch();
  const show = watchPrinter(flags);
  let bundles: BundleStatus[] = [];
  for await (const u of d.watch({ out, hosts, ...(flags.only ? { only: flags.only } : {}), ...(await runnerFor(flags)), intervalMs: Math.max(0.2, Number(flags.interval ?? 2)) * 1000, signal })) {
    bundles = u.bundles;
    show(u.bundles, u.hostErrors);
  }
  if (signal.aborted) throw new d.AbortError();
  return bundles;
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

export function addDispatchCommands(cmd: Program): void {
  const hostOptions = (c: Program): Program =>
    c
      .option('--host <name>', 'host from the inventory (repeatable, or comma-separated)', collectList)
      .option('--hosts <file>', 'host inventory (default: hosts.yaml in the working directory, else beside OUT)')
      .option('--only <pattern>', 'only bundles whose id matches (globs; repeatable, or comma-separated)', collectPatterns)
      .option('--json', 'machine-readable output')
      .option('-q, --quiet', 'print errors and warnings only (no tables or summaries)')
      .option('-v, --verbose', 'print each command run on a host (ssh, rsync, sbatch, ...) to stderr before it runs');

  hostOptions(cmd.command('submit').description('Copy bundles to hosts and submit them (sbatch, bsub, or detached background processes).').argument('<out>', 'output directory of eegen build'))
    .option('--array', 'submit as job arrays on slurm/lsf hosts')
    .option('--retry <what>', 'run bundles again whose run ended: "failed" (failed, killed, cancelled, timeout, oom, lost), "changed" (rebuilt since submitted), "all" (a second series); comma-separated; earlier runs are kept')
    .option('-n, --dry-run', 'print the exact commands; run nothing')
    .addHelpText('after', '\nCtrl-C stops it safely: each bundle is then submitted once or not at all; submit again for the rest.\n\nExamples:\n  eegen submit out --host local\n  eegen submit out --host cluster --array\n  eegen submit out --host box1,box2    # split the sweep between two hosts\n  eegen submit out --host cluster --retry failed\n  eegen submit out --host cluster --retry changed   # after a rebuild\n  eegen submit out --host cluster --retry all       # a second series; results-all.csv keeps both')
    .action(async (out: string, flags: HostFlags & { array?: boolean; retry?: string; dryRun?: boolean }) => {
      const d = await dispatch();
      const { inv, named } = await inventoryFor(out, flags);
      const retry = (flags.retry ?? '').split(',').map((w) => w.trim()).filter(Boolean);
      const unknown = retry.filter((w) => !(d.RETRY_WHAT as readonly string[]).includes(w));
      if (flags.retry !== undefined && (unknown.length || !retry.length)) fail([{ code: 'EG9002', severity: 'error', message: `--retry ${flags.retry} is not supported.`, hint: `Use --retry with ${d.RETRY_WHAT.join(', ')} (comma-separated).` }]);
      const hosts = named.length ? named : [inv.hosts.get('local')!];
      const runner = flags.dryRun ? new d.DryRunner() : undefined;
      await interruptible(async (signal) => {
        const r = await d.submit({ out, hosts, alsoAsk: [...inv.hosts.values()], ...(flags.only ? { only: flags.only } : {}), retry: retry as RetryWhat[], array: flags.array ?? false, signal, ...(runner ? { runner, dryRun: true } : await runnerFor(flags)) });
        if (runner) {
          process.stdout.write(`${runner.commands.map((c) => `# ${c.purpose}\n${d.commandLine(c)}`).join('\n\n')}\n`);
          throw new Exit(0);
        }
        if (flags.json) printJson(r);
        else say(flags, `${formatSubmit(r)}\n`);
        throw new Exit(r.hosts.every((h) => h.ok && h.failed.length === 0) ? 0 : 1);
      });
    });

  hostOptions(cmd.command('status').description('Show the state of every bundle: one round trip per host that was submitted to, no daemon.').argument('<out>', 'output directory of eegen build'))
    .option('-w, --watch', 'refresh until every submitted bundle has finished')
    .option('--interval <seconds>', 'refresh interval for --watch', '2')
    .option('--exit-code', 'exit 1 when a bundle failed, was killed, timed out, ran out of memory or was lost (with --watch: once all have finished); 0 otherwise')
    .addHelpText(
      'after',
      '\nWithout --host, the hosts asked are those the submits of OUT sent anything to (its ledger); with nothing submitted, none.\nFor runs that did not succeed, the log files are listed: where they are on the host, and where eegen collect puts them.\n--watch on a terminal redraws in place; when the table is taller than the terminal it shows a summary and the bundles not done yet.\n\nExamples:\n  eegen status out\n  eegen status out --json | jq \'.[] | select(.state == "failed")\'\n  eegen status out --watch\n  eegen status out --watch --exit-code && echo "all good"',
    )
    .action(async (out: string, flags: HostFlags & { watch?: boolean; interval?: string; exitCode?: boolean }) => {
      const d = await dispatch();
      const { inv, named } = await inventoryFor(out, flags);
      const hosts = await d.hostsToAsk(out, inv, named);
      await interruptible(async (signal) => {
        if (flags.watch) {
          const bundles = await watchStatus(out, hosts, flags, signal);
          if (flags.json) printJson(statusJson(bundles));
          else if (!process.stdout.isTTY) say(flags, `${formatStatus(bundles, [])}\n`);
          throw new Exit(flags.exitCode && anyBad(bundles) ? 1 : 0);
        }
        const r = await d.status({ out, hosts, ...(flags.only ? { only: flags.only } : {}), signal, ...(await runnerFor(flags)) });
        if (flags.json) printJson(statusJson(r.bundles));
        else say(flags, `${formatStatus(r.bundles, r.hostErrors)}\n`);
        warnHosts(r.hostErrors);
        throw new Exit(flags.exitCode && anyBad(r.bundles) ? 1 : 0);
      });
    });

  hostOptions(cmd.command('cancel').description('Cancel submitted, queued or running bundles (scancel, bkill, or a signal).').argument('<out>', 'output directory of eegen build'))
    .addHelpText('after', '\nExamples:\n  eegen cancel out\n  eegen cancel out --only "epoch-60_*"')
    .action(async (out: string, flags: HostFlags) => {
      const d = await dispatch();
      const { inv, named } = await inventoryFor(out, flags);
      await interruptible(async (signal) => {
        const r = await d.cancel({ out, hosts: await d.hostsToAsk(out, inv, named), ...(flags.only ? { only: flags.only } : {}), signal, ...(await runnerFor(flags)) });
        if (flags.json) printJson(r);
        else say(flags, `Cancelled ${r.cancelled.length} bundle${r.cancelled.length === 1 ? '' : 's'}.${r.failed.map((f) => `\n  ${f.id} on ${f.host}: ${f.error}`).join('')}\n`);
        warnHosts(r.hostErrors);
        throw new Exit(r.failed.length || r.hostErrors.length ? 1 : 0);
      });
    });

  hostOptions(cmd.command('collect').description('Bring results back and merge them into OUT/results.csv and OUT/results.jsonl.').argument('<out>', 'output directory of eegen build'))
    .option('--exclude <pattern>', 'rsync pattern of files not to bring back (repeatable)', (v: string, p: string[] = []) => [...p, v])
    .addHelpText('after', '\nExit code 3: results written, but some bundles are still queued or running (collect again later).\nFor runs that did not succeed, the log files are listed: on the host, and where collect put them in OUT.\nCtrl-C stops it safely: the results files are then the ones from before.\n\nExamples:\n  eegen collect out\n  eegen collect out --exclude "*.ckpt" --exclude "checkpoints/"')
    .action(async (out: string, flags: HostFlags & { exclude?: string[] }) => {
      const d = await dispatch();
      const { inv, named } = await inventoryFor(out, flags);
      await interruptible(async (signal) => {
        const r = await d.collect({ out, hosts: await d.hostsToAsk(out, inv, named), ...(flags.only ? { only: flags.only } : {}), ...(flags.exclude ? { exclude: flags.exclude } : {}), signal, ...(await runnerFor(flags)) });
        const again = collectAgain(out, flags);
        if (flags.json) printJson({ ...r, ...(r.pending.ids.length ? { again } : {}) });
        else {
          const logs = formatLogs(r.logs);
          say(flags, `${formatTable(r.rows, r.paramColumns)}\nWrote ${r.files.csv} and ${r.files.jsonl} (${r.rows.length} rows)${r.allRows.length > r.rows.filter((x) => x.jobId).length ? `; every run, earlier ones included: ${r.files.allCsv} (${r.allRows.length} rows)` : ''}.\n${logs ? `${logs}\n` : ''}${formatPending(r.pending, out, again)}`);
        }
        for (const c of r.conflicts) process.stderr.write(`warning: ${c.id} finished on ${c.kept} and on ${c.other} with different results; kept ${c.kept}\n`);
        for (const p of r.problems) process.stderr.write(`warning: ${p}\n`);
        warnHosts(r.hostErrors);
        // 3: collected what there is, but bundles are still queued or running (collect again).
        throw new Exit(r.hostErrors.length ? 1 : r.pending.ids.length ? 3 : 0);
      });
    });

  cmd
    .command('run')
    .description('Build, submit, watch until done, collect, and print the merged table.')
    .argument('<config>', 'experiment config (YAML)')
    .option('-t, --template <file>', 'template file')
    .option('-o, --out <dir>', 'output directory', 'out')
    .option('--host <name>', 'host from the inventory (repeatable, or comma-separated)', collectList)
    .option('--hosts <file>', 'host inventory (default: hosts.yaml in the working directory, else beside the config)')
    .option('--interval <seconds>', 'status refresh interval', '1')
    .option('-q, --quiet', 'print errors and warnings only (no progress, tables or summaries)')
    .option('-v, --verbose', 'print each command run on a host (ssh, rsync, sbatch, ...) to stderr before it runs')
    .option('--json', 'print one JSON document at the end instead of text: {ok, stoppedAt, build, submit, status, collect} (no progress on stdout)')
    .addHelpText('after', '\nExit code 0 when every bundle is done; 1 otherwise (a build error, a host that failed, a run that did not succeed); 130 on Ctrl-C (submitted jobs go on: eegen status / collect later).\n\nExamples:\n  eegen run fixtures/example/config.yaml --out out/example\n  eegen run config.yaml --host cluster\n  eegen run config.yaml --json | jq .collect.rows')
    .action(async (config: string, flags: { template?: string; out: string; host?: string[]; hosts?: string; interval?: string; json?: boolean; quiet?: boolean; verbose?: boolean }) => {
      const d = await dispatch();
      // The inventory beside the config (as the build inside looks it up), not beside OUT.
      const { inv, named } = await inventoryFor(config, { ...flags });
      const hosts = named.length ? named : [inv.hosts.get('local')!];
      const text = !flags.json;
      let built = 0;
      let announced = false;
      const show = watchPrinter(flags);
      const onEvent = (e: EegenEvent): void => {
        if (e.type === 'compile' || e.type === 'write') built = Math.max(built, e.total);
        if (!text || e.type === 'compile' || e.type === 'write' || e.type === 'diagnostic') return;
        if (!announced) {
          announced = true;
          say(flags, `Built ${built} bundles in ${flags.out}.\n`);
        }
        if (e.type === 'submitted') say(flags, `${formatSubmitHost(e.report)}\n`);
        if (e.type === 'status') show(e.bundles, e.hostErrors);
      };
      await interruptible(async (signal) => {
        const r = await d.runSweep({ config, out: flags.out, ...(flags.template ? { template: flags.template } : {}), hosts, alsoAsk: [...inv.hosts.values()], intervalMs: Math.max(0.2, Number(flags.interval ?? 1)) * 1000, onEvent, signal, ...(await runnerFor(flags)), ...(flags.hosts ? { build: { hostsFile: flags.hosts } } : {}) });
        if (r.stoppedAt === 'build') {
          if (flags.json) {
            const { buildJson } = await import('./format.js');
            printJson({ ok: false, stoppedAt: 'build', build: buildJson(r.build) });
          }
          fail(r.build.diagnostics, r.build.sources);
        }
        if (flags.json) {
          const { buildJson } = await import('./format.js');
          printJson({ ok: r.ok, ...(r.stoppedAt ? { stoppedAt: r.stoppedAt } : {}), build: buildJson(r.build), submit: r.submit, status: r.final ? statusJson(r.final) : null, collect: r.collect ?? null });
          throw new Exit(r.ok ? 0 : 1);
        }
        if (r.stoppedAt === 'submit') throw new Exit(1);
        const c = r.collect!;
        const logs = formatLogs(c.logs);
        say(flags, `\n${formatTable(c.rows, c.paramColumns)}\nWrote ${c.files.csv} and ${c.files.jsonl}.\n${logs ? `${logs}\n` : ''}`);
        warnHosts(c.hostErrors);
        throw new Exit(r.ok ? 0 : 1);
      });
    });
}
