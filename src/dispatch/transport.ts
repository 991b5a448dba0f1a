/**
 * How commands and files reach a host: `bash -s` locally or over ssh (one round trip
 * per call, whatever the number of bundles), and one rsync per direction with an
 * explicit file list. The remote side needs bash, rsync and coreutils; nothing of
 * eegen is installed there.
 */
import { createHash } from 'node:crypto';
import { homedir, hostname } from 'node:os';
import path from 'node:path';
import { quoteLiteral } from '../shell/quote.js';
import { isRemote, type HostEntry } from '../inventory/hosts.js';
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

/**
 * The host's work directory itself (what hosts.yaml says, resolved). Local hosts without
 * workdir run bundles in place (the output directory); ssh hosts default to
 * `eegen-runs/<output folder name>` in the login directory.
 */
export function hostWorkdir(h: HostEntry, outDir: string): string {
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

/** True when bundles run in the output directory itself (a local host without workdir). */
export function runsInPlace(h: HostEntry, outDir: string): boolean {
  return !isRemote(h) && path.resolve(hostWorkdir(h, outDir)) === path.resolve(outDir);
}

/**
 * THE remote layout (one function; status, collect and cancel go through workdirOf).
 * On a host that is not the output directory itself, a bundle lives in a directory named
 * by its id AND its content, `<workdir>/<id>-<first 12 hex of its SHA256SUMS hash>`, so two
 * experiments, or an old and a changed build, never share a directory. Each output
 * directory sees its bundles through its own view of symlinks,
 * `<workdir>/.eegen/by-out/<key>/<id> -> ../../../<id>-<hash12>` (key: this machine and the
 * output directory's absolute path), which submit points at the content it submits.
 */
export function remoteDirName(b: { id: string; dir?: string; hash: string }): string {
  return `${b.id}-${b.hash.slice(0, 12)}`;
}

/** `.eegen/by-out/<key>`: the output directory's view, relative to the host's workdir. */
export function viewOf(outDir: string): string {
  const key = createHash('sha256').update(`${hostname()}:${path.resolve(outDir)}`).digest('hex').slice(0, 16);
  return `.eegen/by-out/${key}`;
}

/** From a view back to the workdir (a view is three levels below it). */
export const VIEW_TO_WORKDIR = '../../..';

/**
 * Where the scripts for an output directory run on the host: the output directory itself
 * for in-place local hosts, else the output directory's view in the workdir, where
 * `<id>` is the bundle's content-addressed directory (see remoteDirName).
 */
export function workdirOf(h: HostEntry, outDir: string): string {
  const w = hostWorkdir(h, outDir);
  return runsInPlace(h, outDir) ? w : `${w}/${viewOf(outDir)}`;
}

/** True when bundles must be copied to reach the host's workdir. */
export function needsCopy(h: HostEntry, outDir: string): boolean {
  return !runsInPlace(h, outDir);
}

/** OUT/.eegen/links/<host>: symlinks `<id>-<hash12> -> ../../../<bundle dir>`, the source of a push. */
export function pushRoot(h: HostEntry, outDir: string): string {
  return path.join(path.resolve(outDir), '.eegen', 'links', h.name);
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
 * Copy the listed files (paths relative to pushRoot, one per line in listFile) to the
 * host's workdir; `-k` follows pushRoot's symlinks, so `<id>-<hash12>/f` is sent from
 * `OUT/<bundle>/f`. Incremental (unchanged files are skipped) and resumable (--partial).
 */
export function pushCommand(h: HostEntry, outDir: string, listFile: string): Command {
  const dest = hostWorkdir(h, outDir);
  return {
    argv: ['rsync', '-a', '-k', '--partial', `--files-from=${listFile}`, ...rsyncRemote(h), `${pushRoot(h, outDir)}/`, `${hostPath(h, dest)}/`],
    purpose: `copy bundles to ${h.name}:${dest}`,
  };
}

/**
 * Bring run outputs back: every file under the listed bundles (ids, relative to the
 * output directory's view) except the exclusions; `-k` follows the view's symlinks.
 * An interrupted copy (timeout, abort, kill) keeps what it had in `.eegen-partial/` beside
 * the file, to resume from, never under the file's own name: a file in OUT is whole or the
 * one from before.
 */
export function pullCommand(h: HostEntry, outDir: string, listFile: string, excludes: readonly string[]): Command {
  const src = workdirOf(h, outDir);
  return {
    argv: ['rsync', '-a', '-r', ...(runsInPlace(h, outDir) ? [] : ['-k']), '--partial-dir=.eegen-partial', `--files-from=${listFile}`, ...excludes.map((e) => `--exclude=${e}`), ...rsyncRemote(h), `${hostPath(h, src)}/`, `${path.resolve(outDir)}/`],
    purpose: `copy results from ${h.name}:${src}`,
  };
}
