/**
 * Node labels: the Compute Coordinator's variables (paper, Table II) in `{...}`, parsed
 * once when the spec loads (a bad label is a positioned error before anything runs) and
 * rendered for every view. Pure: the clock, the time zone and the environment come in
 * the context, never from the process.
 *
 * - `{name}` `{host}` `{progress}` `{kind}` `{user}` `{state}`, and any other scalar value
 *   of the node (`{script}`, a key of the user's own).
 * - Times: `{now}` `{created}` `{t0}` (workflow start) `{t1}` (workflow end) `{tstart}`
 *   `{tend}` (node start/end; `{start}` `{end}` are cloudmesh-cc's older names) `{modified}`
 *   (the node's last change), each optionally `.FMT`, a strftime format: `{now.%Y%m%d,%H%M%S}`.
 *   `{t0.}` (an empty format) is the default, `%Y-%m-%d %H:%M:%S`. Times are stored in UTC
 *   and shown in the context's time zone.
 * - Durations: `{dt0.FMT}` (since the workflow began, until now or its end) and `{dt1.FMT}`
 *   (the total, once complete). The largest unit in FMT carries the whole amount and each
 *   smaller one the remainder, so `%H:%M:%S` of 26 hours is `26:00:00` and `%d %H:%M:%S` is
 *   `1 02:00:00`; `%Y` counts 365-day years and `%m` 30-day months (the paper writes
 *   `dt0.%Y%m%d,%H%M%S`). Default `%H:%M:%S`.
 * - `--` in a format is the old spelling of `:` (cloudmesh-cc used Python's str.format,
 *   where a colon ends the field): `{now.%H--%M--%S}` prints `12:30:45`.
 * - `{os.VAR}`: VAR from the context's environment (the host's profile, then the caller's).
 * - `\n` is a line break (as Graphviz reads it), `{{` and `}}` are literal braces.
 * An unknown time (`{t1}` before the end) renders empty; an unknown progress as 0.
 */

export type LabelPart =
  | { text: string }
  | { variable: string; format?: string; offset: number; length: number };

export interface LabelError {
  code: 'EG7120' | 'EG7121' | 'EG7122' | 'EG7123';
  message: string;
  hint: string;
  /** Offset and length inside the label string. */
  offset: number;
  length: number;
}

const TIMES = new Set(['now', 'created', 't0', 't1', 'tstart', 'tend', 'start', 'end', 'modified']);
const DURATIONS = new Set(['dt0', 'dt1']);
const PLAIN = new Set(['name', 'host', 'progress', 'kind', 'user', 'state', 'status']);
const TIME_DIRECTIVES = new Set('YymdeHIMSfpjaAbBZzsFTD%'.split(''));
const DURATION_DIRECTIVES = new Set('YmdjHMSfs%'.split(''));
export const DEFAULT_TIME_FORMAT = '%Y-%m-%d %H:%M:%S';
export const DEFAULT_DURATION_FORMAT = '%H:%M:%S';

/** Parse a label; `attributes` are the node's own keys, usable as `{key}`. */
export function parseLabel(label: string, attributes: Iterable<string> = []): { parts: LabelPart[]; errors: LabelError[] } {
  const own = new Set(attributes);
  const parts: LabelPart[] = [];
  const errors: LabelError[] = [];
  let text = '';
  const flush = (): void => {
    if (text) parts.push({ text });
    text = '';
  };
  for (let i = 0; i < label.length; i++) {
    const c = label[i]!;
    if (c === '\\' && label[i + 1] === 'n') {
      text += '\n';
      i++;
    } else if (c === '{' && label[i + 1] === '{') {
      text += '{';
      i++;
    } else if (c === '}' && label[i + 1] === '}') {
      text += '}';
      i++;
    } else if (c === '}') {
      errors.push({ code: 'EG7122', message: 'A "}" without its "{".', hint: 'Write }} for a literal brace.', offset: i, length: 1 });
    } else if (c === '{') {
      const close = label.indexOf('}', i + 1);
      const nested = label.indexOf('{', i + 1);
      if (close < 0 || (nested >= 0 && nested < close)) {
        errors.push({ code: 'EG7122', message: 'A "{" without its "}".', hint: 'Close the variable, e.g. {name}; write {{ for a literal brace.', offset: i, length: (close < 0 ? label.length : nested) - i });
        i = close < 0 ? label.length : nested - 1;
        continue;
      }
      flush();
      const inner = label.slice(i + 1, close);
      const part = parseVariable(inner, i, own, errors);
      if (part) parts.push(part);
      i = close;
    } else {
      text += c;
    }
  }
  flush();
  return { parts, errors };
}

