/**
 * `eegen collect`: bring run outputs home (one rsync per host) and merge them into
 * one table per output directory — OUT/results.csv and OUT/results.jsonl, one row
 * per bundle — with parameters, where and how it ran, timers, MLCommons results,
 * result.json, energy and provenance. Collecting again, or from more hosts, updates
 * rows in place; a bundle finished on two hosts with different results is reported.
 */
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { bestEnergy, energyCounters, mlResults, parseEvents, parseFingerprint, parseMlLog, parsePowerTrace, parseStopWatch, readResultJson, summarizeRun } from '../results/index.js';
import type { Fingerprint } from '../results/index.js';
import { parseYaml } from '../load/index.js';
import { setting } from '../validate/settings.js';
import { LAYOUT, type Mapping, type Value } from '../types.js';
import { EEGEN_VERSION } from '../version.js';
import { parseChecksums } from '../write/manifest.js';
import { writeFileAtomic } from '../write/state.js';
import { throwIfAborted } from './abort.js';
import { DISPATCH_CODES, hostError, type HostError } from './codes.js';
import { contextFor } from './context.js';
import type { HostEntry } from '../inventory/hosts.js';
import { readIndex, selectBundles, type IndexedBundle } from './outdir.js';
import { askHost, answerError, combine, type BundleStatus } from './status.js';
import { needsCopy, pullCommand } from './transport.js';
import { RUN_LAYOUT, type DispatchCallOptions } from './types.js';

export interface CollectOptions extends DispatchCallOptions {
  /** The output directory of a build. */
  out: string;
  /** Hosts to collect from (default: every host in the ledger plus these). */
  hosts: HostEntry[];
  only?: string[];
  /** rsync patterns of files not to bring back (large checkpoints, datasets). */
  exclude?: string[];
  /** JSON Schema that each result.json must satisfy. */
  resultSchema?: object;
}

export type Row = Record<string, Value>;

export interface CollectResult {
  /** One row per bundle, keyed by bundle id; as written to results.jsonl. */
  rows: Row[];
  /** The column of each parameter, in index order (see paramColumn). */
  paramColumns: string[];
  /** Bundles still submitted, queued or running: their rows are partial. */
  pending: Pending;
  /** Bundles that finished on more than one host/job with different results. */
  conflicts: { id: string; kept: string; other: string }[];
  /** Hosts that could not be asked or copied from (EG6010, EG6014); the others were collected. */
  hostErrors: HostError[];
  problems: string[];
  files: { csv: string; jsonl: string; allCsv: string; allJsonl: string };
  /** Every run of every bundle (results-all.jsonl): earlier runs kept by `submit --retry`, then the latest. */
  allRows: Row[];
  /** Log files of the runs that ended badly (failed, killed, timeout, oom, lost): on the host, and in OUT after this collect. */
  logs: { id: string; host: string; file: string; onHost: string; local: string }[];
}

async function readText(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch {
    return undefined;
  }
}

/**
 * A file this run wrote: one last modified before the run started (less a second for clocks
 * that write whole seconds) is left from an earlier run (files a run wrote are never deleted)
 * and is not this run's result.
 */
async function runText(file: string, since: number | undefined): Promise<string | undefined> {
  if (since !== undefined) {
    try {
      if ((await stat(file)).mtimeMs < since) return undefined;
    } catch {
      return undefined;
    }
  }
  return readText(file);
}

/** Logs a run wrote: the launcher's output.log and any *.out / *.log in the bundle. */
async function logTexts(dir: string, since?: number): Promise<string> {
  const names: string[] = [];
  try {
    for (const f of await readdir(dir)) if (/\.(out|log|err)$/.test(f)) names.push(f);
  } catch {
    return '';
  }
  const texts = await Promise.all([RUN_LAYOUT.output, ...names.sort()].map((n) => runText(path.join(dir, n), since)));
  return texts.filter((t): t is string => t !== undefined).join('\n');
}

