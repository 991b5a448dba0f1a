/**
 * How tests reach the real components started by `bash scripts/setup-test-env.sh`
 * (single-node Slurm, a loopback sshd, rsync, Debian's headless chromium). See DEVELOPERS.md.
 *
 * Typical use:
 *
 *   import { testEnv, skipWithout } from './env.js';
 *   describe.skipIf(skipWithout('slurm', 'ssh'))('submit over ssh', () => {
 *     const { ssh } = testEnv();        // non-null inside this block
 *     ...
 *   });
 *
 * A missing component makes the suite skip with a console.warn saying what to
 * run, except under CI=true (or EEGEN_TEST_REQUIRE_COMPONENTS=1), where it
 * throws while the file is collected, so the run FAILS instead of skipping.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export type Component = 'slurm' | 'ssh' | 'rsync' | 'chromium';

export interface SshTarget {
  /** ssh config file: pass as `ssh -F <config> <host>`. */
  config: string;
  /** Host alias defined in `config` (e.g. `eegen-test`). */
  host: string;
  /** Real address and port the alias points to. */
  hostName: string;
  port: number;
  user: string;
  identityFile: string;
  knownHosts: string;
}

export interface TestEnv {
  slurm: boolean;
  ssh: SshTarget | null;
  rsync: boolean;
  /** Debian's chromium at CHROMIUM (driven by playwright-core; never a downloaded browser). */
  chromium: boolean;
  /** Why each unavailable component is missing. */
  problems: Partial<Record<Component, string>>;
}

export const SETUP_COMMAND = 'bash scripts/setup-test-env.sh';
export const TEST_ENV_DIR = '/var/lib/eegen-test';
/** Debian's chromium (apt package `chromium`), what playwright-core launches: `--headless --no-sandbox`. */
export const CHROMIUM = '/usr/bin/chromium';
/** Repository root (this file is test/support/env.ts). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** CI=true (or EEGEN_TEST_REQUIRE_COMPONENTS=1): missing components fail the run. */
export function isCI(): boolean {
  const ci = (process.env.CI ?? '').toLowerCase();
  return ci === 'true' || ci === '1' || process.env.EEGEN_TEST_REQUIRE_COMPONENTS === '1';
}

function run(cmd: string, args: string[], timeoutMs: number): { ok: boolean; out: string } {
  let r = spawnSync(cmd, args, { encoding: 'utf8', timeout: timeoutMs, stdio: ['ignore', 'pipe', 'pipe'] });
  // A probe that only ran out of time on a loaded machine (2 cores, a suite beside it) gets
  // a second, longer try: a missing component fails at once either way.
  if ((r.error as NodeJS.ErrnoException | undefined)?.code === 'ETIMEDOUT') r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 4 * timeoutMs, stdio: ['ignore', 'pipe', 'pipe'] });
  const out = `${r.stdout ?? ''}${r.stderr ?? ''}`.trim();
  if (r.error) return { ok: false, out: `${cmd}: ${r.error.message}` };
  return { ok: r.status === 0, out };
}

/** Path of the ssh config for the shared sshd, or a private instance `name`. */
export function sshConfigPath(instance?: string): string {
  if (!instance && process.env.EEGEN_TEST_SSH_CONFIG) return process.env.EEGEN_TEST_SSH_CONFIG;
  return `${TEST_ENV_DIR}/ssh_config${instance ? `-${instance}` : ''}`;
}

/** Parse the single `Host` block written by scripts/setup-sshd.sh. */
export function readSshConfig(config: string): SshTarget | null {
  if (!existsSync(config)) return null;
  const kv = new Map<string, string>();
  for (const line of readFileSync(config, 'utf8').split('\n')) {
    const m = /^\s*(\w+)\s+(.+?)\s*$/.exec(line);
    if (m && !line.trimStart().startsWith('#')) kv.set(m[1]!.toLowerCase(), m[2]!);
  }
  const host = kv.get('host');
  if (!host) return null;
  return {
    config,
    host,
    hostName: kv.get('hostname') ?? '127.0.0.1',
    port: Number(kv.get('port') ?? 22),
    user: kv.get('user') ?? '',
    identityFile: kv.get('identityfile') ?? '',
    knownHosts: kv.get('userknownhostsfile') ?? '',
  };
}

/** `['-F', config]`: ssh options that make `host` reachable. */
export function sshArgs(ssh: SshTarget): string[] {
  return ['-F', ssh.config];
}

/** Value for `rsync -e` / `--rsh`. */
export function rsyncRsh(ssh: SshTarget): string {
  return `ssh -F ${ssh.config}`;
}

function probeSlurm(): string | null {
  const ping = run('scontrol', ['ping'], 5000);
  if (!ping.ok || !/is UP/.test(ping.out)) return `scontrol ping: ${ping.out || 'failed'}`;
  const sinfo = run('sinfo', ['-h', '-o', '%T'], 5000);
  const states = sinfo.out.split('\n').map((s) => s.trim()).filter(Boolean);
  // A busy node is fine (allocated, mixed, completing, planned: reserved for a pending job
  // by the scheduler, as other test files' jobs queue up); only a broken one is not.
  const usable = states.some((s) => !s.endsWith('*') && !/(down|drain|fail|future|unknown|inval|not_responding|maint|reboot|power)/.test(s));
  if (!sinfo.ok || !usable) return `no usable Slurm node (sinfo: ${sinfo.out || 'no output'})`;
  return null;
}

