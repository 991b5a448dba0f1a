/**
 * The command line: parses arguments, calls the library, prints, and picks the exit
 * code. Only this file calls process.exit. Exit codes: 0 success, 1 user error (bad
 * input, differences found by --check, a failed verify), 2 internal error (a bug).
 */
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import type { BuildResult } from '../build.js';
import path from 'node:path';
import { formatDiagnostics, isDiagnosticError, type Diagnostic, type SourceSet } from '../diagnostics/index.js';
import { EEGEN_VERSION } from '../version.js';
import type { BuildEvent } from '../types.js';
import { buildJson, formatCheck, formatDryRun, formatPlan, formatReport } from './format.js';
import { addDispatchCommands } from './dispatch.js';
import { addWorkflowCommand } from './workflow.js';
import { Exit } from './exit.js';
import { colorFor } from './color.js';


function printDiagnostics(diagnostics: Diagnostic[], sources?: SourceSet): void {
  if (diagnostics.length) process.stderr.write(`${formatDiagnostics(diagnostics, sources, { color: colorFor(process.stderr) })}\n`);
}

function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

interface BuildFlags {
  template?: string;
  out?: string;
  host?: string;
  profiles?: string[];
  dryRun?: boolean;
  json?: boolean;
  check?: boolean;
  prune?: boolean;
  archive?: string;
  force?: boolean;
  strict?: boolean;
  jobs?: number;
  timeFrom?: string;
  quiet?: boolean;
  verbose?: boolean;
}

function jobsFlag(text: string): number {
  if (!/^\d+$/.test(text) || Number(text) > 64) throw new InvalidArgumentError('a whole number from 0 to 64 is needed.');
  return Number(text);
}

/**
 * Two knobs for benchmarks and tests, read here and nowhere else (the library takes them
 * as options): EEGEN_WORKERS (render workers, like --jobs) and EEGEN_FS=sync|async.
 */
function envWorkers(): { workers?: number } {
  const v = process.env.EEGEN_WORKERS;
  return v !== undefined && /^\d+$/.test(v) ? { workers: Number(v) } : {};
}
function envFs(): { fs?: 'sync' | 'async' } {
  const v = process.env.EEGEN_FS;
  return v === 'sync' || v === 'async' ? { fs: v } : {};
}

async function runBuild(config: string, flags: BuildFlags): Promise<number> {
  const showProgress = !flags.json && !flags.quiet && process.stderr.isTTY === true;
  // Each command loads what it needs when it runs (`eegen --version` loads none of it).
  const [{ build }, progressModule] = await Promise.all([import('../build.js'), showProgress ? import('./progress.js') : undefined]);
  const progress = progressModule?.startProgress();
  let result: BuildResult;
  try {
    result = await build({
      config,
      ...(flags.template ? { template: flags.template } : {}),
      ...(flags.out ? { out: flags.out } : {}),
      ...(flags.host ? { host: flags.host } : {}),
      ...(flags.profiles ? { profileDirs: flags.profiles } : {}),
      dryRun: flags.dryRun ?? false,
      check: flags.check ?? false,
      prune: flags.prune ?? false,
      force: flags.force ?? false,
      strict: flags.strict ?? false,
      // Only --json lists every bundle: the printed report needs none, so memory stays flat in the sweep's size.
      keepBundles: flags.json === true,
      ...(flags.jobs !== undefined ? { workers: flags.jobs } : envWorkers()),
      ...envFs(),
      ...(flags.archive ? { archive: flags.archive } : {}),
      ...(flags.timeFrom !== undefined ? { timeFrom: flags.timeFrom } : {}),
      ...(progress ? { onEvent: (e: BuildEvent) => (e.type === 'compile' ? progress.render(e.done, e.total) : e.type === 'write' ? progress.write(e.done, e.total) : undefined) } : {}),
    });
  } finally {
    progress?.stop();
  }
  printDiagnostics(result.diagnostics, result.sources);
  if (flags.json) printJson(buildJson(result));
  if (!result.plan) return 1;
  if (!flags.json && !flags.quiet) {
    if (flags.dryRun) process.stdout.write(`${formatDryRun(result)}\n`);
    else if (flags.check) process.stdout.write(`${formatCheck(result)}\n`);
    else if (result.report) process.stdout.write(`${formatReport(result.outDir, result.report, flags.verbose === true)}\n`);
    if (flags.verbose && result.stats) {
      const s = result.stats;
      process.stderr.write(`${s.renderedHere} rendered on the main thread, ${s.renderedOnWorkers} on ${s.workers} worker thread${s.workers === 1 ? '' : 's'}, ${s.reused} unchanged since the last build (not rendered)\n`);
    }
    if (flags.archive && !flags.dryRun && !flags.check) process.stdout.write(`Archive: ${flags.archive}\n`);
  } else if (flags.check && !result.ok && !flags.json) {
    process.stdout.write(`${formatCheck(result)}\n`);
  }
  return result.ok ? 0 : 1;
}