function flattenFingerprint(fp: Fingerprint | undefined, row: Row): void {
  if (!fp) return;
  if (fp.cpu?.model) row['fp.cpu'] = fp.cpu.model;
  if (fp.cpu?.cores !== undefined) row['fp.cores'] = fp.cpu.cores;
  const gpu = fp.gpus?.[0];
  if (gpu) {
    row['fp.gpu'] = fp.gpus!.length > 1 ? `${fp.gpus!.length}x ${gpu.name}` : gpu.name;
    if (gpu.driver) row['fp.driver'] = gpu.driver;
  }
  if (fp.cuda) row['fp.cuda'] = fp.cuda;
  if (fp.os) row['fp.os'] = [fp.os.name, fp.os.kernel].filter(Boolean).join(' ');
}

/** The schema the bundle's frozen config names under results.schema (a file inside the bundle); `schemas` caches them by text. */
async function bundleResultSchema(dir: string, problems: string[], schemas: Map<string, object | undefined>): Promise<object | undefined> {
  const text = await readText(path.join(dir, 'config.yaml'));
  const config = text ? (parseYaml('config.yaml', text).loaded?.data as Mapping | undefined) : undefined;
  // Read as every setting is: from the eegen: section when the config has one (a top-level results: is then the user's).
  const ref = config ? setting<Mapping>(config, 'results')?.schema : undefined;
  if (typeof ref !== 'string') return undefined;
  const file = path.join(dir, ref);
  const schemaText = await readText(file);
  if (schemaText === undefined) {
    problems.push(`${path.basename(dir)}: results.schema ${ref} is not in the bundle (list it under files:)`);
    return undefined;
  }
  if (!schemas.has(schemaText)) {
    try {
      schemas.set(schemaText, JSON.parse(schemaText) as object);
    } catch {
      problems.push(`${path.basename(dir)}: results.schema ${ref} is not valid JSON`);
      schemas.set(schemaText, undefined);
    }
  }
  return schemas.get(schemaText);
}

/**
 * Column names. eegen's own columns have fixed names (RESERVED_COLUMNS) or live under
 * reserved prefixes (`timer.`, `result.`, `fp.`); a parameter keeps its own name as its
 * column unless that name is one of them (compared ignoring case, as SQL tools and
 * spreadsheets do) or starts with `param.`: then its column is `param.NAME`. The mapping is
 * one-to-one and never yields one of eegen's columns, so every parameter value survives
 * and the header has each name once, whatever the parameters are called.
 */
export const RESERVED_COLUMNS: readonly string[] = ['id', 'host', 'jobId', 'run', 'state', 'exitCode', 'signal', 'start', 'end', 'duration_s', 'note', 'accuracy', 'loss', 'history', 'energy_j', 'energy_method', 'output_bytes', 'bundleHash', 'runHash', 'eegen'];
export const RESERVED_PREFIXES: readonly string[] = ['timer.', 'result.', 'fp.', 'param.'];
const RESERVED_LOWER = new Set(RESERVED_COLUMNS.map((c) => c.toLowerCase()));

/** The column of parameter `name` in results.csv / results.jsonl. */
export function paramColumn(name: string): string {
  const lower = name.toLowerCase();
  // __proto__ would be swallowed by a plain object's setter; keep it apart too.
  if (RESERVED_LOWER.has(lower) || RESERVED_PREFIXES.some((p) => lower.startsWith(p)) || lower === '__proto__') return `param.${name}`;
  return name;
}

/** Sets a row field as an own property whatever its name (`__proto__` included). */
function put(row: Row, key: string, value: Value): void {
  Object.defineProperty(row, key, { value, enumerable: true, writable: true, configurable: true });
}

/**
 * Bytes of the files the bundle itself ships (those SHA256SUMS lists, and SHA256SUMS), as
 * built in OUT; undefined when SHA256SUMS cannot be read. What a run's `size` event counts
 * beyond them is the run's output.
 */
