/**
 * Run events: `eegen-run/events.jsonl` (one JSON object per line, appended by the job
 * script and the app), `# eegen key=value` lines an app prints instead, and the legacy
 * `# cloudmesh status=... progress=...` lines of Cloudmesh EE/CC jobs.
 */
import { Problems, RESULT_CODES as C, type Parsed, type ReadOptions } from './codes.js';
import { normalizeFingerprint } from './fingerprint.js';
import { forEachLine, isRecord, lastSegment, leadingNumber, parseJsonLenient, parseKeyValues } from './text.js';
import type { EventSource, ProgressEvent, RunEvent, RunSummary } from './types.js';

/** Fields each event defines; the rest of an object goes to `extra`. */
const KNOWN: Record<string, readonly string[]> = {
  start: ['host', 'jobId', 'pid', 'content'],
  progress: ['progress', 'msg', 'status'],
  end: ['exitCode', 'signal'],
  fingerprint: ['fingerprint', 'host', 'cpu', 'gpus', 'os', 'cuda', 'python', 'node'],
  energy: ['label', 'gpu', 'mJ'],
  size: ['bytes'],
  cancel: ['by'],
};

/** Reads events.jsonl. Garbage lines and a cut-short last line are skipped with a warning. */
export function parseEvents(jsonlText: string, options: ReadOptions = {}): Parsed<RunEvent[]> {
  const problems = new Problems(options.file);
  const events: RunEvent[] = [];
  forEachLine(jsonlText, (raw, lineNo, unterminated) => {
    const line = raw.trim();
    if (line === '') return;
    // Not starting with `{` cannot be an event: skip JSON.parse (and its exception) for garbage.
    const parsed = line.startsWith('{') ? parseJsonLenient(line) : ({ ok: false } as const);
    if (!parsed.ok) {
      if (unterminated) problems.add(C.eventNotJson, 'The last line is cut short; the run may still be writing it, or stopped mid-write.', lineNo);
      else problems.add(C.eventNotJson, 'This line is not a JSON object; skipped.', lineNo, 'Each line of events.jsonl must be one JSON object.');
      return;
    }
    const obj = parsed.value;
    if (!isRecord(obj) || typeof obj.event !== 'string') {
      problems.add(C.eventNotEvent, 'This object is not an event (it has no string "event"); skipped.', lineNo);
      return;
    }
    const event = buildEvent(obj.event, obj, 'events', lineNo, problems);
    if (event) events.push(event);
  });
  return { value: events, problems: problems.done() };
}

/**
 * Reads the status lines in a job's output: `# eegen progress=50 msg="epoch 3"` (the
 * `event` key picks another event, default progress) and legacy
 * `# cloudmesh status=running progress=50 pid=1234 msg=...`. Other lines are ignored.
 */
export function parseProgressLines(logText: string, options: ReadOptions = {}): Parsed<RunEvent[]> {
  const problems = new Problems(options.file);
  const events: RunEvent[] = [];
  forEachLine(logText, (raw, lineNo) => {
    const line = lastSegment(raw);
    let i = 0;
    while (line[i] === ' ' || line[i] === '\t') i++;
    if (line[i] !== '#') return;
    const rest = line.slice(i + 1).trimStart();
    const source: EventSource | undefined = startsWord(rest, 'eegen') ? 'eegen' : startsWord(rest, 'cloudmesh') ? 'cloudmesh' : undefined;
    if (!source) return;
    const { fields, error } = parseKeyValues(rest.slice(source.length));
    if (error) problems.add(C.statusLineMalformed, `Status line read only in part: ${error}.`, lineNo, 'Quote values with blanks: msg="epoch 3 of 6"; escape " and \\ with a backslash.');
    const name = source === 'eegen' && fields.event !== undefined ? fields.event : 'progress';
    const { event: _drop, ...rest2 } = fields;
    const event = buildEvent(name, rest2, source, lineNo, problems);
    if (event) events.push(event);
  });
  return { value: events, problems: problems.done() };
}

