/**
 * ssh work directories as users write them: omitted (the default), relative to the login
 * directory (the README's `workdir: runs`), `~/...`, with a space; and hostile ones, which
 * must never run anything. Real sshd and rsync on loopback.
 */
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { submit } from '../../src/dispatch/index.js';
import { skipWithout, testEnv } from '../support/env.js';
import { tmpDir } from '../support/tree.js';
import { buildExample, inventory, waitFinished } from './helpers.js';

const cleanups: string[] = [];
afterAll(() => {
  for (const d of cleanups) rmSync(d, { recursive: true, force: true });
});

describe.skipIf(skipWithout('ssh', 'rsync'))('ssh work directories (real sshd and rsync)', () => {
  it('omitted, relative, ~/ and with a space: submit copies, runs and finishes', async () => {
    const { ssh } = testEnv();
    const tag = `eegen-wd-test-${process.pid}-${Date.now()}`;
    const home = ssh!.user === 'root' ? '/root' : homedir();
    const cases: [string, string, string][] = [
      ['relative', `workdir: ${tag}/runs`, `${home}/${tag}/runs`],
      ['tilde', `workdir: "~/${tag}/t"`, `${home}/${tag}/t`],
      ['space', `workdir: "${tag}/with space"`, `${home}/${tag}/with space`],
      ['default', '', `${home}/eegen-runs/${tag}`],
    ];
    cleanups.push(path.join(home, tag), path.join(home, 'eegen-runs', tag));
    for (const [name, line, where] of cases) {
      const { dir, out } = await buildExample({ out: path.join(tmpDir(), tag) });
      const hosts = await inventory(dir, `hosts:\n  box: {kind: ssh, hostname: ${ssh!.host}, ssh_config: ${ssh!.config}${line ? `, ${line}` : ''}, slots: 4}\n`);
      const r = await submit({ out, hosts: [hosts.get('box')!] });
      expect(r.hosts[0], `${name}: ${JSON.stringify(r.hosts[0])}`).toMatchObject({ ok: true, failed: [] });
      expect(r.hosts[0]!.submitted, name).toHaveLength(12);
      const done = await waitFinished(out, [hosts.get('box')!], 120_000);
      expect(done.map((b) => b.state), name).toEqual(Array(12).fill('done'));
      // Bundles live in content-addressed directories <id>-<hash12> (transport.remoteDirName).
      const ran = readdirSync(where).filter((d) => d.startsWith('lr-0.01_epochs-5_repeat-1-') && existsSync(path.join(where, d, 'result.json')));
      expect(ran, `${name}: results in ${where}`).toHaveLength(1);
    }
  }, 300_000);

  it('hostile work directories (on ssh and local hosts) never run anything', async () => {
    const { ssh } = testEnv();
    const pwned = `/tmp/eegen-wd-pwned-${process.pid}`;
    for (const wd of [`x; touch ${pwned}`, `$(touch ${pwned})`, `\`touch ${pwned}\``, `-rf; touch ${pwned}`, `x' ; touch ${pwned}; '`]) {
      const { dir, out } = await buildExample();
      const base = tmpDir('eegen-wd-hostile-');
      const hosts = await inventory(dir, `hosts:\n  box: {kind: ssh, hostname: ${ssh!.host}, ssh_config: ${ssh!.config}, workdir: ${JSON.stringify(`${base}/${wd}`)}}\n  here: {kind: local, workdir: ${JSON.stringify(`${base}/${wd}`)}}\n`);
      for (const h of ['box', 'here']) await submit({ out, hosts: [hosts.get(h)!] });
      expect(existsSync(pwned), wd).toBe(false);
    }
  }, 300_000);
});