async function shippedBytes(dir: string): Promise<number | undefined> {
  const text = await readText(path.join(dir, LAYOUT.checksums));
  const listed = text === undefined ? undefined : parseChecksums(text);
  if (!listed) return undefined;
  let bytes = Buffer.byteLength(text!);
  for (const rel of listed.keys()) bytes += await stat(path.join(dir, rel)).then((s) => s.size, () => 0);
  return bytes;
}

/** The row of a bundle before (or without) any run facts: its id and its parameters. */
function baseRow(b: IndexedBundle): Row {
  const row: Row = {};
  put(row, 'id', b.id);
  for (const [k, v] of Object.entries(b.params)) put(row, paramColumn(k), v);
  return row;
}

const short = (h: string | undefined) => (h ? h.slice(0, 12) : 'none recorded');

/** A run's timers and MLCommons results (from its logs) and its result.json (`label` names it in problems), into its row. */
function addResults(row: Row, logs: string, resultText: string | undefined, schema: object | undefined, label: string, problems: string[]): void {
  for (const t of parseStopWatch(logs).value) row[`timer.${t.timer}`] = t.seconds ?? t.sum ?? null;
  const ml = mlResults(parseMlLog(logs).value);
  if (ml.accuracy !== undefined) row.accuracy = ml.accuracy;
  if (ml.loss !== undefined) row.loss = ml.loss;
  if (ml.history) row.history = ml.history as unknown as Value;
  if (resultText === undefined) return;
  const r = readResultJson(resultText, schema);
  for (const p of r.problems) problems.push(`${label}/result.json: ${p.message}`);
  for (const [k, v] of Object.entries(r.value ?? {})) if (v === null || typeof v !== 'object') put(row, `result.${k}`, v);
}

/** One bundle's row, from the files its run left in OUT/<bundle>. */
export async function bundleRow(outDir: string, b: IndexedBundle, st: BundleStatus, opts: { resultSchema?: object; schemas?: Map<string, object | undefined> }, problems: string[]): Promise<Row> {
  const dir = path.join(outDir, b.dir);
  const row = baseRow(b);
  const events = parseEvents((await readText(path.join(dir, RUN_LAYOUT.events))) ?? '').value;
  // Which content the run in OUT/<bundle> is of: as the run recorded it when it started,
  // else as the host's submit record (status) says. Only a run of this very content counts.
  const local = summarizeRun(events);
  const runHash = local.started ? (local.content ?? st.runHash) : st.runHash;
  const ran = st.jobId !== undefined || local.started !== undefined;
  if (ran && runHash !== b.hash) {
    const where = st.jobId ? `the run on ${st.host ?? '?'} (${st.jobId})` : `the run recorded in ${b.dir}/${RUN_LAYOUT.dir}`;
    Object.assign(row, { host: st.host ?? null, jobId: st.jobId ?? null, state: 'other-content', exitCode: null, start: null, end: null, duration_s: null });
    row.note = `${where} is of other bundle content (${short(runHash)}, this bundle ${short(b.hash)}): its results are not this bundle's and were not taken; submit this bundle again`;
    if (runHash) row.runHash = runHash;
    row.bundleHash = b.hash;
    row.eegen = EEGEN_VERSION;
    problems.push(`${b.id}: ${row.note}`);
    return row;
  }
  Object.assign(row, { host: st.host ?? null, jobId: st.jobId ?? null, state: st.state, exitCode: st.exitCode ?? null });
  if (ran) row.run = st.run ?? 1;
  if (st.signal) row.signal = st.signal;
  const start = st.started ?? null;
  const end = st.ended ?? null;
  row.start = start;
  row.end = end;
  row.duration_s = start && end ? Math.round((Date.parse(end) - Date.parse(start)) / 10) / 100 : null;
  if (st.why) row.note = st.why;
  if (!ran) {
    row.bundleHash = b.hash;
    row.eegen = EEGEN_VERSION;
    return row;
  }

  const since = start && Number.isFinite(Date.parse(start)) ? Date.parse(start) - 1000 : undefined;
  const logs = await logTexts(dir, since);
  const resultText = await runText(path.join(dir, 'result.json'), since);
  if (resultText === undefined && since !== undefined && (await readText(path.join(dir, 'result.json'))) !== undefined) problems.push(`${b.id}/result.json is older than the run that counts (started ${start}): left from an earlier run, not taken`);
  const schema = resultText !== undefined ? (opts.resultSchema ?? (await bundleResultSchema(dir, problems, opts.schemas ?? new Map()))) : undefined;
  addResults(row, logs, resultText, schema, b.id, problems);

  const fpText = await runText(path.join(dir, RUN_LAYOUT.fingerprint), since);
  const fpEvent = events.find((e) => e.event === 'fingerprint');
  flattenFingerprint(fpText ? parseFingerprint(fpText).value : fpEvent?.event === 'fingerprint' ? fpEvent.fingerprint : undefined, row);

  const powerText = await runText(path.join(dir, RUN_LAYOUT.power), since);
  const energy = bestEnergy({
    counters: energyCounters(events),
    ...(powerText ? { samples: parsePowerTrace(powerText).value.samples } : {}),
    ...(start ? { from: start } : {}),
    ...(end ? { to: end } : {}),
  });
  if (energy) {
    row.energy_j = Math.round(energy.joules * 10) / 10;
    row.energy_method = energy.method;
  }
  // The run's own size event (the wrapper's du once the script ended), less what the bundle shipped.
  if (local.bytes !== undefined && local.started !== undefined) {
    const shipped = await shippedBytes(dir);
    if (shipped !== undefined) row.output_bytes = Math.max(0, local.bytes - shipped);
  }
  row.bundleHash = b.hash;
  if (runHash) row.runHash = runHash;
  row.eegen = EEGEN_VERSION;
  return row;
}

