/**
 * A registry entry is all a scheduler needs: `fakeq`, a fake scheduler made up here (its
 * own submit and cancel commands, job ids `fq:N`, a status query and parser), is added to
 * a dispatch context with `withSchedulers` and nothing else; submit, status and cancel
 * then drive it through the real local runner (bash, real background processes). The
 * default registry is left as it was.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cancel, createContext, status, submit, type BundleStatus, type HostEntry } from '../../src/dispatch/index.js';
import { FINAL_STATES } from '../../src/dispatch/types.js';
import { DEFAULT_SCHEDULERS, schedulerForKind, withSchedulers } from '../../src/scheduler/registry.js';
import type { JobState, SchedulerAdapter, SchedulerJob } from '../../src/scheduler/types.js';
import { quoteLiteral as q } from '../../src/shell/quote.js';
import { tmpDir } from '../support/tree.js';
import { buildExample } from './helpers.js';

/** The fake scheduler's client commands, in `dir/bin`, keeping their state in `dir/state`. */
function fakeq(dir: string): SchedulerAdapter {
  const bin = path.join(dir, 'bin');
  const state = path.join(dir, 'state');
  mkdirSync(bin, { recursive: true });
  mkdirSync(state, { recursive: true });
  const tool = (name: string, text: string): string => {
    const f = path.join(bin, name);
    writeFileSync(f, `#!/usr/bin/env bash\nset -u\nD=${q(state)}\n${text}`);
    chmodSync(f, 0o755);
    return f;
  };
  // Each job its own session (its pid is its process group), its exit status in N.rc.
  const sub = tool(
    'fq-submit',
    `n=$(( $(cat "$D/counter" 2>/dev/null || echo 100) + 1 )); echo "$n" > "$D/counter"
printf '%s\\n' "$PWD" "$@" > "$D/$n.argv"
setsid bash -c 'bash eegen-run.sh "$1" > "fq-$2.out" 2>&1; echo $? > "$3/$2.rc"' fq "$1" "$n" "$D" < /dev/null > /dev/null 2>&1 &
echo $! > "$D/$n.pid"
echo "queued as $n"
`,
  );
  // The job's whole session goes, its recorder too: the scheduler writes the end itself.
  const del = tool('fq-del', `touch "$D/$1.cancelled"; kill -TERM -- "-$(cat "$D/$1.pid")" && echo 143 > "$D/$1.rc"\n`);
  return {
    name: 'fakeq',
    hostKinds: ['fakeq'],
    jobIdPrefix: 'fq',
    submitLine: () => `out=$(cd "$id" && ${q(sub)} "$script" 2>&1) || { emit FAIL "$id" "$(printf '%s' "$out" | oneline)"; return; }
  jid="fq:$(printf '%s' "$out" | sed -n 's/^queued as //p')"`,
    statusCheck: `case \${jid#fq:} in ''|*[!0-9]*) ;; *) printf '%s\\n' "\${jid#fq:}" >> "$ids_file" ;; esac`,
    statusQuery: `if [ -s "$ids_file" ]; then
  emit SCHED fakeq
  D=${q(state)}
  while read -r n; do
    if [ -f "$D/$n.rc" ]; then s=DONE; [ -f "$D/$n.cancelled" ] && s=CANCELLED; printf '@@Q\\t%s %s %s\\n' "$n" "$s" "$(cat "$D/$n.rc")"
    elif kill -0 "$(cat "$D/$n.pid")" 2>/dev/null; then printf '@@Q\\t%s RUN\\n' "$n"; fi
  done < "$ids_file"
fi`,
    parseStatus: (query) =>
      query
        .split('\n')
        .map((l) => /^(\d+) (DONE|CANCELLED|RUN)(?: (\d+))?$/.exec(l))
        .filter((m): m is RegExpExecArray => m !== null)
        .map((m): SchedulerJob => {
          const state: JobState = m[2] === 'RUN' ? 'running' : m[2] === 'CANCELLED' ? 'cancelled' : m[3] === '0' ? 'done' : 'failed';
          return { jobId: m[1]!, state, rawState: m[2]!, ...(m[3] !== undefined ? { exitCode: Number(m[3]) } : {}) };
        }),
    jobKey: (recorded) => recorded,
    cancelLine: (idExpr) => `out=$(${q(del)} ${idExpr} 2>&1)`,
    logName: (pattern) => pattern,
  };
}

