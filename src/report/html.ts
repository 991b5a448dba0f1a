/**
 * report.html: one self-contained file (works offline, opens from disk): the charts as
 * inline SVG, each with its provenance (which bundles, eegen's version, the hosts'
 * fingerprints), the summary's numbers and the results table, sortable by a few lines of
 * inline script. A Content-Security-Policy allows that one script (by its hash) and
 * nothing else: no network, no other script, whatever a study's values contain, and every
 * value is escaped as text.
 */
import { createHash } from 'node:crypto';
import type { Chart } from './charts.js';
import type { Study, StudyRow } from './study.js';
import { num, str } from './study.js';
import { formatNumber } from './summary.js';

export function escapeHtml(v: unknown): string {
  const s = v === undefined || v === null ? '' : typeof v === 'string' ? v : typeof v === 'number' ? formatNumber(v) : JSON.stringify(v);
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/** Sorts the results table by the clicked column (numbers as numbers). */
const SORT = `document.querySelectorAll('table.sortable th').forEach(function (th, i) {
  th.addEventListener('click', function () {
    var body = th.closest('table').tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    var asc = th.getAttribute('aria-sort') !== 'ascending';
    th.closest('tr').querySelectorAll('th').forEach(function (h) { h.removeAttribute('aria-sort'); });
    th.setAttribute('aria-sort', asc ? 'ascending' : 'descending');
    rows.sort(function (a, b) {
      var x = a.cells[i].getAttribute('data-v'), y = b.cells[i].getAttribute('data-v');
      var nx = parseFloat(x), ny = parseFloat(y);
      var c = !isNaN(nx) && !isNaN(ny) ? nx - ny : x < y ? -1 : x > y ? 1 : 0;
      return asc ? c : -c;
    });
    rows.forEach(function (r) { body.appendChild(r); });
  });
});`;

const STYLE = `body{font:14px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:1100px;padding:0 1rem;color:#222}
h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:2rem}figure{margin:0;overflow-x:auto}
.prov{color:#666;font-size:12px}table{border-collapse:collapse;font-size:12px;display:block;overflow-x:auto}
th,td{border:1px solid #ddd;padding:2px 6px;text-align:left;white-space:nowrap}th{cursor:pointer;background:#f4f4f4}
th[aria-sort=ascending]::after{content:" \\25B2"}th[aria-sort=descending]::after{content:" \\25BC"}`;

function columnsOf(rows: readonly StudyRow[]): string[] {
  const seen = new Set<string>();
  for (const r of rows) for (const k of Object.keys(r)) if (k !== 'history') seen.add(k);
  return [...seen];
}

function fingerprints(studies: readonly Study[], ids: ReadonlySet<string>): string {
  const fp = new Map<string, Set<string>>();
  for (const s of studies)
    for (const r of s.rows.values()) {
      if (!ids.has(r.id)) continue;
      const host = str(r.host) ?? '(unknown host)';
      const what = [str(r['fp.gpu']), str(r['fp.driver']) && `driver ${r['fp.driver']}`, str(r['fp.cpu']), str(r['fp.os'])].filter(Boolean).join(', ');
      const set = fp.get(host) ?? new Set<string>();
      if (what) set.add(what);
      fp.set(host, set);
    }
  return [...fp].sort((a, b) => (a[0] < b[0] ? -1 : 1)).map(([h, s]) => `${h}${s.size ? `: ${[...s].sort().join('; ')}` : ''}`).join(' · ');
}

/** The report's title: the config's `report.title`, else the studies' names. */
export function reportTitle(studies: readonly Study[], title?: string): string {
  return title ?? studies.map((s) => s.name ?? s.out).join(', ');
}

export function reportHtml(studies: readonly Study[], charts: readonly { chart: Chart; svg: string }[], eegenVersion: string, opts: { title?: string } = {}): string {
  const title = reportTitle(studies, opts.title);
  const rows = studies.flatMap((s) => [...s.rows.values()]);
  const cols = columnsOf(rows);
  const scriptHash = createHash('sha256').update(SORT).digest('base64');
  const parts: string[] = [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    '<meta name="generator" content="eegen report">',
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:; script-src 'sha256-${scriptHash}'">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>eegen report: ${escapeHtml(title)}</title>`,
    `<style>${STYLE}</style></head><body>`,
    `<h1>Study: ${escapeHtml(title)}</h1>`,
    `<p class="prov">${rows.length} result rows from ${studies.map((s) => `${escapeHtml(s.out)} (results.jsonl sha256 ${s.resultsHash.slice(0, 12)})`).join(', ')}; eegen ${escapeHtml(eegenVersion)}.</p>`,
  ];
  for (const { chart, svg } of charts) {
    const ids = new Set(chart.bundles);
    parts.push(
      `<section id="chart-${escapeHtml(chart.name)}"><h2>${escapeHtml(chart.title)}</h2>`,
      `<figure>${svg}</figure>`,
      `<p class="prov">${ids.size} bundle${ids.size === 1 ? '' : 's'}: ${escapeHtml(chart.bundles.slice(0, 8).join(', '))}${ids.size > 8 ? ', …' : ''} · eegen ${escapeHtml(eegenVersion)} · ${escapeHtml(fingerprints(studies, ids))} · charts/${escapeHtml(chart.name)}.svg, .png</p></section>`,
    );
  }
  parts.push('<section id="results"><h2>Results (click a column to sort)</h2><table class="sortable"><thead><tr>');
  for (const c of cols) parts.push(`<th>${escapeHtml(c)}</th>`);
  parts.push('</tr></thead><tbody>');
  for (const r of rows) {
    parts.push('<tr>');
    for (const c of cols) {
      const v = r[c];
      const n = num(v);
      parts.push(`<td data-v="${escapeHtml(n !== undefined ? String(n) : v ?? '')}">${escapeHtml(v)}</td>`);
    }
    parts.push('</tr>');
  }
  parts.push('</tbody></table></section>', `<script>${SORT}</script>`, '</body></html>', '');
  return parts.join('\n');
}