function startsWord(s: string, word: string): boolean {
  if (!s.startsWith(word)) return false;
  const next = s[word.length];
  return next === undefined || next === ' ' || next === '\t';
}

/**
 * One event from an object (events file) or from key=value strings (log lines, where
 * every value is text and numbers are read back from it).
 */
function buildEvent(name: string, obj: Record<string, unknown>, source: EventSource, line: number, problems: Problems): RunEvent | undefined {
  const base: { ts?: string; source: EventSource; line: number; extra?: Record<string, unknown> } = { source, line };
  if (typeof obj.ts === 'string') base.ts = obj.ts;
  else if (obj.ts !== undefined) problems.add(C.eventBadField, '"ts" should be an ISO 8601 string; ignored.', line);
  const known = KNOWN[name] ?? [];
  const extra: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) if (k !== 'ts' && k !== 'event' && !known.includes(k)) extra[k] = v;
  if (Object.keys(extra).length > 0) base.extra = extra;
  const text = (k: string) => asText(obj[k], k, line, problems);
  const num = (k: string) => asNumber(obj[k], k, line, problems);

  switch (name) {
    case 'start': {
      const e: RunEvent = { event: 'start', ...base };
      const host = text('host');
      const jobId = text('jobId');
      const pid = num('pid');
      const content = text('content');
      if (host !== undefined) e.host = host;
      if (jobId !== undefined) e.jobId = jobId;
      if (pid !== undefined) e.pid = pid;
      if (content !== undefined) {
        if (/^[0-9a-f]{64}$/.test(content)) e.content = content;
        else problems.add(C.eventBadField, '"content" should be the sha256 (64 hex digits) of the bundle\'s SHA256SUMS; ignored.', line);
      }
      return e;
    }
    case 'progress': {
      const e: ProgressEvent = { event: 'progress', ...base };
      const progress = num('progress');
      const msg = text('msg');
      const status = text('status');
      if (progress !== undefined) e.progress = progress;
      if (msg !== undefined) e.msg = msg;
      if (status !== undefined) e.status = status;
      return e;
    }
    case 'end': {
      const e: RunEvent = { event: 'end', ...base };
      const code = obj.exitCode;
      if (code === null || code === 'null') e.exitCode = null;
      else if (code !== undefined) {
        const n = asNumber(code, 'exitCode', line, problems);
        if (n !== undefined) e.exitCode = n;
      }
      const signal = obj.signal;
      if (signal === null || signal === 'null' || signal === '') e.signal = null;
      else if (signal !== undefined) {
        const s = asText(signal, 'signal', line, problems);
        if (s !== undefined) e.signal = s.startsWith('SIG') ? s.slice(3) : s;
      }
      return e;
    }
    case 'fingerprint': {
      const body = isRecord(obj.fingerprint) ? obj.fingerprint : obj;
      const { value, problems: found } = normalizeFingerprint(body);
      for (const p of found) problems.add(C.eventBadField, p, line);
      return { event: 'fingerprint', ...base, fingerprint: value };
    }
    case 'energy': {
      const mJ = num('mJ');
      if (mJ === undefined) {
        problems.add(C.eventBadField, 'An "energy" event needs a numeric "mJ"; skipped.', line);
        return undefined;
      }
      const label = text('label');
      return { event: 'energy', ...base, gpu: num('gpu') ?? 0, mJ, ...(label !== undefined ? { label } : {}) };
    }
    case 'size': {
      const bytes = num('bytes');
      if (bytes === undefined || bytes < 0 || !Number.isSafeInteger(bytes)) {
        problems.add(C.eventBadField, 'A "size" event needs "bytes", a whole number of bytes; skipped.', line);
        return undefined;
      }
      return { event: 'size', ...base, bytes };
    }
    case 'cancel': {
      const by = text('by');
      return { event: 'cancel', ...base, ...(by !== undefined ? { by } : {}) };
    }
    default:
      return { event: 'other', name, ...base };
  }
}

