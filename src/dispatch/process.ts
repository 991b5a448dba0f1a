/**
 * The only import site of `zx` (loaded on the first command, so an operation that runs
 * none does not pay for it). Every command the dispatcher runs goes through a `Runner`,
 * so a dry run can print the exact commands and a test can record them.
 */
import { quoteLiteral } from '../shell/quote.js';
import { AbortError } from './abort.js';

export interface Command {
  argv: string[];
  /** Text fed to the command's stdin (a script for `bash -s`). */
  input?: string;
  /** One line for humans: what this command is for. */
  purpose: string;
}

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  /** Kill the command (its process group) after this long; it then ends with code 124. */
  timeoutMs?: number;
  /** Kill the command (its process group, SIGKILL) when aborted and reject with AbortError. */
  signal?: AbortSignal;
}

export interface Runner {
  run(cmd: Command, opts?: RunOptions): Promise<ExecResult>;
}

let zx: Promise<typeof import('zx')> | undefined;

/** Signal a process group, else the process (it may have gone already). */
function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (!pid) return;
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      /* gone */
    }
  }
}

/**
 * Runs commands for real (no shell in between: argv is passed as is). Each command is the
 * leader of its own process group, and a timeout or an abort kills that group: the command
 * and whatever it started that stayed in the group, never what it detached (`setsid`: the
 * submit script on a local host, the jobs it launched), exactly as kill -9 of eegen would
 * leave them. zx's own kill would walk the whole process tree, detached jobs included.
 */
export const realRunner: Runner = {
  async run(cmd, opts) {
    const signal = opts?.signal;
    if (signal?.aborted) throw new AbortError(`${cmd.purpose}: aborted`, { cause: signal.reason });
    const { $ } = await (zx ??= import('zx'));
    const [bin, ...args] = cmd.argv;
    const p = $({ input: cmd.input ?? '', quiet: true, nothrow: true, verbose: false, detached: true })`${bin} ${args}`;
    let aborted = false;
    let timedOut = false;
    let settled = false;
    // A command that exits before reading all its input (ssh to a host that refuses the
    // connection, given a script) breaks the pipe; zx writes the input without listening
    // for that, and the EPIPE would end eegen. The exit code says what happened.
    const guardStdin = (): void => {
      if (settled) return;
      const stdin = p.stdin as NodeJS.WritableStream | undefined;
      if (stdin) stdin.on('error', () => undefined);
      else setImmediate(guardStdin);
    };
    if (cmd.input !== undefined) guardStdin();
    // The child may not be spawned yet when the signal comes: try again until it is.
    const killSoon = (sig: NodeJS.Signals): void => {
      if (settled) return;
      if (p.pid) killGroup(p.pid, sig);
      else setTimeout(() => killSoon(sig), 2);
    };
    const onAbort = (): void => {
      aborted = true;
      killSoon('SIGKILL');
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    const timer = opts?.timeoutMs
      ? setTimeout(() => {
          timedOut = true;
          killSoon('SIGTERM');
        }, opts.timeoutMs)
      : undefined;
    try {
      const out = await p;
      // Killed by the abort (a command that had ended by itself keeps its answer).
      if (aborted && (out.signal || out.exitCode === null)) throw new AbortError(`${cmd.purpose}: aborted`, { cause: signal?.reason });
      if (timedOut) return { code: 124, stdout: out.stdout, stderr: `${out.stderr}${out.stderr && !out.stderr.endsWith('\n') ? '\n' : ''}timed out after ${Math.round(opts!.timeoutMs! / 1000)} s` };
      return { code: out.exitCode ?? 1, stdout: out.stdout, stderr: out.stderr };
    } finally {
      settled = true;
      if (timer) clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    }
  },
};

export function commandLine(cmd: Command): string {
  const line = cmd.argv.map(quoteLiteral).join(' ');
  return cmd.input !== undefined ? `${line} <<'EEGEN_SCRIPT'\n${cmd.input}${cmd.input.endsWith('\n') ? '' : '\n'}EEGEN_SCRIPT` : line;
}

/** Records commands instead of running them (--dry-run); answers like a host with nothing on it. */
export class DryRunner implements Runner {
  readonly commands: Command[] = [];
  async run(cmd: Command): Promise<ExecResult> {
    this.commands.push(cmd);
    return { code: 0, stdout: '', stderr: '' };
  }
}
