/**
 * How commands and files reach a host: `bash -s` locally or over ssh (one round trip
 * per call, whatever the number of bundles), and one rsync per direction with an
 * explicit file list. The remote side needs bash, rsync and coreutils; nothing of
 * eegen is installed there.
 */
import { homedir } from 'node:os';
import path from 'node:path';
import { quoteLiteral } from '../shell/quote.js';
import { isRemote, type HostEntry } from './hosts.js';
import type { Command } from './process.js';

/** ssh options that never prompt: a dispatcher must fail fast, not hang. */
const SSH_DEFAULTS = ['-o', 'BatchMode=yes', '-o', 'ConnectTimeout=10', '-o', 'ServerAliveInterval=15', '-o', 'ServerAliveCountMax=2'];

export function sshArgv(h: HostEntry): string[] {
  const argv = ['ssh', ...SSH_DEFAULTS];
  if (h.ssh_config) argv.push('-F', h.ssh_config);
  if (h.port) argv.push('-p', String(h.port));
  if (h.identity) argv.push('-i', h.identity);
  if (h.user) argv.push('-l', h.user);
  for (const o of h.ssh_options ?? []) argv.push('-o', o);
  argv.push(h.hostname ?? 'localhost');
  return argv;
}

/** Run a bash script on the host, fed on stdin; `bash` runs it whatever the login shell is. */
export function execCommand(h: HostEntry, script: string, purpose: string): Command {
  return isRemote(h) ? { argv: [...sshArgv(h), 'bash -s'], input: script, purpose } : { argv: ['bash', '-s'], input: script, purpose };
}

/** Where bundles live on the host. Local hosts without workdir run bundles in place. */
export function workdirOf(h: HostEntry, outDir: string): string {
  if (h.workdir) {
    // `~/x` is x in the login directory. Scripts quote the workdir (no tilde expansion), so a
    // leading ~ becomes a relative path on remote hosts and the home directory here.
    const m = /^~(?:\/+(.*))?$/.exec(h.workdir);
    const w = m ? (m[1] || '.') : h.workdir;
    // Here: relative to the working directory, or to the home directory for `~/`.
    if (!isRemote(h)) return m ? path.join(homedir(), w) : path.resolve(w);
    // There: relative to the login directory (where ssh starts `bash -s` and rsync resolves
    // relative paths). `./` keeps a leading `-` from being read as an option anywhere.
    return w.startsWith('-') ? `./${w}` : w;
  }
  if (!isRemote(h)) return path.resolve(outDir);
  return `eegen-runs/${path.basename(path.resolve(outDir))}`;
}

/** True when bundles must be copied to reach the host's workdir. */
export function needsCopy(h: HostEntry, outDir: string): boolean {
  return isRemote(h) || path.resolve(workdirOf(h, outDir)) !== path.resolve(outDir);
}

function rsyncRemote(h: HostEntry): string[] {
  if (!isRemote(h)) return [];
  // rsync splits -e on blanks and honours quotes: quote every word.
  return ['-e', sshArgv(h).slice(0, -1).map(quoteLiteral).join(' ')];
}

function hostPath(h: HostEntry, p: string): string {
  return isRemote(h) ? `${h.hostname ?? 'localhost'}:${p}` : p;
}

/**
 * Copy the listed files (paths relative to outDir, one per line in listFile) to the
 * host. Incremental (unchanged files are skipped) and resumable (--partial).
 */
export function pushCommand(h: HostEntry, outDir: string, listFile: string): Command {
  const dest = workdirOf(h, outDir);
  return {
    argv: ['rsync', '-a', '--partial', `--files-from=${listFile}`, ...rsyncRemote(h), `${path.resolve(outDir)}/`, `${hostPath(h, dest)}/`],
    purpose: `copy bundles to ${h.name}:${dest}`,
  };
}

/** Bring run outputs back: every file under the bundles except the listed exclusions. */
export function pullCommand(h: HostEntry, outDir: string, listFile: string, excludes: readonly string[]): Command {
  const src = workdirOf(h, outDir);
  return {
    argv: ['rsync', '-a', '-r', '--partial', `--files-from=${listFile}`, ...excludes.map((e) => `--exclude=${e}`), ...rsyncRemote(h), `${hostPath(h, src)}/`, `${path.resolve(outDir)}/`],
    purpose: `copy results from ${h.name}:${src}`,
  };
}