/** The numbers N of `OUT/<bundle>/eegen-run.attempt-N`: earlier runs, kept by `submit --retry`. */
async function attemptNumbers(dir: string): Promise<number[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const prefix = `${RUN_LAYOUT.dir}.attempt-`;
  return names
    .filter((n) => n.startsWith(prefix) && /^[1-9]\d*$/.test(n.slice(prefix.length)))
    .map((n) => Number(n.slice(prefix.length)))
    .sort((a, b) => a - b);
}

/**
 * The row of an earlier run, from what `submit --retry` kept of it: its records in
 * eegen-run.attempt-N and what it wrote, under files/. The same columns as a current row,
 * so the runs of one bundle line up in results-all.csv.
 */
async function attemptRow(outDir: string, b: IndexedBundle, n: number, host: string | null, problems: string[]): Promise<Row | undefined> {
  const a = path.join(outDir, b.dir, `${RUN_LAYOUT.dir}.attempt-${n}`);
  const files = path.join(a, 'files');
  const record = ((await readText(path.join(a, 'jobid'))) ?? '').split('\n');
  let submitted: { hash?: string; run?: number } = {};
  try {
    submitted = JSON.parse(record[1] ?? '') as typeof submitted;
  } catch {
    /* an unreadable record is as good as none */
  }
  const events = parseEvents((await readText(path.join(a, 'events.jsonl'))) ?? '').value;
  const run = summarizeRun(events);
  if (!record[0] && !run.started) return undefined;
  const row = baseRow(b);
  const state = !run.ended ? 'lost' : run.exitCode === 0 && !run.signal ? 'done' : run.cancelRequested !== undefined ? 'cancelled' : run.signal ? 'killed' : 'failed';
  Object.assign(row, { host, jobId: record[0] || null, run: typeof submitted.run === 'number' ? submitted.run : n, state, exitCode: run.exitCode ?? null });
  if (run.signal) row.signal = run.signal;
  row.start = run.started ?? null;
  row.end = run.ended ?? null;
  row.duration_s = run.started && run.ended ? Math.round((Date.parse(run.ended) - Date.parse(run.started)) / 10) / 100 : null;
  const logs = [(await readText(path.join(a, 'output.log'))) ?? '', await logTexts(files)].join('\n');
  addResults(row, logs, await readText(path.join(files, 'result.json')), undefined, `${b.id} (run ${n})`, problems);
  row.bundleHash = b.hash;
  const runHash = run.content ?? submitted.hash;
  if (runHash) row.runHash = runHash;
  row.eegen = EEGEN_VERSION;
  return row;
}

