/**
 * collect never puts a result of other content into a row: a run counts for a bundle only
 * when the content it ran (sha256 of SHA256SUMS, recorded by eegen-run.sh at start; else
 * the submit record) is the local bundle's. Real runs on the local host and the ssh host.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { build } from '../../src/build.js';
import { collect, status, submit, type HostEntry } from '../../src/dispatch/index.js';
import { mergeRows } from '../../src/dispatch/collect.js';
import { LOCAL_HOST } from '../../src/inventory/hosts.js';
import { readIndex } from '../../src/dispatch/outdir.js';
import { workdirOf } from '../../src/dispatch/transport.js';
import { skipWithout, testEnv } from '../support/env.js';
import { tmpDir, treeFingerprint } from '../support/tree.js';
import { buildExample, inventory, waitFinished } from './helpers.js';

const X = 'lr-1_epochs-5_repeat-1';
const Y = 'lr-0.1_epochs-5_repeat-1';

/** Where a bundle of `out` lives on host `h`. */
function hostBundleDir(h: HostEntry, out: string, id: string): string {
  return path.join(workdirOf(h, out), id);
}

function resultKeys(row: Record<string, unknown>): string[] {
  return Object.keys(row).filter((k) => k === 'accuracy' || k === 'loss' || k.startsWith('result.') || k.startsWith('timer.') || k.startsWith('fp.') || k === 'energy_j');
}

