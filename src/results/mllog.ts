/**
 * MLCommons logging lines: `:::MLLOG {"namespace": "", "time_ms": ..., "event_type":
 * "POINT_IN_TIME", "key": "...", "value": ..., "metadata": {...}}`, anywhere in a line
 * (loggers often prefix it). Python's json writes NaN/Infinity; they read as null.
 */
import { Problems, RESULT_CODES as C, type Parsed, type ReadOptions } from './codes.js';
import { forEachLine, isRecord, parseJsonLenient } from './text.js';
import type { EpochRecord, MlLogEvent, MlResults } from './types.js';

const MARK = ':::MLLOG';

export function parseMlLog(text: string, options: ReadOptions = {}): Parsed<MlLogEvent[]> {
  const problems = new Problems(options.file);
  const events: MlLogEvent[] = [];
  forEachLine(text, (line, lineNo) => {
    const at = line.indexOf(MARK);
    if (at < 0) return;
    const parsed = parseJsonLenient(line.slice(at + MARK.length).trim());
    if (!parsed.ok || !isRecord(parsed.value) || typeof parsed.value.key !== 'string') {
      problems.add(C.mllogNotJson, 'This :::MLLOG line is not a JSON object with a "key"; skipped.', lineNo);
      return;
    }
    const o = parsed.value;
    const event: MlLogEvent = {
      namespace: typeof o.namespace === 'string' ? o.namespace : '',
      event_type: typeof o.event_type === 'string' ? o.event_type : 'POINT_IN_TIME',
      key: o.key as string,
      value: o.value === undefined ? null : o.value,
      metadata: isRecord(o.metadata) ? o.metadata : {},
      line: lineNo,
    };
    if (typeof o.time_ms === 'number') event.time_ms = o.time_ms;
    events.push(event);
  });
  return { value: events, problems: problems.done() };
}

const ACCURACY_KEYS = ['accuracy', 'eval_accuracy'];
const LOSS_KEYS = ['loss', 'train_loss', 'eval_loss'];

function finite(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** The first of `keys` that `rec` has as a number. */
function pick(rec: Record<string, unknown>, keys: readonly string[]): number | undefined {
  for (const k of keys) {
    const n = finite(rec[k]);
    if (n !== undefined) return n;
  }
  return undefined;
}

/** Adds `accuracy` / `loss` to a row that has them only under another name. */
function withAliases(row: EpochRecord): EpochRecord {
  if (row.accuracy === undefined) {
    const a = pick(row, ACCURACY_KEYS);
    if (a !== undefined) row.accuracy = a;
  }
  if (row.loss === undefined) {
    const l = pick(row, LOSS_KEYS);
    if (l !== undefined) row.loss = l;
  }
  return row;
}

function numericFields(rec: Record<string, unknown>, into: EpochRecord): void {
  for (const [k, v] of Object.entries(rec)) {
    const n = finite(v);
    if (n !== undefined && k !== 'epoch') into[k] = n;
  }
}

/**
 * A history as an app writes it: Keras' `{loss: [..], accuracy: [..]}` (one list per
 * metric, epochs 1..n) or a list of per-epoch objects (`epoch` optional, else 1..n).
 */
export function readHistory(h: unknown): EpochRecord[] | undefined {
  if (Array.isArray(h)) {
    const rows = h.filter(isRecord).map((rec, i) => {
      const row: EpochRecord = { epoch: finite(rec.epoch) ?? i + 1 };
      numericFields(rec, row);
      return withAliases(row);
    });
    return rows.length > 0 ? rows : undefined;
  }
  if (isRecord(h)) {
    const rows: EpochRecord[] = [];
    for (const [metric, list] of Object.entries(h)) {
      if (!Array.isArray(list)) continue;
      list.forEach((v, i) => {
        const row = (rows[i] ??= { epoch: i + 1 });
        const n = finite(v);
        if (n !== undefined) row[metric] = n;
      });
    }
    return rows.length > 0 ? rows.map(withAliases) : undefined;
  }
  return undefined;
}

/** Per-epoch rows from events whose metadata carries `epoch_num` (or `epoch`). */
function historyFromEvents(events: readonly MlLogEvent[]): EpochRecord[] | undefined {
  const rows = new Map<number, EpochRecord>();
  for (const e of events) {
    const epoch = finite(e.metadata.epoch_num) ?? finite(e.metadata.epoch);
    if (epoch === undefined) continue;
    const n = finite(e.value);
    if (n === undefined && !isRecord(e.value)) continue;
    let row = rows.get(epoch);
    if (!row) rows.set(epoch, (row = { epoch }));
    if (n !== undefined) row[e.key] = n;
    else numericFields(e.value as Record<string, unknown>, row);
  }
  if (rows.size === 0) return undefined;
  return [...rows.values()].sort((a, b) => a.epoch - b.epoch).map(withAliases);
}

/**
 * The results an MLLOG stream reports. The final `result` event wins (its value may be an
 * object with accuracy, loss and history); otherwise the last `accuracy`/`eval_accuracy`
 * and `loss`/`train_loss`/`eval_loss` values, and a history built from epoch-tagged events.
 */
export function mlResults(events: readonly MlLogEvent[]): MlResults {
  const out: MlResults = { last: {} };
  let result: MlLogEvent | undefined;
  let runStart: number | undefined;
  for (const e of events) {
    const v = e.value;
    if (v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') out.last[e.key] = v;
    if (e.key === 'result') result = e;
    if (e.key === 'run_start' && e.time_ms !== undefined) runStart = e.time_ms;
    if (e.key === 'run_stop') {
      if (runStart !== undefined && e.time_ms !== undefined) out.runMs = e.time_ms - runStart;
      if (typeof e.metadata.status === 'string') out.status = e.metadata.status;
    }
  }
  if (result) {
    out.result = result.value;
    if (isRecord(result.value)) {
      const accuracy = pick(result.value, ACCURACY_KEYS);
      const loss = pick(result.value, LOSS_KEYS);
      const history = readHistory(result.value.history);
      if (accuracy !== undefined) out.accuracy = accuracy;
      if (loss !== undefined) out.loss = loss;
      if (history) out.history = history;
    }
  }
  if (out.accuracy === undefined) {
    const a = pick(out.last, ACCURACY_KEYS);
    if (a !== undefined) out.accuracy = a;
  }
  if (out.loss === undefined) {
    const l = pick(out.last, LOSS_KEYS);
    if (l !== undefined) out.loss = l;
  }
  if (!out.history) {
    const h = historyFromEvents(events);
    if (h) out.history = h;
  }
  return out;
}