function parseVariable(inner: string, at: number, own: ReadonlySet<string>, errors: LabelError[]): LabelPart | undefined {
  const length = inner.length + 2;
  const dot = inner.indexOf('.');
  const head = (dot < 0 ? inner : inner.slice(0, dot)).trim();
  const rest = dot < 0 ? undefined : inner.slice(dot + 1);
  if (head === 'os') {
    if (!rest || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(rest)) {
      errors.push({ code: 'EG7120', message: `{${inner}} is not an environment variable name.`, hint: 'Write {os.NAME}, e.g. {os.USER}.', offset: at, length });
      return undefined;
    }
    return { variable: 'os', format: rest, offset: at, length };
  }
  if (head === 'cm') {
    errors.push({ code: 'EG7123', message: `{${inner}}: cloudmesh variables (cms set) do not exist in eegen.`, hint: 'Use {os.NAME} for an environment variable, or a key of the node: {mykey}.', offset: at, length });
    return undefined;
  }
  if (TIMES.has(head) || DURATIONS.has(head)) {
    const format = (rest ?? '').replace(/--/g, ':');
    const allowed = DURATIONS.has(head) ? DURATION_DIRECTIVES : TIME_DIRECTIVES;
    for (let k = 0; k < format.length; k++) {
      if (format[k] !== '%') continue;
      const d = format[k + 1];
      if (d === undefined || !allowed.has(d)) {
        const shown = d === undefined ? '%' : `%${d}`;
        errors.push({
          code: 'EG7121',
          message: `{${inner}}: ${shown} is not a ${DURATIONS.has(head) ? 'duration' : 'time'} format directive.`,
          hint: DURATIONS.has(head) ? 'Durations take %Y %m %d %j %H %M %S %f %s and %%.' : 'Times take %Y %y %m %d %e %H %I %M %S %f %p %j %a %A %b %B %Z %z %s %F %T %D and %%.',
          offset: at,
          length,
        });
        return undefined;
      }
      k++;
    }
    return format === '' ? { variable: head, offset: at, length } : { variable: head, format, offset: at, length };
  }
  if (rest === undefined && (PLAIN.has(head) || own.has(head))) return { variable: head, offset: at, length };
  const known = [...new Set([...PLAIN, ...TIMES, ...DURATIONS, 'os.NAME', ...own])].filter((k) => k !== 'label');
  errors.push({ code: 'EG7120', message: `{${inner}} is not a label variable.`, hint: `Label variables: ${known.map((k) => `{${k}}`).join(' ')}.`, offset: at, length });
  return undefined;
}

/** What a label is rendered with. Times are absolute instants (UTC inside a Date). */
export interface LabelContext {
  name: string;
  host?: string;
  kind?: string;
  user?: string;
  state?: string;
  progress?: number;
  /** The node's own scalar values, for `{key}`. */
  attributes?: Readonly<Record<string, string | number | boolean | null>>;
  now: Date;
  created?: Date;
  t0?: Date;
  t1?: Date;
  tstart?: Date;
  tend?: Date;
  modified?: Date;
  /** `{os.VAR}` values. */
  env?: Readonly<Record<string, string | undefined>>;
  /** IANA zone the times are shown in (default UTC). */
  timeZone?: string;
}

export function renderLabel(parts: readonly LabelPart[], ctx: LabelContext): string {
  let out = '';
  for (const p of parts) {
    if ('text' in p) out += p.text;
    else out += renderVariable(p, ctx);
  }
  return out;
}

function renderVariable(p: Extract<LabelPart, { variable: string }>, ctx: LabelContext): string {
  const zone = ctx.timeZone ?? 'UTC';
  switch (p.variable) {
    case 'name':
      return ctx.name;
    case 'host':
      return ctx.host ?? '';
    case 'kind':
      return ctx.kind ?? '';
    case 'user':
      return ctx.user ?? '';
    case 'state':
    case 'status':
      return ctx.state ?? '';
    case 'progress':
      return String(Math.round(ctx.progress ?? 0));
    case 'os':
      return ctx.env && Object.hasOwn(ctx.env, p.format!) ? (ctx.env[p.format!] ?? '') : '';
    case 'dt0':
    case 'dt1': {
      const end = p.variable === 'dt1' ? ctx.t1 : (ctx.t1 ?? ctx.now);
      if (!ctx.t0 || !end) return '';
      return formatDuration(end.getTime() - ctx.t0.getTime(), p.format ?? DEFAULT_DURATION_FORMAT);
    }
    default: {
      if (TIMES.has(p.variable)) {
        const key = p.variable === 'start' ? 'tstart' : p.variable === 'end' ? 'tend' : p.variable;
        const t = ctx[key as 'now'] as Date | undefined;
        return t ? strftime(t, p.format ?? DEFAULT_TIME_FORMAT, zone) : '';
      }
      const v = ctx.attributes && Object.hasOwn(ctx.attributes, p.variable) ? ctx.attributes[p.variable] : undefined;
      return v === undefined || v === null ? '' : String(v);
    }
  }
}

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');
const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const DAY_NAMES = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const MONTH_NAMES = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

interface ZonedParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  weekday: number;
  /** Minutes east of UTC. */
  offset: number;
  abbreviation: string;
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatterFor(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric', timeZoneName: 'short' });
    formatters.set(zone, f);
  }
  return f;
}

