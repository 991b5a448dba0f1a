/**
 * `eegen workflow run|status|graph|cancel FILE`: parsing and printing only; each is a
 * call of the workflow library (src/workflow). Ctrl-C aborts the call: what runs on the
 * hosts goes on (the next `eegen workflow run` picks it up), exit 130.
 */
import type { Command } from 'commander';
import { formatDiagnostics, type Diagnostic, type SourceSet } from '../diagnostics/index.js';
import type { NodeStatus, WorkflowEvent, WorkflowSpec } from '../workflow/types.js';
import { colorFor } from './color.js';
import { Exit } from './exit.js';
import { table } from './format-dispatch.js';

interface Flags {
  quiet?: boolean;
  verbose?: boolean;
  hosts?: string;
  json?: boolean;
  watch?: boolean;
  poll?: number;
  format?: string;
  rerun?: string[];
  rerunFailed?: boolean;
}

const lib = () => import('../workflow/index.js');

function fail(diagnostics: Diagnostic[], sources?: SourceSet): never {
  process.stderr.write(`${formatDiagnostics(diagnostics, sources, { color: colorFor(process.stderr) })}\n`);
  throw new Exit(1);
}

function say(flags: Flags, text: string): void {
  if (!flags.quiet) process.stdout.write(text);
}

/** The user's time zone (TZ, else the system's): times are shown in it, stored in UTC. */
function userZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}

async function loadSpec(file: string, flags: Flags): Promise<WorkflowSpec> {
  const { loadWorkflow } = await lib();
  const r = await loadWorkflow(file, { ...(flags.hosts ? { hostsFile: flags.hosts } : {}) });
  const warnings = r.diagnostics.filter((d) => d.severity === 'warning');
  if (!r.spec) fail(r.diagnostics, r.sources);
  if (warnings.length) process.stderr.write(`${formatDiagnostics(warnings, r.sources, { color: colorFor(process.stderr) })}\n`);
  return r.spec;
}

async function callOptions(flags: Flags): Promise<Record<string, unknown>> {
  const opts: Record<string, unknown> = { timeZone: userZone(), env: process.env };
  if (flags.verbose) {
    const d = await import('../dispatch/index.js');
    opts.runner = {
      run: (c: import('../dispatch/index.js').Command, o: import('../dispatch/index.js').RunOptions) => {
        process.stderr.write(`# ${c.purpose}\n${d.commandLine(c)}\n`);
        return d.realRunner.run(c, o);
      },
    };
  }
  return opts;
}