function probeSsh(target: SshTarget | null, config: string): string | null {
  if (!target) return `${config} missing or unreadable`;
  const r = run('ssh', ['-F', target.config, '-o', 'ConnectTimeout=10', target.host, 'true'], 8000);
  return r.ok ? null : `ssh -F ${target.config} ${target.host} true: ${r.out || 'failed'}`;
}

/** Probe a (possibly private) sshd instance; null when it does not answer. */
export function probeSshTarget(instance?: string): SshTarget | null {
  const config = sshConfigPath(instance);
  const target = readSshConfig(config);
  return probeSsh(target, config) === null ? target : null;
}

function resolvable(module: string): boolean {
  try {
    createRequire(import.meta.url).resolve(module);
    return true;
  } catch {
    return false;
  }
}

let cached: TestEnv | undefined;

/** Probe the components (cached per worker; pass refresh to probe again). */
export function testEnv(opts: { refresh?: boolean } = {}): TestEnv {
  if (cached && !opts.refresh) return cached;
  const problems: Partial<Record<Component, string>> = {};
  const slurmProblem = probeSlurm();
  if (slurmProblem) problems.slurm = slurmProblem;
  const config = sshConfigPath();
  const target = readSshConfig(config);
  const sshProblem = probeSsh(target, config);
  if (sshProblem) problems.ssh = sshProblem;
  const rsync = run('rsync', ['--version'], 5000);
  if (!rsync.ok) problems.rsync = rsync.out || 'rsync --version failed';
  const chromium = existsSync(CHROMIUM) ? run(CHROMIUM, ['--headless', '--no-sandbox', '--version'], 10_000) : { ok: false, out: `${CHROMIUM} missing (apt package chromium)` };
  // The browser is driven through playwright-core (a devDependency): a checkout whose node_modules predate it is told to npm ci.
  if (chromium.ok && !resolvable('playwright-core')) Object.assign(chromium, { ok: false, out: 'playwright-core is not installed: run npm ci' });
  if (!chromium.ok) problems.chromium = chromium.out || `${CHROMIUM} --version failed`;
  cached = { slurm: !slurmProblem, ssh: sshProblem ? null : target, rsync: rsync.ok, chromium: chromium.ok, problems };
  return cached;
}

const warned = new Set<string>();

/**
 * Returns true when the caller should SKIP (component missing, not CI), after a
 * visible console.warn. Under CI a missing component throws instead: call it
 * while the test file is collected (e.g. in `describe.skipIf(...)`) so the
 * file fails. Returns false when the component is available.
 */
export function requireComponent(name: string, available: boolean, reason?: string): boolean {
  if (available) return false;
  const why = reason ? ` (${reason})` : '';
  if (isCI()) {
    throw new Error(
      `[eegen test env] required component '${name}' is not available${why}. ` +
        `CI=true, so this fails instead of skipping: run \`${SETUP_COMMAND}\` (as root) before the tests.`,
    );
  }
  if (!warned.has(name)) {
    warned.add(name);
    console.warn(
      `[eegen test env] SKIPPING tests that need '${name}': not available${why}. ` +
        `To run them: sudo ${SETUP_COMMAND}  (see DEVELOPERS.md)`,
    );
  }
  return true;
}

/** `describe.skipIf(skipWithout('slurm', 'ssh'))(...)`: skip (or fail under CI) unless all are available. */
export function skipWithout(...components: Component[]): boolean {
  const env = testEnv();
  let skip = false;
  for (const c of components) {
    const available = c === 'ssh' ? env.ssh !== null : env[c];
    if (requireComponent(c, available, env.problems[c])) skip = true;
  }
  return skip;
}

function script(name: string, env: Record<string, string>): void {
  const r = spawnSync('bash', [resolve(REPO_ROOT, 'scripts', name), ...(name === 'stop-test-env.sh' ? ['--sshd'] : [])], {
    encoding: 'utf8',
    timeout: 60_000,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  if (r.status !== 0) {
    throw new Error(`scripts/${name} failed (${r.error?.message ?? `exit ${r.status}`}):\n${r.stdout}${r.stderr}`);
  }
}

/**
 * Start (or check) an sshd. Without `instance` this is the shared one; with
 * `{ instance, port }` a private sshd (own pid, host alias `eegen-test-<instance>`)
 * that a test may stop and restart without disturbing test files running in
 * parallel. Needs root, like the setup scripts.
 */
export function startTestSshd(opts: { instance?: string; port?: number } = {}): SshTarget {
  const env: Record<string, string> = {};
  if (opts.instance) env.EEGEN_TEST_SSH_INSTANCE = opts.instance;
  if (opts.port !== undefined) env.EEGEN_TEST_SSH_PORT = String(opts.port);
  else if (!opts.instance && !process.env.EEGEN_TEST_SSH_PORT) {
    // Restart the shared sshd on the port it was set up with.
    const existing = readSshConfig(sshConfigPath());
    if (existing) env.EEGEN_TEST_SSH_PORT = String(existing.port);
  }
  script('setup-sshd.sh', env);
  const target = readSshConfig(sshConfigPath(opts.instance));
  if (!target) throw new Error(`no ssh config at ${sshConfigPath(opts.instance)} after setup-sshd.sh`);
  if (!opts.instance) cached = undefined;
  return target;
}

/** Stop an sshd started by startTestSshd / setup-sshd.sh, ending its open sessions. */
export function stopTestSshd(opts: { instance?: string } = {}): void {
  script('stop-test-env.sh', opts.instance ? { EEGEN_TEST_SSH_INSTANCE: opts.instance } : {});
  if (!opts.instance) cached = undefined;
}
