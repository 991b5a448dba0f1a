/**
 * hosts.yaml workdirs and the home directory: `~` and `~/x` are the home directory
 * (os.homedir() for hosts on this machine, the login directory over ssh), never a
 * directory called `~`, never a shell; `~USER/x` is refused with EG6005 at the value.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SourceSet, formatDiagnostics } from '../../src/diagnostics/index.js';
import { hostWorkdir } from '../../src/dispatch/transport.js';
import { isRemote, loadInventory, type HostEntry } from '../../src/inventory/hosts.js';
import { eegen } from '../support/cli.js';
import { tmpDir } from '../support/tree.js';

describe('hosts.yaml workdir with ~', () => {
  it('~USER is EG6005 at the value, with what to write instead; ~ and ~/ load', async () => {
    const dir = tmpDir('eegen-inv-');
    const file = path.join(dir, 'hosts.yaml');
    writeFileSync(file, 'hosts:\n  ok: {kind: local, workdir: "~/runs"}\n  home: {kind: local, workdir: "~"}\n  bad: {kind: ssh, hostname: h, workdir: "~alice/runs"}\n');
    const sources = new SourceSet();
    const { inventory, diagnostics } = await loadInventory(file, sources);
    expect(inventory).toBeUndefined();
    expect(diagnostics.map((d) => d.code)).toEqual(['EG6005']);
    const text = formatDiagnostics(diagnostics, sources);
    expect(text).toMatch(/hosts\.yaml:4:\d+ - error EG6005: The workdir of host "bad" is "~alice\/runs"/);
    expect(text).toMatch(/Write the directory out in full, or use ~\/\.\.\./);
    writeFileSync(file, 'hosts:\n  ok: {kind: local, workdir: "~/runs"}\n  home: {kind: local, workdir: "~"}\n');
    const good = await loadInventory(file);
    expect(good.diagnostics).toEqual([]);
    expect(good.inventory!.hosts.get('ok')!.workdir).toBe('~/runs');
  });

  it('the CLI says EG6005 for a ~USER workdir and exits 1 without a stack trace', () => {
    const dir = tmpDir('eegen-inv-cli-');
    writeFileSync(path.join(dir, 'hosts.yaml'), 'hosts:\n  here: {kind: local, workdir: "~root/x"}\n');
    const r = eegen(['status', path.join(dir, 'nothing'), '--hosts', path.join(dir, 'hosts.yaml'), '--host', 'here']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('error EG6005');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('a host on this machine takes ~ and ~/x from os.homedir() (HOME), whatever the working directory', () => {
    const home = tmpDir('eegen-home-');
    const saved = process.env.HOME;
    process.env.HOME = home;
    try {
      const local = (workdir: string): HostEntry => ({ name: 'here', kind: 'local', workdir });
      expect(hostWorkdir(local('~/runs'), '/out')).toBe(path.join(home, 'runs'));
      expect(hostWorkdir(local('~//a/b'), '/out')).toBe(path.join(home, 'a/b'));
      expect(hostWorkdir(local('~'), '/out')).toBe(home);
      expect(hostWorkdir(local('~/'), '/out')).toBe(home);
      // A scheduler on this machine (no hostname) too; over ssh it stays relative to the login directory.
      expect(hostWorkdir({ name: 'c', kind: 'slurm', workdir: '~/w' }, '/out')).toBe(path.join(home, 'w'));
      const remote: HostEntry = { name: 'r', kind: 'ssh', hostname: 'h', workdir: '~/w' };
      expect(isRemote(remote)).toBe(true);
      expect(hostWorkdir(remote, '/out')).toBe('w');
      // Not a tilde prefix: taken as written (relative to the working directory).
      expect(hostWorkdir(local('a~/b'), '/out')).toBe(path.resolve('a~/b'));
    } finally {
      process.env.HOME = saved;
    }
  });
});
