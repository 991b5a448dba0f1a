/**
 * StopWatch timer lines, as cloudmesh-common's StopWatch.benchmark() prints them:
 *
 *   # csv,timer,status,time,sum,start,tag,msg,uname.node,user,uname.system,platform.version
 *   # csv,training,ok,12.5,12.5,2026-11-24 18:46:09,,epoch 1, 2 and 3,node1,alice,Linux,#1 SMP
 *
 * The old writer did not quote, so a message with commas has too many fields. The fields
 * before `msg` and after it are a fixed count, so the surplus in the middle is the message
 * and is joined back with commas. Lines our helpers write are RFC-4180 quoted; those are
 * read as CSV first, and the comma-rejoin is the fallback when strict CSV fails or gives
 * the wrong count. A new header line applies to the rows below it.
 */
import { Problems, RESULT_CODES as C, type Parsed, type ReadOptions } from './codes.js';
import { forEachLine, lastSegment, leadingNumber, splitCsvStrict } from './text.js';
import type { TimerRecord } from './types.js';

const DEFAULT_HEADER = ['timer', 'status', 'time', 'sum', 'start', 'tag', 'msg', 'uname.node', 'user', 'uname.system', 'platform.version'];

/** Header column -> record field. */
const COLUMN: Record<string, keyof TimerRecord> = {
  timer: 'timer',
  status: 'status',
  time: 'seconds',
  sum: 'sum',
  start: 'start',
  tag: 'tag',
  msg: 'msg',
  'uname.node': 'node',
  user: 'user',
  'uname.system': 'system',
  'platform.version': 'platformVersion',
};

const PREFIX = '# csv,';

/** `2026-11-24 18:46:09` (UTC, optional fraction) -> ISO 8601. */
function isoStart(s: string): string | undefined {
  const m = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2}(?:\.\d+)?)(Z|[+-]\d{2}:?\d{2})?$/.exec(s.trim());
  if (!m) return undefined;
  const t = Date.parse(`${m[1]}T${m[2]}${m[3] ?? 'Z'}`);
  return Number.isNaN(t) ? undefined : new Date(t).toISOString();
}

/** Python writes `None` for a missing tag or message. */
function text(v: string | undefined): string {
  return v === undefined || v === 'None' ? '' : v;
}

export function parseStopWatch(text_: string, options: ReadOptions = {}): Parsed<TimerRecord[]> {
  const problems = new Problems(options.file);
  const records: TimerRecord[] = [];
  let header = DEFAULT_HEADER;
  forEachLine(text_, (whole, lineNo) => {
    const raw = lastSegment(whole);
    const start = raw.indexOf(PREFIX);
    if (start < 0 || raw.slice(0, start).trim() !== '') return;
    const line = raw.slice(start + PREFIX.length);
    const strict = splitCsvStrict(line);
    if (strict?.[0] === 'timer' && strict.includes('status')) {
      header = strict.map((h) => h.trim());
      return;
    }
    const cells = fitToHeader(line, strict, header);
    if (!cells) {
      problems.add(C.timerFieldCount, `This timer line has fewer fields than its header (${header.length}); skipped.`, lineNo);
      return;
    }
    const byName: Record<string, string> = {};
    header.forEach((h, i) => (byName[h] = cells[i] as string));
    const record: TimerRecord = { timer: '', status: '', tag: '', msg: '', node: '', user: '', system: '', platformVersion: '', line: lineNo };
    for (const [column, value] of Object.entries(byName)) {
      const field = COLUMN[column];
      if (field === undefined) continue;
      if (field === 'seconds' || field === 'sum') {
        if (value === '' || value === 'None') continue;
        const n = leadingNumber(value);
        if (n === undefined) problems.add(C.timerBadValue, `Timer ${column} "${value}" is not a number.`, lineNo);
        else record[field] = n;
      } else if (field === 'start') {
        if (value === '' || value === 'None') continue;
        const iso = isoStart(value);
        if (iso === undefined) problems.add(C.timerBadValue, `Timer start "${value}" is not a UTC time (YYYY-MM-DD HH:MM:SS).`, lineNo);
        else record.start = iso;
      } else if (field !== 'line') {
        record[field] = text(value);
      }
    }
    records.push(record);
  });
  return { value: records, problems: problems.done() };
}

/**
 * The line's cells, exactly one per header column: strict CSV when it fits, otherwise a
 * plain comma split with the surplus joined back into `msg` (or the last column when the
 * header has no msg). Undefined when there are too few.
 */
function fitToHeader(line: string, strict: string[] | undefined, header: readonly string[]): string[] | undefined {
  if (strict && strict.length === header.length) return strict;
  const plain = line.split(',');
  if (plain.length < header.length) return undefined;
  if (plain.length === header.length) return plain;
  const msgAt = header.indexOf('msg');
  const at = msgAt < 0 ? header.length - 1 : msgAt;
  const after = header.length - 1 - at;
  const middle = plain.slice(at, plain.length - after).join(',');
  return [...plain.slice(0, at), middle, ...plain.slice(plain.length - after)];
}