function asText(v: unknown, key: string, line: number, problems: Problems): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  problems.add(C.eventBadField, `"${key}" should be a string; ignored.`, line);
  return undefined;
}

function asNumber(v: unknown, key: string, line: number, problems: Problems): number | undefined {
  if (v === undefined || v === null) return undefined;
  const n = typeof v === 'number' ? v : typeof v === 'string' ? leadingNumber(v) : undefined;
  if (n === undefined || !Number.isFinite(n)) {
    problems.add(C.eventBadField, `"${key}" should be a number; ignored.`, line);
    return undefined;
  }
  return n;
}

/**
 * What the events say about a run. Rules:
 * - Only the last attempt counts: a requeued job starts again, and what came before its
 *   last `start` (an earlier end, earlier progress) is history.
 * - The events file wins; the log's `# eegen` / `# cloudmesh` lines fill only the fields
 *   the events file leaves empty (an app prints them when EEGEN_EVENTS is not set).
 * - Within each source the last line wins.
 */
export function summarizeRun(events: readonly RunEvent[], logEvents: readonly RunEvent[] = []): RunSummary {
  const fromFile = lastAttempt(events);
  const fromLog = lastAttempt(logEvents);
  const summary: RunSummary = { attempts: fromFile.attempts || fromLog.attempts };
  for (const key of ['started', 'ended', 'exitCode', 'signal', 'progress', 'lastMsg', 'host', 'jobId', 'pid', 'legacyStatus', 'content', 'cancelRequested', 'bytes'] as const) {
    const v = fromFile[key] !== undefined ? fromFile[key] : fromLog[key];
    if (v !== undefined) (summary as unknown as Record<string, unknown>)[key] = v;
  }
  // A `status=done progress=100` line counts only when the run's own record does not say
  // otherwise: the built-in templates' EXIT trap prints it when a signal (cancel, time limit)
  // stops the script. Without a start/end record (a legacy log alone) it is all there is.
  const claimed = fromFile.claimedProgress ?? fromLog.claimedProgress;
  const recorded = summary.started !== undefined || summary.ended !== undefined;
  if (claimed !== undefined && (!recorded || (summary.exitCode === 0 && summary.signal == null))) summary.progress = claimed;
  return summary;
}

function lastAttempt(events: readonly RunEvent[]): RunSummary & { claimedProgress?: number } {
  let attempts = 0;
  let from = 0;
  events.forEach((e, i) => {
    if (e.event === 'start') {
      attempts++;
      from = i;
    }
  });
  const s: RunSummary & { claimedProgress?: number } = { attempts };
  for (let i = from; i < events.length; i++) {
    const e = events[i] as RunEvent;
    switch (e.event) {
      case 'start':
        if (e.ts !== undefined) s.started = e.ts;
        if (e.host !== undefined) s.host = e.host;
        if (e.jobId !== undefined) s.jobId = e.jobId;
        if (e.pid !== undefined) s.pid = e.pid;
        if (e.content !== undefined) s.content = e.content;
        break;
      case 'cancel':
        // Asked to stop before it ended (a cancel after the end changes nothing).
        if (s.ended === undefined) s.cancelRequested = e.ts ?? '';
        break;
      case 'size':
        s.bytes = e.bytes;
        break;
      case 'end':
        if (e.ts !== undefined) s.ended = e.ts;
        if (e.exitCode !== undefined) s.exitCode = e.exitCode;
        if (e.signal !== undefined) s.signal = e.signal;
        break;
      case 'progress':
        if (e.progress !== undefined) {
          if (e.source === 'cloudmesh' && (e.status === 'done' || e.status === 'failed')) s.claimedProgress = e.progress;
          else {
            s.progress = e.progress;
            delete s.claimedProgress;
          }
        }
        if (e.msg !== undefined) s.lastMsg = e.msg;
        if (e.source === 'cloudmesh' && e.status !== undefined) s.legacyStatus = e.status;
        break;
      default:
        break;
    }
  }
  return s;
}