async function runPlan(config: string, flags: { json?: boolean; quiet?: boolean }): Promise<number> {
  const { planExperiment } = await import('../compile/index.js');
  const { plan, sources, diagnostics } = await planExperiment(config);
  printDiagnostics(diagnostics, sources);
  if (!plan) {
    if (flags.json) printJson({ ok: false, diagnostics });
    return 1;
  }
  if (flags.json) printJson({ ok: true, ...plan });
  else if (!flags.quiet) process.stdout.write(`${formatPlan(plan)}\n`);
  return diagnostics.some((d) => d.severity === 'error') ? 1 : 0;
}

interface ReportFlags {
  out?: string;
  config?: string;
  crate?: boolean;
  license?: string;
  json?: boolean;
  quiet?: boolean;
  verbose?: boolean;
}

async function runReport(outs: string[], flags: ReportFlags): Promise<number> {
  const { report, ReportSettingsError } = await import('../report/index.js');
  let result: Awaited<ReturnType<typeof report>>;
  try {
    result = await report({ outs, ...(flags.out !== undefined ? { dir: flags.out } : {}), ...(flags.config !== undefined ? { config: flags.config } : {}), ...(flags.crate ? { crate: true } : {}), ...(flags.license !== undefined ? { license: flags.license } : {}) });
  } catch (e) {
    // Settings errors point into the config: print them with its lines.
    if (!(e instanceof ReportSettingsError)) throw e;
    printDiagnostics(e.diagnostics, e.sources);
    return 1;
  }
  printDiagnostics(result.diagnostics);
  if (flags.json) printJson({ ok: true, dir: result.dir, files: result.files, charts: result.charts });
  else if (flags.verbose) process.stdout.write(`${result.files.map((f) => `Wrote ${path.join(result.dir, f)}`).join('\n')}\n`);
  else if (!flags.quiet) process.stdout.write(`Wrote ${path.join(result.dir, 'report.html')}, summary.md and ${result.charts.length} chart${result.charts.length === 1 ? '' : 's'} (charts/*.svg, *.png)${flags.crate ? ` and the RO-Crate ${path.join(result.dir, 'ro-crate-metadata.json')}` : ''}\n`);
  return 0;
}

async function runPredict(out: string, flags: { margin: string; json?: boolean; quiet?: boolean; verbose?: boolean }): Promise<number> {
  const { predict, formatPrediction } = await import('../predict/index.js');
  const result = await predict({ out, margin: Number(flags.margin) });
  printDiagnostics(result.diagnostics);
  if (flags.json) printJson({ ok: true, ...result, groups: result.groups.map(({ fit: _fit, ...g }) => g) });
  else if (!flags.quiet) process.stdout.write(`${formatPrediction(result, flags.verbose ? Infinity : 5)}\n`);
  return 0;
}