describe('results of other content are never taken', () => {
  it('merging: an earlier row of another bundle hash never survives, not even as "says more"', () => {
    const old = { id: 'b1', host: 'h', jobId: 'local:1', state: 'done', accuracy: 0.9, bundleHash: 'aaa' };
    const fresh = { id: 'b1', host: null, jobId: null, state: 'built', bundleHash: 'bbb' };
    expect(mergeRows([old], [fresh]).rows).toEqual([fresh]);
    // Same content: the row that says more stays (an unreachable host does not erase results).
    expect(mergeRows([old], [{ ...fresh, bundleHash: 'aaa' }]).rows).toEqual([old]);
  });

  it('local host: after a rebuild the old run in OUT/<bundle> is not this bundle\'s; its values leave the row, also when not collected again', async () => {
    const { out, dir } = await buildExample();
    await submit({ out, hosts: [LOCAL_HOST], only: [X, Y] });
    await waitFinished(out, [LOCAL_HOST]);
    const first = await collect({ out, hosts: [LOCAL_HOST] });
    expect(typeof first.rows.find((r) => r.id === X)!.accuracy).toBe('number');
    expect(first.rows.find((r) => r.id === X)!.runHash).toBe(first.rows.find((r) => r.id === X)!.bundleHash);
    // New content for every bundle (an extra flag for the program), same ids.
    const config = path.join(dir, 'config.yaml');
    writeFileSync(config, readFileSync(config, 'utf8').replace('--seed', '--verbose --seed'));
    const rebuilt = await build({ config, out });
    expect(rebuilt.ok).toBe(true);
    const index = await readIndex(out);
    const hashX = index.bundles.find((b) => b.id === X)!.hash;
    expect(hashX).not.toBe(first.rows.find((r) => r.id === X)!.bundleHash);

    // Only Y collected: X's earlier row (old content) loses its values too.
    const onlyY = await collect({ out, hosts: [LOCAL_HOST], only: [Y] });
    const rowX1 = onlyY.rows.find((r) => r.id === X)!;
    expect(rowX1).toMatchObject({ state: 'other-content', bundleHash: hashX });
    expect(resultKeys(rowX1)).toEqual([]);

    const c = await collect({ out, hosts: [LOCAL_HOST] });
    const rowX = c.rows.find((r) => r.id === X)!;
    expect(rowX).toMatchObject({ id: X, lr: 1, state: 'other-content', bundleHash: hashX, exitCode: null });
    expect(String(rowX.note)).toMatch(/is of other bundle content .*were not taken; submit this bundle again/);
    expect(resultKeys(rowX)).toEqual([]);
    expect(c.problems.join('\n')).toContain(`${X}: the run on local`);
    const csv = readFileSync(path.join(out, 'results.csv'), 'utf8');
    const header = csv.split('\n')[0]!.split(',');
    const line = csv.split('\n').find((l) => l.startsWith(`${X},`))!.split(',');
    expect(line[header.indexOf('state')]).toBe('other-content');
    expect(line[header.indexOf('accuracy')] ?? '').toBe('');
    // Submitting again (retry) runs the new content, and then its values are taken.
    expect((await status({ out, hosts: [LOCAL_HOST], only: [X] })).bundles[0]).toMatchObject({ state: 'done', changedSinceSubmit: true });
  }, 120_000);

  it('local host: a retry starts from the bundle as built, keeps the earlier run, and a result.json older than the run is not taken', async () => {
    const marks = tmpDir('eegen-content-marks-');
    const { out } = await buildExample({
      edit: (y) => y.replace('command: node', `command: test -e ${marks}/marker && exit 4; touch ${marks}/marker; node`).replace('--seed {experiment.repeat}', '--seed {experiment.repeat}; exit 3'),
    });
    await submit({ out, hosts: [LOCAL_HOST], only: [X] });
    await waitFinished(out, [LOCAL_HOST]);
    const first = await collect({ out, hosts: [LOCAL_HOST], only: [X] });
    const row1 = first.rows.find((r) => r.id === X)!;
    expect(row1).toMatchObject({ state: 'failed', exitCode: 3, run: 1 });
    expect(typeof row1['result.accuracy']).toBe('number');
    await submit({ out, hosts: [LOCAL_HOST], only: [X], retryFailed: true });
    await waitFinished(out, [LOCAL_HOST]);
    const again = await collect({ out, hosts: [LOCAL_HOST], only: [X] });
    const row = again.rows.find((r) => r.id === X)!;
    expect(row).toMatchObject({ state: 'failed', exitCode: 4, run: 2 });
    // Its own fingerprint is there; the first run's result.json, timers and MLLOG values are not.
    expect(resultKeys(row).filter((k) => !k.startsWith('fp.'))).toEqual([]);
    // The first run was moved aside whole, and is the first of the bundle's two rows in results-all.
    const kept = path.join(out, X, 'eegen-run.attempt-1', 'files', 'result.json');
    expect(existsSync(kept)).toBe(true);
    expect(existsSync(path.join(out, X, 'result.json'))).toBe(false);
    expect(again.allRows.filter((r) => r.id === X).map((r) => [r.run, r.exitCode, typeof r['result.accuracy']])).toEqual([
      [1, 3, 'number'],
      [2, 4, 'undefined'],
    ]);
    // A result.json put back by hand, older than the run that counts, is still not taken.
    cpSync(kept, path.join(out, X, 'result.json'));
    utimesSync(path.join(out, X, 'result.json'), new Date(Date.parse(String(row1.start)) - 60_000), new Date(Date.parse(String(row1.start)) - 60_000));
    const third = await collect({ out, hosts: [LOCAL_HOST], only: [X] });
    expect(resultKeys(third.rows.find((r) => r.id === X)!).filter((k) => !k.startsWith('fp.'))).toEqual([]);
    expect(third.problems.join('\n')).toContain(`${X}/result.json is older than the run that counts`);
  }, 60_000);

  it.skipIf(skipWithout('ssh', 'rsync'))('ssh host: a run of another build under the same bundle id is not collected, and nothing lands over the local bundle', async () => {
    const { ssh } = testEnv();
    const work = tmpDir('eegen-content-');
    const a = await buildExample();
    const b = await buildExample({ edit: (y) => y.replace('--seed', '--verbose --seed') });
    const yaml = `hosts:\n  box: {kind: ssh, hostname: ${ssh!.host}, ssh_config: ${ssh!.config}, workdir: ${work}/box, slots: 2}\n`;
    const boxA = (await inventory(a.dir, yaml)).get('box')!;
    const boxB = (await inventory(b.dir, yaml)).get('box')!;
    await submit({ out: a.out, hosts: [boxA], only: [X] });
    const ranA = await waitFinished(a.out, [boxA]);
    expect(ranA.find((s) => s.id === X)!.state).toBe('done');
    // Put A's run where B's bundle lives on the host (what the old shared default workdir did).
    const from = hostBundleDir(boxA, a.out, X);
    const to = hostBundleDir(boxB, b.out, X);
    if (from !== to) expect(spawnSync('bash', ['-c', 'rm -rf "$2" && mkdir -p "$(dirname "$2")" && cp -a "$1" "$2"', '_', from, to]).status).toBe(0);
    const before = treeFingerprint(path.join(b.out, X));

    const st = await status({ out: b.out, hosts: [boxB], only: [X] });
    expect(st.bundles[0]).toMatchObject({ host: 'box', changedSinceSubmit: true });
    const c = await collect({ out: b.out, hosts: [boxB] });
    expect(c.hostErrors).toEqual([]);
    const row = c.rows.find((r) => r.id === X)!;
    expect(row).toMatchObject({ state: 'other-content', host: 'box' });
    expect(resultKeys(row)).toEqual([]);
    expect(String(row.note)).toMatch(/^the run on box \(local:\d+\) is of other bundle content/);
    // Nothing was copied over B's bundle: same files, same bytes.
    expect(treeFingerprint(path.join(b.out, X))).toBe(before);
    expect(c.pending.ids).toEqual([]);
    // A itself collects its own run normally.
    const ca = await collect({ out: a.out, hosts: [boxA] });
    expect(ca.rows.find((r) => r.id === X)).toMatchObject({ state: 'done', host: 'box' });
    expect(typeof ca.rows.find((r) => r.id === X)!.accuracy).toBe('number');
  }, 120_000);
});