/** Whether `zone` is a time zone this Node knows. */
export function isTimeZone(zone: string): boolean {
  try {
    formatterFor(zone);
    return true;
  } catch {
    return false;
  }
}

function zoned(date: Date, zone: string): ZonedParts {
  const parts: Record<string, string> = {};
  for (const p of formatterFor(zone).formatToParts(date)) parts[p.type] = p.value;
  const year = Number(parts.year);
  const month = Number(parts.month);
  const day = Number(parts.day);
  const hour = Number(parts.hour) % 24;
  const minute = Number(parts.minute);
  const second = Number(parts.second);
  const wall = Date.UTC(year, month - 1, day, hour, minute, second);
  const offset = Math.round((wall - Math.floor(date.getTime() / 1000) * 1000) / 60_000);
  return { year, month, day, hour, minute, second, weekday: new Date(wall).getUTCDay(), offset, abbreviation: parts.timeZoneName ?? zone };
}

/** strftime for an instant, in `zone`. Directives as listed in DEFAULT_TIME_FORMAT's module doc. */
export function strftime(date: Date, format: string, zone = 'UTC'): string {
  const z = zoned(date, zone);
  let out = '';
  for (let i = 0; i < format.length; i++) {
    const c = format[i]!;
    if (c !== '%' || i + 1 >= format.length) {
      out += c;
      continue;
    }
    const d = format[++i]!;
    const h12 = z.hour % 12 === 0 ? 12 : z.hour % 12;
    const sign = z.offset < 0 ? '-' : '+';
    const abs = Math.abs(z.offset);
    const jan1 = Date.UTC(z.year, 0, 1);
    const yday = Math.floor((Date.UTC(z.year, z.month - 1, z.day) - jan1) / 86_400_000) + 1;
    const map: Record<string, string> = {
      Y: String(z.year),
      y: pad(z.year % 100),
      m: pad(z.month),
      d: pad(z.day),
      e: String(z.day).padStart(2, ' '),
      H: pad(z.hour),
      I: pad(h12),
      M: pad(z.minute),
      S: pad(z.second),
      f: pad((date.getTime() % 1000 + 1000) % 1000 * 1000, 6),
      p: z.hour < 12 ? 'AM' : 'PM',
      j: pad(yday, 3),
      a: DAYS[z.weekday]!,
      A: DAY_NAMES[z.weekday]!,
      b: MONTHS[z.month - 1]!,
      B: MONTH_NAMES[z.month - 1]!,
      Z: z.abbreviation,
      z: `${sign}${pad(Math.floor(abs / 60))}${pad(abs % 60)}`,
      s: String(Math.floor(date.getTime() / 1000)),
      F: `${z.year}-${pad(z.month)}-${pad(z.day)}`,
      T: `${pad(z.hour)}:${pad(z.minute)}:${pad(z.second)}`,
      D: `${pad(z.month)}/${pad(z.day)}/${pad(z.year % 100)}`,
      '%': '%',
    };
    out += map[d] ?? `%${d}`;
  }
  return out;
}

const UNIT_MS: Record<string, number> = { Y: 365 * 86_400_000, m: 30 * 86_400_000, d: 86_400_000, j: 86_400_000, H: 3_600_000, M: 60_000, S: 1000 };
const ORDER = ['Y', 'm', 'd', 'j', 'H', 'M', 'S'];

/**
 * A duration (milliseconds, negative counts as 0) in a strftime-like format: the largest
 * unit present carries the total, each smaller one the remainder (`%H` of 26 h is 26).
 */
export function formatDuration(ms: number, format: string): string {
  let rest = Math.max(0, Math.floor(ms));
  const used = new Set<string>();
  for (let i = 0; i < format.length - 1; i++) if (format[i] === '%') used.add(format[++i]!);
  const present = ORDER.filter((u) => used.has(u));
  const value: Record<string, number> = {};
  for (const u of present) {
    if (u === 'j' && present.includes('d')) continue;
    value[u] = Math.floor(rest / UNIT_MS[u]!);
    rest -= value[u]! * UNIT_MS[u]!;
  }
  if (value.j === undefined && value.d !== undefined) value.j = value.d;
  if (value.d === undefined && value.j !== undefined) value.d = value.j;
  let out = '';
  for (let i = 0; i < format.length; i++) {
    const c = format[i]!;
    if (c !== '%' || i + 1 >= format.length) {
      out += c;
      continue;
    }
    const d = format[++i]!;
    if (d === '%') out += '%';
    else if (d === 'f') out += pad((rest % 1000) * 1000, 6);
    else if (d === 's') out += String(Math.floor(Math.max(0, ms) / 1000));
    else if (d === 'Y') out += pad(value.Y ?? 0, 4);
    else if (d === 'j') out += pad(value.j ?? 0, 3);
    else if (value[d] !== undefined) out += pad(value[d]!);
    else out += `%${d}`;
  }
  return out;
}
