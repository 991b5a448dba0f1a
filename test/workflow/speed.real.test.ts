/**
 * What makes a large workflow fast without giving anything up (issue 11's fan-out bench):
 * completion is noticed from the local run records (RunWatch), not at the next poll; a node
 * that ended is not asked about again; submit decides from the look just taken instead of
 * asking the host again. Real local runs through the dispatcher; the runner only records.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { realRunner, type Command, type Runner } from '../../src/dispatch/index.js';
import { selectBundles } from '../../src/dispatch/outdir.js';
import { idMatcher } from '../../src/load/glob.js';
import { AbortError } from '../../src/util/abort.js';
import { runWorkflow } from '../../src/workflow/run.js';
import type { WorkflowEvent } from '../../src/workflow/types.js';
import { MIN_GAP_MS, RunWatch } from '../../src/workflow/wake.js';
import { tmpDir } from '../support/tree.js';
import { load, starts, workflowDir } from './helpers.js';

/** The ids a status script asks about (its EEGEN_IDS here-document). */
function askedIds(cmd: Command): string[] | undefined {
  if (!cmd.purpose.startsWith('status of')) return undefined;
  const m = /<<'EEGEN_IDS'\n([\s\S]*?)\nEEGEN_IDS/.exec(cmd.input ?? '');
  return m ? m[1]!.split('\n').filter(Boolean) : [];
}

type Entry = { cmd: Command } | { event: WorkflowEvent };

function recording(): { runner: Runner; log: Entry[]; onEvent: (e: WorkflowEvent) => void } {
  const log: Entry[] = [];
  return {
    log,
    onEvent: (event) => log.push({ event }),
    runner: {
      run(cmd, opts) {
        log.push({ cmd });
        return realRunner.run(cmd, opts);
      },
    },
  };
}

const fanout = (n: number) => {
  const lines = ['workflow:', '  nodes:', '    fetch:', '      host: box', '      exec: echo fetched > data.txt'];
  for (let i = 1; i <= n; i++) lines.push(`    c${i}:`, '      host: box', `      exec: echo ${i} > out.txt`, '      needs: fetch');
  lines.push('    analyze:', '      host: box', '      exec: echo done > summary.txt', `      needs: c[1-${n}]`, '');
  return lines.join('\n');
};

describe('eegen workflow: speed without shortcuts (real local processes)', () => {
  it('notices a local node ended from its run record, long before the poll interval (20 s)', async () => {
    const { file } = workflowDir('workflow:\n  nodes:\n    a:\n      exec: echo a\n    b:\n      exec: echo b\n      needs: a\n    c:\n      exec: echo c\n      needs: b\n');
    const spec = await load(file);
    const t0 = Date.now();
    const r = await runWorkflow(spec, { pollMs: 20_000 });
    expect(r.ok).toBe(true);
    // Three nodes one after the other, each waited for: three poll intervals (60 s) without the watch.
    expect(Date.now() - t0).toBeLessThan(10_000);
    for (const n of ['a', 'b', 'c']) expect(starts(spec, n)).toBe(1);
  });

  it('asks no host about a node that ended, and submit asks no host before it decides', async () => {
    const n = 12;
    const { file } = workflowDir(fanout(n), { 'hosts.yaml': 'hosts:\n  box:\n    kind: local\n    slots: 4\n' });
    const spec = await load(file);
    const rec = recording();
    const r = await runWorkflow(spec, { pollMs: 5000, runner: rec.runner, onEvent: rec.onEvent });
    expect(r.ok).toBe(true);
    const ended = new Set<string>();
    let statusCommands = 0;
    let ticks = 0;
    for (const e of rec.log) {
      if ('event' in e) {
        if (e.event.type === 'done') ended.add(e.event.node);
        if (e.event.type === 'status') ticks++;
        continue;
      }
      const ids = askedIds(e.cmd);
      if (!ids) continue;
      statusCommands++;
      // Once reported done, a node is never in a later status script.
      expect(ids.filter((id) => ended.has(id))).toEqual([]);
    }
    // One status round trip per look (one host): none before a submit.
    expect(statusCommands).toBeLessThanOrEqual(ticks);
    expect(rec.log.filter((e) => 'cmd' in e && e.cmd.purpose.startsWith('verify and submit')).length).toBeGreaterThanOrEqual(Math.ceil(n / 4));
    for (const x of ['fetch', 'analyze', ...Array.from({ length: n }, (_, i) => `c${i + 1}`)]) expect(starts(spec, x), x).toBe(1);
  });
});

describe('RunWatch', () => {
  it('a change in a watched directory ends the wait early, not before MIN_GAP_MS after the last; without one the timer does', async () => {
    const dir = tmpDir('eegen-watch-');
    const w = new RunWatch();
    w.watch([dir, path.join(dir, 'not-there')]);
    expect(w.size).toBe(1);
    let t = Date.now();
    await w.wait(150);
    expect(Date.now() - t).toBeGreaterThanOrEqual(140);
    t = Date.now();
    setTimeout(() => writeFileSync(path.join(dir, 'events.jsonl'), '{}\n'), 50);
    await w.wait(10_000);
    const took = Date.now() - t;
    expect(took).toBeLessThan(2000);
    expect(took).toBeGreaterThanOrEqual(MIN_GAP_MS - 10);
    // A change while nobody waits is not lost: the next wait is short.
    writeFileSync(path.join(dir, 'events.jsonl'), '{}\n{}\n');
    await new Promise((r) => setTimeout(r, 200));
    t = Date.now();
    await w.wait(10_000);
    expect(Date.now() - t).toBeLessThan(2000);
    // No longer watched: a change there does not end the wait.
    w.watch([]);
    expect(w.size).toBe(0);
    t = Date.now();
    setTimeout(() => writeFileSync(path.join(dir, 'events.jsonl'), 'x\n'), 20);
    await w.wait(400);
    expect(Date.now() - t).toBeGreaterThanOrEqual(390);
    w.close();
  });

  it('an abort rejects the wait with AbortError and stops watching', async () => {
    const w = new RunWatch();
    w.watch([tmpDir('eegen-watch-')]);
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 30);
    await expect(w.wait(10_000, ac.signal)).rejects.toBeInstanceOf(AbortError);
    expect(w.size).toBe(0);
  });
});

describe('selectBundles with many plain ids (looked up, not matched)', () => {
  it('selects exactly what matching every pattern selects, with globs and ! patterns mixed in', () => {
    const bundles = ['a', 'a1', 'b.2', 'c-3', 'x_y', 'ab', 'b22', 'c'].map((id) => ({ id }));
    const cases = [['a'], ['a', 'b.2'], ['a*', 'c'], ['a', '!a'], ['a1', 'b?2', '!b22'], ['c-3', 'x_y', 'ab', 'c'], ['{a,c}', 'b.2'], ['!c*']];
    for (const only of cases) {
      const keep = only.filter((p) => !p.startsWith('!')).map(idMatcher);
      const drop = only.filter((p) => p.startsWith('!')).map((p) => idMatcher(p.slice(1)));
      const want = bundles.filter((b) => (keep.length === 0 || keep.some((m) => m(b.id))) && !drop.some((m) => m(b.id))).map((b) => b.id);
      if (!want.length) expect(() => selectBundles(bundles, only)).toThrow();
      else expect(selectBundles(bundles, only).map((b) => b.id), only.join(' ')).toEqual(want);
    }
  });
});
