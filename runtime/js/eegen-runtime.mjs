/**
 * eegen runtime helpers for JavaScript/TypeScript apps: progress, timers, results,
 * MLCommons log lines. No dependencies (Node 18+). Nothing here throws because reporting
 * failed, except result(), whose file is the run's product. Formats: eegen docs/formats.md.
 *
 *   import { progress, StopWatch, result, mllog } from './eegen-runtime.mjs';
 */
import { appendFileSync, closeSync, fsyncSync, mkdirSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Replaces NaN/Infinity with null, as JSON.stringify does, and BigInt with a number. */
function replacer(_key, value) {
  return typeof value === 'bigint' ? Number(value) : value;
}

function json(value, indent) {
  return JSON.stringify(value, replacer, indent);
}

const KEY = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

function kvValue(value) {
  if (value === null) return 'null';
  if (typeof value === 'boolean') return String(value);
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  const text = typeof value === 'string' ? value : json(value);
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/\t/g, '\\t')}"`;
}

function statusLine(name, fields) {
  const parts = ['# eegen'];
  if (name !== 'progress') parts.push(`event=${kvValue(name)}`);
  for (const [key, value] of Object.entries(fields)) if (KEY.test(key)) parts.push(`${key}=${kvValue(value)}`);
  return parts.join(' ');
}

/**
 * Records an event: a JSON line appended to $EEGEN_EVENTS, or a `# eegen` line on stdout
 * when that is not set. Fields that are undefined or null are left out.
 */
export function event(name, fields = {}) {
  const kept = {};
  for (const [k, v] of Object.entries(fields)) if (v !== undefined && v !== null) kept[k] = v;
  const file = process.env.EEGEN_EVENTS;
  if (file) {
    try {
      mkdirSync(path.dirname(file), { recursive: true });
      // One append (O_APPEND): lines from several processes never interleave.
      appendFileSync(file, `${json({ ts: new Date().toISOString(), event: name, ...kept })}\n`);
      return;
    } catch {
      // fall through to stdout
    }
  }
  try {
    process.stdout.write(`${statusLine(name, kept)}\n`);
  } catch {
    // reporting must not end the run
  }
}

/** Reports progress (0-100) and an optional message. */
export function progress(percent, msg, fields = {}) {
  event('progress', { progress: percent, msg, ...fields });
}

/** The bundle: parent of eegen-run/ when $EEGEN_EVENTS points there, else the working directory. */
function bundleDir() {
  const events = process.env.EEGEN_EVENTS;
  if (events) {
    const runDir = path.dirname(path.resolve(events));
    if (path.basename(runDir) === 'eegen-run') return path.dirname(runDir);
  }
  return process.cwd();
}

/** Writes `data` as result.json in the bundle (or `file`), atomically. Returns the path. */
export function result(data, file) {
  const target = file ?? path.join(bundleDir(), 'result.json');
  const dir = path.dirname(path.resolve(target));
  mkdirSync(dir, { recursive: true });
  const tmp = path.join(dir, `.result.${process.pid}.${Date.now()}.tmp`);
  try {
    const fd = openSync(tmp, 'w', 0o644);
    try {
      writeSync(fd, `${json(data, 2)}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, target);
  } catch (e) {
    try {
      unlinkSync(tmp);
    } catch {
      // already gone
    }
    throw e;
  }
  return target;
}

/** Prints an MLCommons `:::MLLOG {json}` line. */
export function mllog(key, value = null, metadata = {}, options = {}) {
  const record = {
    namespace: options.namespace ?? '',
    time_ms: Date.now(),
    event_type: options.eventType ?? 'POINT_IN_TIME',
    key,
    value,
    metadata,
  };
  process.stdout.write(`:::MLLOG ${json(record)}\n`);
}

function oneLine(v) {
  return v === undefined || v === null ? '' : String(v).replace(/\r\n|\r|\n/g, ' ');
}

/** RFC 4180: quote a field that holds a comma, a quote or a line break. */
function csvField(v) {
  const s = oneLine(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function utcStamp(d) {
  return d.toISOString().slice(0, 19).replace('T', ' ');
}

function sysinfo() {
  let user = process.env.USER ?? '';
  try {
    user = os.userInfo().username;
  } catch {
    // no passwd entry (containers)
  }
  return [os.hostname(), user, os.type(), typeof os.version === 'function' ? os.version() : os.release()];
}

/** Named timers, as cloudmesh-common's StopWatch; `benchmark()` prints a table and quoted `# csv,` lines. */
export class StopWatch {
  static HEADER = ['timer', 'status', 'time', 'sum', 'start', 'tag', 'msg', 'uname.node', 'user', 'uname.system', 'platform.version'];
  static #timers = new Map();

  static #timer(name) {
    let t = StopWatch.#timers.get(name);
    if (!t) StopWatch.#timers.set(name, (t = { started: undefined, t0: undefined, seconds: undefined, sum: 0, status: 'running', msg: undefined, tag: undefined }));
    return t;
  }

  static start(name, msg, tag) {
    const t = StopWatch.#timer(name);
    t.started ??= new Date();
    t.t0 = performance.now();
    t.status = 'running';
    if (msg !== undefined) t.msg = msg;
    if (tag !== undefined) t.tag = tag;
  }

  static stop(name, status = 'ok', msg) {
    const t = StopWatch.#timer(name);
    if (t.t0 !== undefined) {
      t.seconds = (performance.now() - t.t0) / 1000;
      t.sum += t.seconds;
      t.t0 = undefined;
    }
    t.status = status;
    if (msg !== undefined) t.msg = msg;
  }

  /** A zero-length timer that marks a moment, with a message. */
  static event(name, msg, tag) {
    StopWatch.start(name, msg, tag);
    const t = StopWatch.#timer(name);
    t.t0 = undefined;
    t.seconds = 0;
    t.status = 'ok';
  }

  static get(name) {
    return StopWatch.#timers.get(name)?.seconds;
  }

  static clear() {
    StopWatch.#timers.clear();
  }

  /** One array of values per timer, in HEADER order. */
  static rows(tag) {
    const info = sysinfo();
    return [...StopWatch.#timers].map(([name, t]) => [
      name,
      t.status,
      t.seconds === undefined ? '' : t.seconds.toFixed(3),
      t.sum.toFixed(3),
      t.started ? utcStamp(t.started) : '',
      oneLine(t.tag ?? tag),
      oneLine(t.msg),
      ...info,
    ]);
  }

  static csvLines(tag) {
    return [['# csv', ...StopWatch.HEADER], ...StopWatch.rows(tag).map((r) => ['# csv', ...r])].map((r) => r.map(csvField).join(','));
  }

  /** Prints the timer table, then the `# csv,` lines. */
  static benchmark(tag, write = (s) => process.stdout.write(s)) {
    const shown = [['Name', 'Status', 'Time', 'Sum', 'Start', 'tag', 'msg'], ...StopWatch.rows(tag).map((r) => r.slice(0, 7))];
    const widths = shown[0].map((_, i) => Math.max(...shown.map((r) => String(r[i]).length)));
    let out = '';
    shown.forEach((r, i) => {
      out += `| ${r.map((v, j) => String(v).padEnd(widths[j])).join(' | ')} |\n`;
      if (i === 0) out += `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|\n`;
    });
    out += `\n${StopWatch.csvLines(tag).join('\n')}\n`;
    write(out);
  }
}
