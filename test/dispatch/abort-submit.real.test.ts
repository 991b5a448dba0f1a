/**
 * An aborted submit leaves what kill -9 would: every bundle submitted once (by the host's
 * detached script, which finishes what it claimed) or untouched, never half. Aborted at
 * several moments of a real submit (asking the host, copying with rsync, the submit script
 * on the host, just after it started), then submitted again without abort: every bundle
 * runs exactly once in total, on the real sshd and on local processes.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { hostsToAsk, isAbortError, realRunner, status, submit, type HostEntry, type Runner } from '../../src/index.js';
import { workdirOf } from '../../src/dispatch/transport.js';
import { parseEvents } from '../../src/results/index.js';
import { skipWithout, testEnv } from '../support/env.js';
import { tmpDir } from '../support/tree.js';
import { buildExample, inventory } from './helpers.js';

const quick = (y: string) => y.replace('command: node train.mjs', 'command: true || node train.mjs');

function starts(dir: string, id: string): number {
  const f = path.join(dir, id, 'eegen-run', 'events.jsonl');
  return existsSync(f) ? parseEvents(readFileSync(f, 'utf8')).value.filter((e) => e.event === 'start').length : 0;
}

/** Until every bundle is done (a bundle the first, aborted submit claimed may get its job id a moment later). */
async function allDone(out: string, hosts: HostEntry[], n: number): Promise<void> {
  const t0 = Date.now();
  for (;;) {
    const r = await status({ out, hosts });
    if (r.bundles.length === n && r.bundles.every((b) => b.state === 'done')) return;
    if (Date.now() - t0 > 90_000) throw new Error(`not all done: ${JSON.stringify(r.bundles.map((b) => [b.id, b.state]))}`);
    await new Promise((res) => setTimeout(res, 300));
  }
}

/** A runner that aborts `ac` `delay` ms after a command whose purpose starts with `stage` starts. */
function abortAt(ac: AbortController, stage: string, delay: number): Runner {
  return {
    run(cmd, o) {
      if (cmd.purpose.startsWith(stage)) setTimeout(() => ac.abort(), delay);
      return realRunner.run(cmd, o);
    },
  };
}

async function trial(kind: 'ssh' | 'local', stage: string, delay: number): Promise<'aborted' | 'finished'> {
  const { dir, out, count } = await buildExample({ edit: quick });
  const { ssh } = testEnv();
  const work = path.join(tmpDir('eegen-abort-submit-'), 'w');
  const hosts = await inventory(dir, kind === 'ssh' ? `hosts:\n  box: {kind: ssh, hostname: ${ssh!.host}, ssh_config: ${ssh!.config}, workdir: ${work}, slots: 4}\n` : 'hosts:\n  here: {kind: local, slots: 4}\n');
  const h = hosts.get(kind === 'ssh' ? 'box' : 'here')!;
  const ac = new AbortController();
  const first = await submit({ out, hosts: [h], runner: abortAt(ac, stage, delay), signal: ac.signal }).then(
    () => 'finished' as const,
    (e: unknown) => {
      if (!isAbortError(e)) throw e;
      return 'aborted' as const;
    },
  );
  if (stage !== 'status') {
    // The host was written into the ledger before anything was sent to it: status without
    // --host asks it.
    expect((await hostsToAsk(out, { hosts }, [])).map((x) => x.name)).toEqual([h.name]);
  }
  const again = await submit({ out, hosts: [h] });
  expect(again.hosts[0]!.ok, JSON.stringify(again.hosts[0])).toBe(true);
  await allDone(out, [h], count);
  const view = kind === 'ssh' ? workdirOf(h, out) : out;
  const { readIndex } = await import('../../src/dispatch/outdir.js');
  const counts = (await readIndex(out)).bundles.map((b) => [b.id, starts(view, b.id)] as const);
  expect(counts.filter(([, n]) => n !== 1), `${kind} ${stage}+${delay}ms (${first})`).toEqual([]);
  return first;
}

describe.skipIf(skipWithout('ssh', 'rsync'))('submit aborted at any moment: each bundle once, in total, after a second submit', () => {
  it('ssh host: aborted while asking, while copying, and while (and just after) the submit script runs', async () => {
    const results: string[] = [];
    for (const [stage, delay] of [
      ['status', 0],
      ['copy', 0],
      ['copy', 60],
      ['verify and submit', 0],
      ['verify and submit', 120],
      ['verify and submit', 400],
    ] as const) {
      results.push(`${stage}+${delay}: ${await trial('ssh', stage, delay)}`);
    }
    // The early moments certainly aborted (the later ones may have finished first: also fine).
    expect(results.slice(0, 2).every((r) => r.endsWith('aborted')), results.join('; ')).toBe(true);
  }, 400_000);

  it('local host: aborted while asking and while (and just after) the submit script runs', async () => {
    const results: string[] = [];
    for (const [stage, delay] of [
      ['status', 0],
      ['verify and submit', 0],
      ['verify and submit', 30],
      ['verify and submit', 150],
    ] as const) {
      results.push(`${stage}+${delay}: ${await trial('local', stage, delay)}`);
    }
    expect(results[0], results.join('; ')).toMatch(/aborted$/);
  }, 300_000);
});
