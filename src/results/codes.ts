/**
 * Diagnostic codes of the result readers (EG7001-EG7099): what a run left behind (events,
 * logs, timers, power traces, fingerprints, result.json). Codes are stable: once published,
 * a code keeps its meaning.
 *
 * The readers never throw. A line they cannot read becomes a warning and the line is
 * skipped; only a result.json that is not valid (or fails its schema) is an error.
 */
import { diag, type Diagnostic, type Severity } from '../diagnostics/index.js';

export const RESULT_CODES = {
  /** An events.jsonl line that is not a JSON object (garbage, or a line cut short by a crash). */
  eventNotJson: 'EG7001',
  /** An events.jsonl object without a string `event`. */
  eventNotEvent: 'EG7002',
  /** A known event field with the wrong type (`progress` that is not a number, ...). */
  eventBadField: 'EG7003',
  /** A `# eegen` / `# cloudmesh` line whose key=value list cannot be read to the end. */
  statusLineMalformed: 'EG7010',
  /** A `# csv,` StopWatch line with too few fields for its header. */
  timerFieldCount: 'EG7020',
  /** A StopWatch number or start time that cannot be read. */
  timerBadValue: 'EG7021',
  /** A `:::MLLOG` line whose payload is not a JSON object. */
  mllogNotJson: 'EG7030',
  /** An nvidia-smi CSV without a header line (and no field list given). */
  csvNoHeader: 'EG7040',
  /** An nvidia-smi CSV row whose field count differs from the header's. */
  csvFieldCount: 'EG7041',
  /** An nvidia-smi timestamp that cannot be read. */
  csvBadTimestamp: 'EG7042',
  /** nvidia-smi XML without the expected elements. */
  xmlMissing: 'EG7050',
  /** A fingerprint.json that is not a JSON object, or has fields of the wrong type. */
  fingerprintInvalid: 'EG7055',
  /** result.json is not JSON. */
  resultNotJson: 'EG7060',
  /** result.json is JSON but not an object. */
  resultNotObject: 'EG7061',
  /** result.json does not match the experiment's result schema. */
  resultSchema: 'EG7062',
  /** The result schema itself cannot be compiled. */
  resultBadSchema: 'EG7063',
  /** More problems than are worth listing; the rest were counted, not kept. */
  tooManyProblems: 'EG7099',
} as const;

export type ResultCode = (typeof RESULT_CODES)[keyof typeof RESULT_CODES];

/** Where the text came from, for diagnostics (readers get strings, not paths). */
export interface ReadOptions {
  file?: string;
}

/** What every reader returns: what it could read, plus what it could not. */
export interface Parsed<T> {
  value: T;
  problems: Diagnostic[];
}

/** A 100 MB log full of garbage must not produce a million diagnostics. */
const MAX_PROBLEMS = 100;

/** Collects problems for one reader call; keeps the first MAX_PROBLEMS and counts the rest. */
export class Problems {
  readonly list: Diagnostic[] = [];
  private dropped = 0;
  constructor(private readonly file: string | undefined) {}

  add(code: ResultCode, message: string, line?: number, hint?: string, severity: Severity = 'warning'): void {
    if (this.list.length >= MAX_PROBLEMS) {
      this.dropped++;
      return;
    }
    const where = this.file === undefined ? undefined : line === undefined ? { file: this.file } : { file: this.file, line };
    const d = diag(code, message, where, hint, severity);
    if (this.file === undefined && line !== undefined) d.line = line;
    this.list.push(d);
  }

  done(): Diagnostic[] {
    if (this.dropped > 0) {
      this.list.push(diag(RESULT_CODES.tooManyProblems, `${this.dropped} more problems were not listed.`, this.file === undefined ? undefined : { file: this.file }, undefined, 'warning'));
      this.dropped = 0;
    }
    return this.list;
  }
}