/** One CSV field (RFC 4180): quoted when it holds a comma, a quote or a line break. */
function csvField(s: string): string {
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function csvCell(v: Value | undefined): string {
  if (v === undefined || v === null) return '';
  return csvField(typeof v === 'object' ? JSON.stringify(v) : String(v));
}

/** Columns: id, parameters, run facts, then everything else in first-seen order; each name once. */
export function toCsv(rows: readonly Row[], paramColumns: readonly string[]): string {
  const cols = new Set(['id', ...paramColumns, 'host', 'jobId', 'state', 'exitCode', 'start', 'end', 'duration_s']);
  for (const r of rows) for (const k of Object.keys(r)) if (k !== 'history') cols.add(k);
  const list = [...cols];
  const at = (r: Row, c: string) => (Object.prototype.hasOwnProperty.call(r, c) ? r[c] : undefined);
  return [list.map(csvField).join(','), ...rows.map((r) => list.map((c) => csvCell(at(r, c))).join(','))].join('\n') + '\n';
}

const FINISHED = new Set(['done', 'failed', 'killed', 'cancelled', 'timeout', 'oom', 'lost']);

/**
 * Merge new rows into earlier ones, keyed by bundle id (never by a parameter): one row per
 * bundle; a different finished job's result is a conflict. An earlier row of other content
 * (another bundle hash) never survives.
 */
export function mergeRows(previous: readonly Row[], fresh: readonly Row[]): { rows: Row[]; conflicts: CollectResult['conflicts'] } {
  const byId = new Map(previous.map((r) => [String(r.id), r]));
  const conflicts: CollectResult['conflicts'] = [];
  for (const r of fresh) {
    const old = byId.get(String(r.id));
    const sameContent = old !== undefined && (old.bundleHash ?? null) === (r.bundleHash ?? null);
    const sameJob = old && old.host === r.host && old.jobId === r.jobId;
    if (old && sameContent && !sameJob && old.state === 'done' && r.state === 'done') {
      const differs = ['accuracy', 'loss', 'result.accuracy'].some((k) => old[k] !== r[k]);
      if (differs) conflicts.push({ id: String(r.id), kept: `${String(r.host)}:${String(r.jobId)}`, other: `${String(old.host)}:${String(old.jobId)}` });
    }
    // A row that says less (not collected, not on any host) never replaces one that says more.
    if (old && sameContent && FINISHED.has(String(old.state)) && !FINISHED.has(String(r.state)) && r.jobId === null) continue;
    byId.set(String(r.id), r);
  }
  return { rows: [...byId.values()], conflicts };
}

/** How many selected bundles have not finished yet: their rows are partial, collect again later. */
export interface Pending {
  submitted: number;
  queued: number;
  running: number;
  ids: string[];
}

/**
 * Collect: ask the hosts, bring back what the runs that count wrote (one rsync per host),
 * and write the merged tables. Aborting (`signal`) kills the copies and rejects with
 * AbortError before any table is written: results*.csv / .jsonl stay as they were (each
 * file copied back is whole or absent: rsync renames a file into place when it is complete).
 */
export async function collect(opts: CollectOptions): Promise<CollectResult> {
  const ctx = contextFor(opts);
  if (ctx.cwd) opts = { ...opts, out: path.resolve(ctx.cwd, opts.out) };
  const runner = ctx.runner;
  const signal = opts.signal;
  const sig = signal ? { signal } : {};
  // Parsed result schemas are cached for this call only: a schema file edited between two
  // collects is read again.
  const schemas = new Map<string, object | undefined>();
  throwIfAborted(signal);
  const index = await readIndex(opts.out);
  const selected = selectBundles(index.bundles, opts.only, opts.out);
  const ids = selected.map((b) => b.id);
  const answers = await Promise.all(
    opts.hosts.map(async (h) => {
      const a = await askHost(runner, h, opts.out, ids, signal, ctx.schedulers);
      opts.onEvent?.({ type: 'asked', host: h.name, ok: a.ok, ...(a.ok ? {} : { error: answerError(a) }) });
      return a;
    }),
  );
  const statuses = combine(selected, answers, opts.out, ctx.schedulers);
  const hostErrors: HostError[] = answers.filter((a) => !a.ok).map(answerError);
  const pulled = new Map<string, string[]>();

  // Pull each bundle from the host whose run counts (the latest submission).
  await Promise.all(
    answers
      .filter((a) => a.ok && needsCopy(a.host, opts.out))
      .map(async (a) => {
        // Never a run of other content: its files would land over this bundle's.
        const mine = statuses.filter((s) => s.host === a.host.name && s.jobId && !s.changedSinceSubmit).map((s) => s.id);
        if (!mine.length) return;
        const listFile = path.join(opts.out, LAYOUT.stateDir, `pull-${a.host.name}.list`);
        await mkdir(path.dirname(listFile), { recursive: true });
        await writeFile(listFile, `${mine.join('\n')}\n`);
        // Not the job id record: a copy of it in OUT would read as a run of the host that runs
        // bundles in place there (a local host without workdir), not of the host that ran it.
        throwIfAborted(signal);
        const res = await runner.run(pullCommand(a.host, opts.out, listFile, [...(opts.exclude ?? []), `/*/${RUN_LAYOUT.jobid}`]), { timeoutMs: 3_600_000, ...sig });
        if (res.code !== 0 && res.code !== 23 && res.code !== 24) hostErrors.push(hostError(DISPATCH_CODES.pullFailed, a.host.name, `copying results failed: ${res.stderr.trim().split('\n').pop() ?? res.code}`));
        else pulled.set(a.host.name, mine);
      }),
  );
  throwIfAborted(signal);
  for (const e of hostErrors) opts.onEvent?.({ type: 'host-error', error: e });

  const problems: string[] = [];
  const fresh = await Promise.all(selected.map((b, i) => bundleRow(opts.out, b, statuses[i]!, { ...(opts.resultSchema ? { resultSchema: opts.resultSchema } : {}), schemas }, problems)));
  // The last moment an abort stops collect: the four tables below are written together.
  throwIfAborted(signal);
  const jsonl = path.join(opts.out, 'results.jsonl');
  const previous = ((await readText(jsonl)) ?? '')
    .split('\n')
    .filter((l) => l.trim())
    .flatMap((l) => {
      try {
        return [JSON.parse(l) as Row];
      } catch {
        return [];
      }
    });
  // Earlier rows of bundles not collected now: one of other content than the bundle now in OUT
  // (rebuilt since) keeps its parameters and loses its results.
  const selectedIds = new Set(ids);
  const current = new Map(index.bundles.map((b) => [b.id, b]));
  const kept = previous.map((r) => {
    const b = current.get(String(r.id));
    if (!b || selectedIds.has(b.id) || r.bundleHash === b.hash) return r;
    const row = baseRow(b);
    Object.assign(row, { host: null, jobId: null, state: 'other-content', note: `results collected earlier are of other bundle content (${short(String(r.bundleHash ?? ''))}); collect this bundle again`, bundleHash: b.hash, eegen: EEGEN_VERSION });
    return row;
  });
  const { rows, conflicts } = mergeRows(kept, fresh);
  const order = new Map(index.bundles.map((b, i) => [b.id, i]));
  rows.sort((a, b) => (order.get(String(a.id)) ?? 1e12) - (order.get(String(b.id)) ?? 1e12));
  const paramColumns = [...new Set(index.bundles.flatMap((b) => Object.keys(b.params)))].map(paramColumn);
  const csv = path.join(opts.out, 'results.csv');
  await writeFileAtomic(jsonl, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
  await writeFileAtomic(csv, toCsv(rows, paramColumns));
  const all = await allRuns(opts.out, index.bundles, rows, problems);
  await writeFileAtomic(all.jsonl, all.rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
  await writeFileAtomic(all.csv, toCsv(all.rows, paramColumns));
  const pending: Pending = { submitted: 0, queued: 0, running: 0, ids: [] };
  for (const st of statuses) {
    if (st.state !== 'submitted' && st.state !== 'queued' && st.state !== 'running') continue;
    if (st.changedSinceSubmit) continue;
    pending[st.state]++;
    pending.ids.push(st.id);
  }
  const files = { csv, jsonl, allCsv: all.csv, allJsonl: all.jsonl };
  for (const a of answers) if (a.ok) opts.onEvent?.({ type: 'collected', host: a.host.name, pulled: pulled.get(a.host.name) ?? [], rows: fresh.filter((r) => r.host === a.host.name) });
  opts.onEvent?.({ type: 'results', rows: rows.length, files });
  const logs = statuses.flatMap((st) => (st.logs ?? []).map((l) => ({ id: st.id, host: st.host ?? '', ...l })));
  return { rows, allRows: all.rows, paramColumns, pending, conflicts, hostErrors, problems, files, logs };
}

/**
 * results-all.csv / .jsonl: every run of every bundle, one row each, ordered by bundle and
 * run: the earlier runs `submit --retry` kept (eegen-run.attempt-N), the current rows, and
 * rows of earlier content collected before a rebuild (kept from the last results-all, told
 * apart by bundleHash). results.csv stays one row per bundle, its latest run.
 */
async function allRuns(outDir: string, bundles: readonly IndexedBundle[], current: readonly Row[], problems: string[]): Promise<{ rows: Row[]; csv: string; jsonl: string }> {
  const jsonl = path.join(outDir, 'results-all.jsonl');
  const csv = path.join(outDir, 'results-all.csv');
  const byId = new Map(current.map((r) => [String(r.id), r]));
  const hashOf = new Map(bundles.map((b) => [b.id, b.hash]));
  const earlierContent = ((await readText(jsonl)) ?? '')
    .split('\n')
    .filter((l) => l.trim())
    .flatMap((l) => {
      try {
        const r = JSON.parse(l) as Row;
        return hashOf.has(String(r.id)) && r.jobId && r.bundleHash !== hashOf.get(String(r.id)) ? [r] : [];
      } catch {
        return [];
      }
    });
  const rows: Row[] = [...earlierContent];
  for (const b of bundles) {
    const now = byId.get(b.id);
    for (const n of await attemptNumbers(path.join(outDir, b.dir))) {
      const r = await attemptRow(outDir, b, n, (now?.host as string | null | undefined) ?? null, problems);
      if (r) rows.push(r);
    }
    if (now && now.jobId) rows.push(now);
  }
  const order = new Map(bundles.map((b, i) => [b.id, i]));
  const seen = new Set<string>();
  // One run is one row: the same job id can name two runs (a local host's process ids are
  // reused), so the run's number and start time are part of what identifies it.
  const unique = rows.filter((r) => {
    const key = [r.id, r.host, r.jobId, r.bundleHash, r.run, r.start].map(String).join('\0');
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  unique.sort((a, b) => (order.get(String(a.id)) ?? 1e12) - (order.get(String(b.id)) ?? 1e12) || (String(a.start ?? '') < String(b.start ?? '') ? -1 : String(a.start ?? '') > String(b.start ?? '') ? 1 : 0) || Number(a.run ?? 0) - Number(b.run ?? 0));
  return { rows: unique, csv, jsonl };
}
