/**
 * The only import site of `zx`. Every command the dispatcher runs goes through a
 * `Runner`, so a dry run can print the exact commands and a test can record them.
 */
import { $ } from 'zx';
import { quoteLiteral } from '../shell/quote.js';

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

export interface Runner {
  run(cmd: Command, opts?: { timeoutMs?: number }): Promise<ExecResult>;
}

/** Runs commands for real (no shell in between: argv is passed as is). */
export const realRunner: Runner = {
  async run(cmd, opts) {
    const [bin, ...args] = cmd.argv;
    const p = $({ input: cmd.input ?? '', quiet: true, nothrow: true, verbose: false, ...(opts?.timeoutMs ? { timeout: opts.timeoutMs } : {}) })`${bin} ${args}`;
    const out = await p;
    return { code: out.exitCode ?? 1, stdout: out.stdout, stderr: out.stderr };
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
