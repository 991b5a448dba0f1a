/**
 * eegen report: report.html (one self-contained file), every chart as SVG and PNG, from
 * the recorded Cloudmask-shaped study. Attacked with values that are HTML, script and SVG
 * markup (in parameters that become axis labels, in notes and host names that land in the
 * table), with an edited chart and a foreign report.html in the directory, and run twice
 * for the same bytes. Opening it in a real headless Chromium: browser.real.test.ts.
 */
import { cpSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { report } from '../../src/report/index.js';
import { isDiagnosticError } from '../../src/diagnostics/index.js';
import { tmpDir } from '../support/tree.js';

const STUDY = 'fixtures/report/cloudmask-study';
const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

async function refused(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (!isDiagnosticError(e)) throw e;
    return `${e.diagnostics[0]!.code}: ${e.diagnostics[0]!.message}`;
  }
  throw new Error('expected a refusal');
}

describe('eegen report: report.html and the charts', () => {
  it('draws every chart the study supports, as inline SVG, SVG files and PNGs; the same bytes twice', async () => {
    const a = tmpDir('eegen-report-');
    const r = await report({ outs: [STUDY], dir: a });
    expect(r.charts).toEqual(['runtime', 'history', 'accuracy-by-epoch', 'loss-by-epoch', 'result_inference_accuracy-by-epoch', 'energy', 'states']);
    const html = readFileSync(path.join(a, 'report.html'), 'utf8');
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html.match(/<svg /g)).toHaveLength(r.charts.length);
    // Self-contained: no reference to anything outside the file.
    expect(html).not.toMatch(/<(link|img|iframe|object)\b|\bsrc="|@import|https?:\/\/(?!www\.w3\.org)/);
    // The one script is the one the Content-Security-Policy names by its hash.
    const scripts = [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1]!);
    expect(scripts).toHaveLength(1);
    expect(html).toContain(`script-src 'sha256-${createHash('sha256').update(scripts[0]!).digest('base64')}'`);
    for (const c of r.charts) {
      expect(readFileSync(path.join(a, 'charts', `${c}.svg`), 'utf8').startsWith('<svg')).toBe(true);
      const png = readFileSync(path.join(a, 'charts', `${c}.png`));
      expect(png.subarray(0, 8).equals(PNG), c).toBe(true);
      expect(png.length).toBeGreaterThan(2000);
    }
    // Provenance under every chart: bundles, eegen's version, the hosts' fingerprints.
    expect(html.match(/class="prov">\d+ bundles?: /g)).toHaveLength(r.charts.length);
    expect(html).toContain('rivanna: NVIDIA A100-SXM4-80GB, driver 550.54.15');
    // The results table holds every row.
    expect(html.match(/<tr>/g)).toHaveLength(31);
    const b = tmpDir('eegen-report-');
    await report({ outs: [STUDY], dir: b });
    for (const f of ['report.html', 'summary.md', ...r.charts.flatMap((c) => [`charts/${c}.svg`, `charts/${c}.png`])]) expect(readFileSync(path.join(b, f)).equals(readFileSync(path.join(a, f))), f).toBe(true);
  });

  it('values that are markup stay text: in axis labels, the table, notes and host names', async () => {
    const out = tmpDir('eegen-report-');
    cpSync(STUDY, out, { recursive: true });
    const index = JSON.parse(readFileSync(path.join(out, 'index.json'), 'utf8')) as { bundles: { params: Record<string, unknown> }[] };
    for (const b of index.bundles) if (b.params.gpu === 'v100') b.params.gpu = '<script>alert(1)</script><svg onload=alert(2)>';
    writeFileSync(path.join(out, 'index.json'), JSON.stringify(index));
    const rows = readFileSync(path.join(out, 'results.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
    rows[0]!.note = '</td></tr></table><script>alert(3)</script>';
    rows[1]!.host = '"><img src=x onerror=alert(4)>';
    writeFileSync(path.join(out, 'results.jsonl'), rows.map((x) => JSON.stringify(x)).join('\n') + '\n');
    const dir = tmpDir('eegen-report-');
    await report({ outs: [out], dir });
    const html = readFileSync(path.join(dir, 'report.html'), 'utf8');
    expect(html.match(/<script/g)).toHaveLength(1);
    expect(html).not.toMatch(/<img|<svg onload/);
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    for (const f of readdirSync(path.join(dir, 'charts')).filter((x) => x.endsWith('.svg'))) {
      const svg = readFileSync(path.join(dir, 'charts', f), 'utf8');
      expect(svg, f).not.toMatch(/<script|<svg onload/);
    }
  });

  it('never replaces a file it did not write or one edited since; removes its own charts that are no longer drawn', async () => {
    const out = tmpDir('eegen-report-');
    cpSync(STUDY, out, { recursive: true });
    const dir = tmpDir('eegen-report-');
    await report({ outs: [out], dir });
    // An edited chart is the user's now.
    writeFileSync(path.join(dir, 'charts', 'runtime.svg'), '<svg><!-- annotated by hand --></svg>');
    expect(await refused(report({ outs: [out], dir }))).toMatch(/^EG8101: .*runtime\.svg exists and was changed since eegen report wrote it/);
    const foreign = tmpDir('eegen-report-');
    writeFileSync(path.join(foreign, 'report.html'), '<p>my page</p>');
    expect(await refused(report({ outs: [out], dir: foreign }))).toMatch(/^EG8101: .*report\.html exists and was not written by eegen report/);
    expect(readFileSync(path.join(foreign, 'report.html'), 'utf8')).toBe('<p>my page</p>');
    // No energy recorded any more: the energy chart of the last report goes.
    const clean = tmpDir('eegen-report-');
    await report({ outs: [out], dir: clean });
    const rows = readFileSync(path.join(out, 'results.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
    for (const r of rows) delete r.energy_j;
    writeFileSync(path.join(out, 'results.jsonl'), rows.map((x) => JSON.stringify(x)).join('\n') + '\n');
    const again = await report({ outs: [out], dir: clean });
    expect(again.charts).not.toContain('energy');
    expect(readdirSync(path.join(clean, 'charts'))).not.toContain('energy.svg');
  });
});
