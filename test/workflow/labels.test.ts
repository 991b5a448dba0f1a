/**
 * Labels (paper, Table II): every variable, the old %H--%M--%S spelling, durations over a
 * day, times shown in the user's zone from UTC instants, and bad labels as errors with an
 * offset (never a throw).
 */
import { describe, expect, it } from 'vitest';
import { formatDuration, isTimeZone, parseLabel, renderLabel, strftime, type LabelContext } from '../../src/workflow/labels.js';

const t = (iso: string): Date => new Date(iso);
const base: LabelContext = {
  name: 'compute',
  host: 'box',
  kind: 'ssh',
  user: 'alice',
  state: 'running',
  progress: 42.4,
  now: t('2026-03-29T01:30:05.123Z'),
  created: t('2026-03-01T08:00:00Z'),
  t0: t('2026-03-28T00:00:00Z'),
  tstart: t('2026-03-28T23:59:59Z'),
  modified: t('2026-03-29T01:00:00Z'),
  attributes: { shape: 'box', epochs: 30 },
  env: { HOME: '/home/alice' },
};

function render(label: string, ctx: Partial<LabelContext> = {}): string {
  const { parts, errors } = parseLabel(label, Object.keys({ ...base.attributes, ...ctx.attributes }));
  expect(errors).toEqual([]);
  return renderLabel(parts, { ...base, ...ctx });
}

describe('labels', () => {
  it("renders the paper's variables", () => {
    expect(render('{name}\\nprogress={progress}')).toBe('compute\nprogress=42');
    expect(render('{host} {kind} {user} {state} {shape} {epochs} {os.HOME} {os.NOPE}|')).toBe('box ssh alice running box 30 /home/alice |');
    expect(render('{now.%Y%m%d,%H%M%S}')).toBe('20260329,013005');
    expect(render('{created} | {created.}')).toBe('2026-03-01 08:00:00 | 2026-03-01 08:00:00');
    expect(render('{t0.%F} {tstart.%T} {start.%H} {modified.%H:%M}')).toBe('2026-03-28 23:59:59 23 01:00');
    expect(render('[{t1.}] [{tend.}] [{end.}] [{dt1.}]')).toBe('[] [] [] []');
    expect(render('{{literal}} {{name}}')).toBe('{literal} {name}');
  });

  it('the old spelling %H--%M--%S is %H:%M:%S', () => {
    expect(render('{now.%H--%M--%S}')).toBe('01:30:05');
    expect(render('{created.%Y/%m/%d, %H--%M--%S}')).toBe('2026/03/01, 08:00:00');
  });

  it('durations over a day: the largest unit carries the total', () => {
    const ctx = { t0: t('2026-01-01T00:00:00Z'), now: t('2026-01-02T02:03:04.500Z') };
    expect(render('{dt0.%H:%M:%S}', ctx)).toBe('26:03:04');
    expect(render('{dt0.}', ctx)).toBe('26:03:04');
    expect(render('{dt0.%d %H:%M:%S}', ctx)).toBe('01 02:03:04');
    expect(render('{dt0.%M}m {dt0.%s}s {dt0.%S.%f}', ctx)).toBe('1563m 93784s 93784.500000');
    expect(render('{dt0.%Y%m%d,%H%M%S}', ctx)).toBe('00000001,020304');
    // dt1 only once the workflow is complete; dt0 stops at the end.
    expect(render('[{dt1.}]', ctx)).toBe('[]');
    expect(render('{dt0.} {dt1.%j days %H h}', { ...ctx, t1: t('2026-01-11T05:00:00Z') })).toBe('245:00:00 010 days 05 h');
    expect(formatDuration(-5, '%H:%M:%S')).toBe('00:00:00');
    expect(formatDuration(400 * 86_400_000, '%Y years %d days')).toBe('0001 years 35 days');
  });

  it('times are stored as UTC instants and shown in the given zone (DST change included)', () => {
    const utc = t('2026-03-29T01:30:05Z');
    expect(strftime(utc, '%F %T %z', 'UTC')).toBe('2026-03-29 01:30:05 +0000');
    // Berlin switches to summer time at 01:00 UTC on 2026-03-29.
    expect(strftime(utc, '%F %T %z', 'Europe/Berlin')).toBe('2026-03-29 03:30:05 +0200');
    expect(strftime(t('2026-03-29T00:30:00Z'), '%T %z', 'Europe/Berlin')).toBe('01:30:00 +0100');
    expect(strftime(utc, '%F %I:%M %p %a %A %b %B %j %y %e %D', 'America/New_York')).toBe('2026-03-28 09:30 PM Sat Saturday Mar March 087 26 28 03/28/26');
    expect(strftime(utc, '%s %%', 'Asia/Kolkata')).toBe('1774747805 %');
    expect(strftime(utc, '%z', 'Asia/Kolkata')).toBe('+0530');
    expect(render('{now.%H:%M}', { timeZone: 'Asia/Tokyo' })).toBe('10:30');
    expect(isTimeZone('Europe/Berlin')).toBe(true);
    expect(isTimeZone('Mars/Olympus')).toBe(false);
  });

  it('bad labels are errors with an offset into the label, never a throw', () => {
    const cases: [string, string, number, number][] = [
      ['{progres}', 'EG7120', 0, 9],
      ['x {now.%Q}', 'EG7121', 2, 8],
      ['{dt0.%b}', 'EG7121', 0, 8],
      ['{t0.%}', 'EG7121', 0, 6],
      ['{cm.host}', 'EG7123', 0, 9],
      ['{os.}', 'EG7120', 0, 5],
      ['{os.A-B}', 'EG7120', 0, 8],
      ['ab {name', 'EG7122', 3, 5],
      ['{a{name}', 'EG7122', 0, 2],
      ['x}', 'EG7122', 1, 1],
      ['{}', 'EG7120', 0, 2],
      ['{name.x}', 'EG7120', 0, 8],
      ['{constructor}', 'EG7120', 0, 13],
      ['{__proto__}', 'EG7120', 0, 11],
    ];
    for (const [label, code, offset, length] of cases) {
      const { errors } = parseLabel(label);
      expect(errors.map((e) => [e.code, e.offset, e.length]), label).toEqual([[code, offset, length]]);
    }
  });

  it('hostile values render as text: no code runs, no prototype is read', () => {
    const r = render('{name} {os.PATH}', { name: '$(rm -rf /) `x` <b>', env: { PATH: '"; drop' } });
    expect(render('[{os.constructor}] [{os.__proto__}]')).toBe('[] []');
    expect(r).toBe('$(rm -rf /) `x` <b> "; drop');
    const { parts } = parseLabel('{toString}', ['toString']);
    expect(renderLabel(parts, { ...base, attributes: {} })).toBe('');
  });
});