async function runVerify(dir: string, flags: { json?: boolean; quiet?: boolean }): Promise<number> {
  const { verifyTree } = await import('../verify/index.js');
  const result = await verifyTree(dir);
  if (flags.json) printJson(result);
  else if (result.ok) {
    if (!flags.quiet) process.stdout.write(`${dir}: ${result.bundles} bundle${result.bundles === 1 ? '' : 's'} intact.\n`);
  } else {
    const lines = result.problems.map((p) => `  ${p.kind}: ${p.file ? `${p.bundle}/${p.file}` : p.bundle}`);
    process.stderr.write(`${dir}: ${result.problems.length} problem${result.problems.length === 1 ? '' : 's'} in ${result.bundles} bundle${result.bundles === 1 ? '' : 's'}:\n${lines.join('\n')}\n`);
  }
  return result.ok ? 0 : 1;
}

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

export function program(): Command {
  const cmd = new Command('eegen')
    .description('Compile experiment sweeps into reproducible job bundles for Slurm, LSF and bash.')
    .version(EEGEN_VERSION)
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  cmd.addHelpText(
    'after',
    `
Examples:
  eegen run fixtures/example/config.yaml --out out/example      # build, run locally, collect
  eegen build fixtures/cloudmask/config.yaml --template fixtures/cloudmask/cloudmask.in.slurm
  eegen plan fixtures/cloudmask/config.yaml
  eegen submit out --host cluster && eegen status out --watch && eegen collect out`,
  );

  cmd
    .command('build')
    .description('Build one bundle directory per parameter combination.')
    .argument('<config>', 'experiment config (YAML)')
    .option('-t, --template <file>', 'template: *.eta, NAME.in.slurm, NAME.in.lsf or NAME.in.sh (default: config `template:` or the built-in one)')
    .option('-o, --out <dir>', 'output directory', 'out')
    .option('--host <name>', 'host/site profile (default: config system.host), looked up in hosts.yaml in the working directory, else beside the config, then in the profiles')
    .option('--profiles <dir>', 'extra folder of profiles (repeatable)', collect)
    .option('-n, --dry-run', 'compile and show the bundles; write nothing')
    .option('--json', 'machine-readable output on stdout')
    .option('--check', 'exit 1 and list differences if the output is not what the config produces; write nothing')
    .option('--prune', 'remove bundles the config no longer produces (never files a run wrote)')
    .option('--archive <file>', 'also write the bundles as one reproducible .tar.gz or .zip')
    .option('-f, --force', 'build even if the sweep is larger than sweep.limit')
    .option('--strict', 'report every {word} left as written (not a config key or namespace) and fail on any warning')
    .option('--time-from <out>', "each bundle's time limit (resources.time) from eegen predict OUT, a build of this config with collected results: the bundles it predicts get their predicted walltime (upper band + 25%), the others keep the config's")
    .option('-j, --jobs <n>', 'worker threads rendering bundles (default: one per CPU beyond two, at most 4, for sweeps of 500+ bundles; 0: none)', jobsFlag)
    .option('-q, --quiet', 'print errors and warnings only')
    .option('-v, --verbose', 'list every added, changed and removed bundle, and how they were rendered')
    .addHelpText(
      'after',
      `
Examples:
  eegen build config.yaml --template cloudmask.in.slurm --out out
  eegen build config.yaml --strict       # typos such as {experimnt.epoch} fail the build
  eegen build config.yaml --dry-run --json | jq '.bundles[].id'
  eegen build config.yaml --check        # in CI: are the checked-in bundles current?
  eegen build config.yaml --archive bundles.tar.gz
  eegen build config.yaml --time-from out   # time limits from the runs collected into out`,
    )
    .action(async (config: string, flags: BuildFlags) => {
      throw new Exit(await runBuild(config, flags));
    });

  cmd
    .command('plan')
    .description('Show how many combinations the sweep has and what each rule removes.')
    .argument('<config>', 'experiment config (YAML)')
    .option('--json', 'machine-readable output')
    .option('-q, --quiet', 'print errors and warnings only (the exit code says whether the sweep plans)')
    .addHelpText('after', '\nExamples:\n  eegen plan config.yaml\n  eegen plan config.yaml --json')
    .action(async (config: string, flags: { json?: boolean; quiet?: boolean }) => {
      throw new Exit(await runPlan(config, flags));
    });

  cmd
    .command('verify')
    .description('Check bundles against their manifests (exit 1 naming each changed or missing file).')
    .argument('<dir>', 'an output directory or a single bundle')
    .option('--json', 'machine-readable output')
    .option('-q, --quiet', 'print problems only (exit 1 when there are any)')
    .addHelpText('after', '\nExamples:\n  eegen verify out\n  eegen verify out/epoch-1_gpu-a100_repeat-1')
    .action(async (dir: string, flags: { json?: boolean; quiet?: boolean }) => {
      throw new Exit(await runVerify(dir, flags));
    });
  addDispatchCommands(cmd);
  addWorkflowCommand(cmd);

  cmd
    .command('report')
    .description('Summarize one or more collected studies: summary.md (states, totals, runtime per configuration, the best configuration per metric, what did not succeed).')
    .argument('<out...>', 'output directories with collected results (eegen collect OUT)')
    .option('-o, --out <dir>', 'where the report goes (default: OUT/report for one study, ./report for several)')
    .option('-c, --config <file>', "the study's config: its report: settings (title, group_by, x, metrics) choose what is drawn")
    .option('--crate', 'also make the report directory an RO-Crate: ro-crate-metadata.json (Workflow Run Crate) describing the config, the bundle runs, the hosts, the results and the report')
    .option('--license <id>', 'with --crate: the license of the study, an SPDX identifier (CC-BY-4.0) or a URL')
    .option('--json', 'machine-readable output: the files written')
    .option('-q, --quiet', 'print warnings only')
    .option('-v, --verbose', 'name every file written')
    .addHelpText('after', '\nExamples:\n  eegen report out\n  eegen report out-rivanna out-greene --out report\n  eegen report out --config config.yaml\n  eegen report out --crate --license CC-BY-4.0')
    .action(async (outs: string[], flags: ReportFlags) => {
      throw new Exit(await runReport(outs, flags));
    });

  cmd
    .command('predict')
    .description('Predict the runtime (and GPU energy) of the bundles still to run from those that finished, per host and GPU type, and the time limit to request.')
    .argument('<out>', 'an output directory with collected results (eegen collect OUT)')
    .option('--margin <fraction>', 'added to the slowest upper band for the time limit to request', '0.25')
    .option('--json', 'machine-readable output: every bundle\'s prediction')
    .option('-q, --quiet', 'print warnings only')
    .option('-v, --verbose', 'list every bundle\'s prediction, not the first five of each group')
    .addHelpText('after', '\nExamples:\n  eegen predict out\n  eegen predict out --margin 0.5 --json | jq .total')
    .action(async (out: string, flags: { margin: string; json?: boolean; quiet?: boolean; verbose?: boolean }) => {
      throw new Exit(await runPredict(out, flags));
    });

  cmd
    .command('completion')
    .description('Print a shell completion script (bash or zsh).')
    .argument('<shell>', 'bash or zsh')
    .addHelpText('after', '\nExamples:\n  eval "$(eegen completion bash)"    # in ~/.bashrc\n  eval "$(eegen completion zsh)"     # in ~/.zshrc')
    .action(async (shell: string) => {
      const { completionScript, SHELLS } = await import('./completion.js');
      if (!(SHELLS as readonly string[]).includes(shell)) {
        printDiagnostics([{ code: 'EG9003', severity: 'error', message: `No completion for the shell "${shell}".`, hint: `Use one of: ${SHELLS.join(', ')}.` }]);
        throw new Exit(1);
      }
      process.stdout.write(completionScript(cmd, shell as (typeof SHELLS)[number]));
      throw new Exit(0);
    });
  return cmd;
}

export async function main(argv: string[]): Promise<number> {
  try {
    await program().parseAsync(argv, { from: 'user' });
    return 0;
  } catch (e) {
    if (e instanceof Exit) return e.code;
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 1;
    if (isDiagnosticError(e)) {
      printDiagnostics(e.diagnostics);
      return 1;
    }
    process.stderr.write(`eegen: internal error (this is a bug, please report it):\n${(e as Error)?.stack ?? String(e)}\n`);
    return 2;
  }
}