/** Body with an AbortSignal that Ctrl-C / SIGTERM aborts; an abort is exit 130. */
async function interruptible(body: (signal: AbortSignal) => Promise<number>): Promise<never> {
  const ac = new AbortController();
  const onSignal = (): void => ac.abort(new Error('interrupted'));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    throw new Exit(await body(ac.signal));
  } catch (e) {
    const { isAbortError } = await import('../util/abort.js');
    if (isAbortError(e)) {
      process.stderr.write('eegen: interrupted; the nodes that were started go on (eegen workflow status shows them, eegen workflow run continues).\n');
      throw new Exit(130);
    }
    throw e;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

const bar = (p: number | undefined): string => {
  const n = Math.max(0, Math.min(10, Math.round((p ?? 0) / 10)));
  return `[${'#'.repeat(n)}${'.'.repeat(10 - n)}]`;
};

/** The status table: one row per node; times in the user's zone. */
export async function formatNodes(nodes: readonly NodeStatus[], zone: string): Promise<string> {
  const { strftime, formatDuration } = await import('../workflow/labels.js');
  const when = (iso?: string): string => (iso ? strftime(new Date(iso), '%Y-%m-%d %H:%M:%S', zone) : '');
  const rows = nodes.map((n, i) => {
    const s = n.started ? Date.parse(n.started) : undefined;
    const e = n.ended ? Date.parse(n.ended) : undefined;
    const state = n.state + (n.changed ? ' (changed since it ran)' : '') + (n.run && n.run > 1 ? ` (run ${n.run})` : '') + (n.blockedBy?.length ? ` by ${n.blockedBy.join(',')}` : '') + (n.bundles ? ` (${n.bundles})` : '');
    return [String(i + 1), n.name, n.kind, n.host ?? '', state, n.kind === 'virtual' ? '' : `${bar(n.progress)} ${Math.round(n.progress ?? 0)}%`, when(n.started), when(n.ended), s !== undefined && e !== undefined ? formatDuration(e - s, '%H:%M:%S') : '', n.label.replace(/\n/g, ' | ')];
  });
  return `${table(['#', 'name', 'kind', 'host', 'state', 'progress', 'start', 'end', 'duration', 'label'], rows, 60)}\n`;
}

function eventLine(e: WorkflowEvent): string | undefined {
  const t = new Date().toISOString().slice(11, 19);
  switch (e.type) {
    case 'queued':
      return `${t} ${e.node}: ready${e.host ? ` (on ${e.host})` : ''}`;
    case 'started':
      return `${t} ${e.node}: started on ${e.host ?? '?'}${e.jobId ? ` (${e.jobId}${e.run && e.run > 1 ? `, run ${e.run}` : ''})` : ''}`;
    case 'done':
      return `${t} ${e.node}: done`;
    case 'failed':
      return `${t} ${e.node}: ${e.state}${e.why ? `: ${e.why}` : ''}${e.retry ? '; starting it again' : ''}`;
    case 'blocked':
      return `${t} ${e.node}: blocked (${e.by.join(', ')} did not succeed)`;
    case 'changed':
      return `${t} ${e.node}: its spec changed since it ran; not rerun (--rerun ${e.node} runs it again)`;
    case 'waiting':
      return `${t} waiting for another eegen workflow command (${e.lock})`;
    default:
      return undefined;
  }
}

async function runCommand(file: string, flags: Flags): Promise<never> {
  const spec = await loadSpec(file, flags);
  const { runWorkflow } = await lib();
  const opts = await callOptions(flags);
  // A host that stays unreachable is said once (again when its error changes), not every poll.
  const told = new Map<string, string>();
  return interruptible(async (signal) => {
    const r = await runWorkflow(spec, {
      ...opts,
      signal,
      ...(flags.poll !== undefined ? { pollMs: flags.poll * 1000 } : {}),
      ...(flags.rerun?.length ? { rerun: flags.rerun } : {}),
      ...(flags.rerunFailed ? { rerunFailed: true } : {}),
      onEvent: (e) => {
        if (e.type === 'host-error' && told.get(e.error.host) !== e.error.error) {
          told.set(e.error.host, e.error.error);
          process.stderr.write(`warning: ${e.error.host}: ${e.error.error}${e.error.diagnostic.code ? ` [${e.error.diagnostic.code}]` : ''}\n`);
        }
        if (flags.json) {
          if (e.type !== 'status') process.stdout.write(`${JSON.stringify(e)}\n`);
          return;
        }
        const line = eventLine(e);
        if (line) say(flags, `${line}\n`);
      },
    });
    if (!flags.json) say(flags, `\n${await formatNodes(r.nodes, userZone())}${r.ok ? 'workflow done\n' : 'workflow finished with nodes that did not succeed\n'}`);
    return r.ok ? 0 : 1;
  });
}

async function statusCommand(file: string, flags: Flags): Promise<never> {
  const spec = await loadSpec(file, flags);
  const { workflowStatus, NODE_FINAL } = await lib();
  const opts = await callOptions(flags);
  return interruptible(async (signal) => {
    let last = '';
    for (;;) {
      const r = await workflowStatus(spec, { ...opts, signal });
      for (const e of r.hostErrors) process.stderr.write(`warning: ${e.host}: ${e.error}\n`);
      if (flags.json) process.stdout.write(`${JSON.stringify({ workflow: spec.name, file: spec.file, ok: r.ok, nodes: r.nodes, hostErrors: r.hostErrors.map((h) => ({ host: h.host, error: h.error })) }, null, flags.watch ? 0 : 2)}\n`);
      else {
        const text = await formatNodes(r.nodes, userZone());
        if (process.stdout.isTTY && flags.watch) say(flags, `\x1b[H\x1b[2J${text}`);
        else if (text !== last) say(flags, `${flags.watch ? '\n' : ''}${text}`);
        last = text;
      }
      if (!flags.watch || r.nodes.every((n) => NODE_FINAL.has(n.state))) return 0;
      await new Promise((res) => setTimeout(res, (flags.poll ?? 2) * 1000));
      if (signal.aborted) throw signal.reason instanceof Error && signal.reason.name === 'AbortError' ? signal.reason : new (await import('../util/abort.js')).AbortError();
    }
  });
}

async function graphCommand(file: string, flags: Flags): Promise<never> {
  const spec = await loadSpec(file, flags);
  const { workflowStatus, renderGraph, GRAPH_FORMATS } = await lib();
  const format = (flags.format ?? 'svg') as (typeof GRAPH_FORMATS)[number];
  if (!GRAPH_FORMATS.includes(format)) fail([{ code: 'EG9004', severity: 'error', message: `--format ${format}: there is no such graph format.`, hint: `Use one of: ${GRAPH_FORMATS.join(', ')}.` }]);
  const opts = await callOptions(flags);
  return interruptible(async (signal) => {
    const r = await workflowStatus(spec, { ...opts, signal });
    for (const e of r.hostErrors) process.stderr.write(`warning: ${e.host}: ${e.error}\n`);
    say(flags, await renderGraph(spec, format, r.nodes));
    return 0;
  });
}

async function cancelCommand(file: string, nodes: string[], flags: Flags): Promise<never> {
  const spec = await loadSpec(file, flags);
  const { cancelWorkflow } = await lib();
  const opts = await callOptions(flags);
  return interruptible(async (signal) => {
    const r = await cancelWorkflow(spec, { ...opts, signal, ...(nodes.length ? { nodes } : {}) });
    if (flags.json) process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
    else {
      for (const c of r.cancelled) say(flags, `cancelled ${c.id} on ${c.host} (${c.jobId})\n`);
      for (const f of r.failed) process.stderr.write(`could not cancel ${f.id} on ${f.host}: ${f.error}\n`);
      if (!r.cancelled.length && !r.failed.length) say(flags, 'nothing was running\n');
    }
    for (const e of r.hostErrors) process.stderr.write(`warning: ${e.host}: ${e.error}\n`);
    return r.failed.length || r.hostErrors.length ? 1 : 0;
  });
}

/** --poll: seconds; a bad value is a diagnostic (commander is imported as a type only here: cli/main.ts is its import site). */
function seconds(text: string): number {
  const n = Number(text);
  if (!/^\d+(\.\d+)?$/.test(text) || n < 0.05 || n > 3600) fail([{ code: 'EG9005', severity: 'error', message: `--poll ${text}: seconds from 0.05 to 3600 are needed.`, hint: 'For example --poll 0.5 or --poll 5.' }]);
  return n;
}

const collect = (value: string, previous: string[] = []): string[] => [...previous, ...value.split(',').filter(Boolean)];
const HOSTS_HELP = 'host inventory (default: hosts.yaml in the working directory, else beside the workflow file)';

export function addWorkflowCommand(program: Command): void {
  const wf = program
    .command('workflow')
    .description('Run a task graph whose nodes run on the hosts of hosts.yaml (the Compute Coordinator\'s workflow YAML).')
    .option('-q, --quiet', 'print errors and warnings only')
    .option('-v, --verbose', 'print each command run on a host (on stderr) before it runs')
    .addHelpText('after', '\nExamples:\n  eegen workflow run workflow.yaml\n  eegen workflow status workflow.yaml --watch\n  eegen workflow graph workflow.yaml --format svg > workflow.svg\n  eegen workflow cancel workflow.yaml compute');
  const flagsOf = (c: Command): Flags => c.optsWithGlobals() as Flags;
  wf.command('run')
    .description('Start every node whose needs are done, in parallel up to each host\'s slots, until all have finished. Stop it at any time: run it again to continue.')
    .argument('<file>', 'workflow file (YAML)')
    .option('--hosts <file>', HOSTS_HELP)
    .option('--rerun <node>', 'run this node again although it ended (repeatable, or comma-separated)', collect)
    .option('--rerun-failed', 'run every node again that ended badly')
    .option('--poll <seconds>', 'between two looks at the hosts (default 1)', seconds)
    .option('--json', 'one JSON event per line on stdout')
    .addHelpText('after', '\nExit code 0 when every node is done; 1 when one failed or was blocked; 130 on Ctrl-C (started nodes go on).')
    .action(async function (this: Command, file: string) {
      await runCommand(file, flagsOf(this));
    });
  wf.command('status')
    .description('Every node: state, progress, start, end, duration, label (one round trip per host).')
    .argument('<file>', 'workflow file (YAML)')
    .option('--hosts <file>', HOSTS_HELP)
    .option('--json', 'machine-readable output')
    .option('--watch', 'show it again as it changes, until every node has finished')
    .option('--poll <seconds>', 'with --watch: between two looks (default 2)', seconds)
    .action(async function (this: Command, file: string) {
      await statusCommand(file, flagsOf(this));
    });
  wf.command('graph')
    .description('The graph, nodes coloured by state, laid out by Graphviz (svg), or as dot or mermaid text.')
    .argument('<file>', 'workflow file (YAML)')
    .option('--hosts <file>', HOSTS_HELP)
    .option('--format <format>', 'svg, dot or mermaid', 'svg')
    .action(async function (this: Command, file: string) {
      await graphCommand(file, flagsOf(this));
    });
  wf.command('cancel')
    .description('Cancel the running nodes of the workflow, or the nodes named.')
    .argument('<file>', 'workflow file (YAML)')
    .argument('[nodes...]', 'nodes to cancel (default: all)')
    .option('--hosts <file>', HOSTS_HELP)
    .option('--json', 'machine-readable output')
    .action(async function (this: Command, file: string, nodes: string[]) {
      await cancelCommand(file, nodes, flagsOf(this));
    });
}
