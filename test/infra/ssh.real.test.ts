// Smoke tests for the loopback sshd + rsync from scripts/setup-sshd.sh.
import { createServer } from 'node:net';
import { chmod, mkdir, mkdtemp, readFile, rm, symlink, writeFile, readlink, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probeSshTarget, rsyncRsh, skipWithout, sshArgs, startTestSshd, stopTestSshd, testEnv } from '../support/env.js';
import { cmd } from './slurm-helpers.js';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

describe.skipIf(skipWithout('ssh', 'rsync'))('ssh + rsync over the loopback sshd', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'eegen-infra-ssh-'));
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('runs a command through the test sshd', async () => {
    const ssh = testEnv().ssh!;
    expect(ssh).toMatchObject({ host: 'eegen-test', hostName: '127.0.0.1' });
    const r = await cmd('ssh', [...sshArgs(ssh), ssh.host, 'echo $((6*7)); echo "$SSH_CONNECTION"; command -v sbatch rsync']);
    expect(r.code, r.stderr).toBe(0);
    const [answer, conn] = r.stdout.split('\n');
    expect(answer).toBe('42');
    expect(conn).toMatch(new RegExp(`^127\\.0\\.0\\.1 \\d+ 127\\.0\\.0\\.1 ${ssh.port}$`));
    expect(r.stdout).toMatch(/\/rsync$/m);
  });

  it('rsync copies a tree over ssh and a second rsync is a no-op', async () => {
    const ssh = testEnv().ssh!;
    const src = join(dir, 'src');
    const dst = join(dir, 'dst');
    await mkdir(join(src, 'a', 'b c'), { recursive: true });
    await writeFile(join(src, 'top.txt'), 'top\n');
    await writeFile(join(src, 'a', 'b c', 'deep file.txt'), 'deep\n');
    await writeFile(join(src, 'a', 'run.sh'), '#!/bin/sh\necho hi\n');
    await chmod(join(src, 'a', 'run.sh'), 0o755);
    await symlink('top.txt', join(src, 'link'));

    const rsync = (extra: string[] = []) =>
      cmd('rsync', ['-a', '--itemize-changes', '-e', rsyncRsh(ssh), ...extra, `${src}/`, `${ssh.host}:${dst}/`]);
    const first = await rsync();
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/deep file\.txt/);
    expect(await readFile(join(dst, 'a', 'b c', 'deep file.txt'), 'utf8')).toBe('deep\n');
    expect((await stat(join(dst, 'a', 'run.sh'))).mode & 0o111).toBe(0o111);
    expect(await readlink(join(dst, 'link'))).toBe('top.txt');

    const second = await rsync();
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toBe('');
  });

  it('a private sshd instance can be stopped (connections fail) and started again', async () => {
    const port = await freePort();
    const instance = 'infra-smoke'; // fixed name: files under /var/lib/eegen-test are reused, not piled up
    try {
      const target = startTestSshd({ instance, port });
      expect(target).toMatchObject({ host: `eegen-test-${instance}`, port });
      expect(probeSshTarget(instance)).not.toBeNull();

      stopTestSshd({ instance });
      const down = await cmd('ssh', [...sshArgs(target), target.host, 'true']);
      expect(down.code).toBe(255);
      expect(down.stderr).toMatch(/Connection refused/);

      startTestSshd({ instance, port });
      const up = await cmd('ssh', [...sshArgs(target), target.host, 'echo back']);
      expect(up.stdout.trim()).toBe('back');
    } finally {
      stopTestSshd({ instance });
    }
    // The shared sshd was not affected.
    expect(probeSshTarget()).not.toBeNull();
  }, 60_000);
});