/** Poll until `n` bundles have ended, by their records and by the scheduler (its job too has ended). */
async function finished(opts: Parameters<typeof status>[0], n: number, timeoutMs = 60_000): Promise<BundleStatus[]> {
  const t0 = Date.now();
  for (;;) {
    const r = await status(opts);
    if (r.hostErrors.length) throw new Error(JSON.stringify(r.hostErrors));
    if (r.bundles.filter((b) => FINAL_STATES.has(b.state) && b.schedulerState !== 'RUN').length >= n) return r.bundles;
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out: ${JSON.stringify(r.bundles.map((b) => [b.id, b.state]))}`);
    await new Promise((res) => setTimeout(res, 300));
  }
}

describe('a scheduler is one registry entry (fakeq, a fake scheduler: real local processes)', () => {
  it('submit, status and cancel run through a test-only adapter registered in the context; done, failed and cancelled come from its query', async () => {
    const dir = tmpDir('eegen-fakeq-');
    const adapter = fakeq(dir);
    const context = createContext({ schedulers: withSchedulers(DEFAULT_SCHEDULERS, adapter) });
    expect(schedulerForKind('fakeq')).toBeUndefined(); // the default registry is not changed
    const { out } = await buildExample({ edit: (y) => y.replace('command: node', 'command: case {experiment.lr} in 1) exit 3;; 0.1) sleep 120;; esac; node') });
    const host = { name: 'fq-host', kind: 'fakeq', scheduler: 'bash', workdir: path.join(dir, 'work') } as unknown as HostEntry;
    const only = ['lr-0.01_epochs-5_repeat-1', 'lr-1_epochs-5_repeat-1', 'lr-0.1_epochs-5_repeat-1'];

    // Without the entry the host has no scheduler: a bug-level error, not a silent fallback.
    await expect(submit({ out, hosts: [host], only })).rejects.toThrow(/no scheduler runs hosts of kind "fakeq"/);

    // --array asks for arrays, which fakeq does not have: each bundle is submitted on its own.
    const r = await submit({ out, hosts: [host], only, context, array: true });
    expect(r.hosts[0], JSON.stringify(r.hosts[0])).toMatchObject({ ok: true, failed: [] });
    expect(r.hosts[0]!.submitted.map((s) => s.jobId).sort()).toEqual(['fq:101', 'fq:102', 'fq:103']);
    // fq-submit ran in the bundle's directory on the host (seen through the output directory's view), given the bundle's script.
    const jobOf = new Map(r.hosts[0]!.submitted.map((x) => [x.id, x.jobId]));
    const argv = readFileSync(path.join(dir, 'state', `${jobOf.get('lr-0.01_epochs-5_repeat-1')!.slice(3)}.argv`), 'utf8').split('\n');
    expect(argv[0]).toMatch(new RegExp(`^${path.join(dir, 'work')}/\\.eegen/by-out/[0-9a-f]{16}/lr-0\\.01_epochs-5_repeat-1$`));
    expect(argv[1]).toBe('job.sh');

    const ended = await finished({ out, hosts: [host], only, context }, 2);
    const by = new Map(ended.map((b) => [b.id, b]));
    expect(by.get('lr-0.01_epochs-5_repeat-1')).toMatchObject({ state: 'done', exitCode: 0, schedulerState: 'DONE' });
    expect(by.get('lr-1_epochs-5_repeat-1')).toMatchObject({ state: 'failed', exitCode: 3, schedulerState: 'DONE' });
    expect(by.get('lr-0.1_epochs-5_repeat-1')).toMatchObject({ state: 'running', schedulerState: 'RUN' });

    const c = await cancel({ out, hosts: [host], only, context });
    expect(c.failed).toEqual([]);
    const sleeper = jobOf.get('lr-0.1_epochs-5_repeat-1')!;
    expect(c.cancelled.map((x) => x.jobId)).toEqual([sleeper]);
    expect(existsSync(path.join(dir, 'state', `${sleeper.slice(3)}.cancelled`))).toBe(true);
    const after = await finished({ out, hosts: [host], only, context }, 3);
    expect(after.find((b) => b.id === 'lr-0.1_epochs-5_repeat-1')).toMatchObject({ state: 'cancelled', schedulerState: 'CANCELLED', why: 'cancelled by eegen cancel' });
    // A second submit finds every recorded job: nothing runs twice.
    const again = await submit({ out, hosts: [host], only, context });
    expect(again.hosts[0]!.submitted).toEqual([]);
    expect(again.alreadyThere).toHaveLength(3);
  });
});
