/**
 * eegen report: summary.md of the recorded Cloudmask-shaped study (fixtures/report:
 * 3 epochs x 2 GPUs x 5 repeats, MLLOG results, timers, energy, two failures and a
 * timeout) is pinned as a golden file; values that would be Markdown or HTML stay text;
 * studies merge; a summary.md eegen did not write is never replaced; a missing
 * collection is a coded error.
 */
import { mkdirSync, readFileSync, writeFileSync, cpSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { build } from '../../src/build.js';
import { loadStudy, report, summaryMarkdown } from '../../src/report/index.js';
import { EEGEN_VERSION } from '../../src/version.js';
import { expectBaseline } from '../support/baseline.js';
import { eegen } from '../support/cli.js';
import { tmpDir } from '../support/tree.js';

const STUDY = 'fixtures/report/cloudmask-study';

describe('eegen report: summary.md', () => {
  it('the Cloudmask-shaped study gives the recorded summary', async () => {
    const text = summaryMarkdown([await loadStudy(STUDY)], '0.1.0');
    expectBaseline('test/baselines/cloudmask-study.summary.md', text);
    // What the summary must say, checked directly too (the golden file could be re-recorded wrong).
    expect(text).toContain('| done | 27 |');
    expect(text).toContain('| failed | 2 |');
    expect(text).toContain('| timeout | 1 |');
    expect(text).toMatch(/\| accuracy \| higher \| epoch=3 gpu=a100 \|/);
    expect(text).toMatch(/\| duration\\_s \| lower \| epoch=1 gpu=a100 \|/);
    expect(text).toMatch(/GPU energy: 0\.467 kWh .* over the 27 runs that recorded it/);
  });

  it('output bytes where runs recorded them: totalled in the summary, not a metric to rank by', async () => {
    const out = tmpDir('eegen-report-');
    cpSync(STUDY, out, { recursive: true });
    const rows = readFileSync(path.join(out, 'results.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
    rows[0]!.output_bytes = 2_500_000;
    rows[1]!.output_bytes = 500_000;
    writeFileSync(path.join(out, 'results.jsonl'), rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
    const text = summaryMarkdown([await loadStudy(out)], EEGEN_VERSION);
    expect(text).toContain('- Output written: 3.00 MB (3000000 bytes) over the 2 runs that recorded it.');
    expect(text).not.toMatch(/\| output\\_bytes \|/);
    // The fixture recorded none: nothing said.
    expect(summaryMarkdown([await loadStudy(STUDY)], EEGEN_VERSION)).not.toContain('Output written');
  });

  it('rows of bundles the build no longer has are not reported (EG8009 warning), neither in summary.md nor in the table', async () => {
    const out = tmpDir('eegen-report-');
    cpSync(STUDY, out, { recursive: true });
    const extra = JSON.stringify({ id: 'gone_bundle-1', state: 'failed', host: 'x', note: 'from a sweep built over since' });
    writeFileSync(path.join(out, 'results.jsonl'), readFileSync(path.join(out, 'results.jsonl'), 'utf8') + extra + '\n');
    const study = await loadStudy(out);
    expect(study.diagnostics.map((d) => d.code)).toEqual(['EG8009']);
    const text = summaryMarkdown([study], EEGEN_VERSION);
    expect(text).toContain('| failed | 2 |');
    expect(text).not.toContain('gone');
    const dir = tmpDir('eegen-report-out-');
    const r = await report({ outs: [out], dir });
    expect(r.diagnostics.map((d) => d.code)).toEqual(['EG8009']);
    expect(readFileSync(path.join(dir, 'report.html'), 'utf8')).not.toContain('gone_bundle');
  });

  it("GPU-hours as each bundle's job script requests GPUs (real built Slurm bundles, 2 nodes x 1 or 4 GPUs)", async () => {
    const dir = tmpDir('eegen-report-gpus-');
    writeFileSync(path.join(dir, 'config.yaml'), 'name: gq\nscheduler: slurm\nexperiment:\n  epoch: "1,2"\n  ngpu: "1,4"\nresources:\n  nodes: 2\n  gpus_per_node: "{experiment.ngpu}"\nrun:\n  command: echo {experiment.epoch}\n');
    const out = path.join(dir, 'out');
    expect((await build({ config: path.join(dir, 'config.yaml'), out })).ok).toBe(true);
    const index = JSON.parse(readFileSync(path.join(out, 'index.json'), 'utf8')) as { bundles: { id: string; params: { epoch: number } }[] };
    // 3600 s each: 4 runs, 4 bundle-hours; GPU-hours 2 + 8 + 2 + 8 = 20.
    writeFileSync(path.join(out, 'results.jsonl'), index.bundles.map((b) => JSON.stringify({ id: b.id, host: 'cluster', state: 'done', duration_s: 3600 })).join('\n') + '\n');
    const r = await report({ outs: [out], dir: path.join(dir, 'report') });
    const text = readFileSync(path.join(r.dir, 'summary.md'), 'utf8');
    expect(text).toContain("- Run time: 4 bundle-hours over 4 runs (20 GPU-hours as each bundle's job script requests GPUs).");
  });

  it('the same inputs give the same bytes', async () => {
    const a = summaryMarkdown([await loadStudy(STUDY)], EEGEN_VERSION);
    const b = summaryMarkdown([await loadStudy(STUDY)], EEGEN_VERSION);
    expect(a).toBe(b);
  });

  it('hostile values stay text: pipes, line breaks, HTML, Markdown markup', async () => {
    const out = tmpDir('eegen-report-');
    cpSync(STUDY, out, { recursive: true });
    const rows = readFileSync(path.join(out, 'results.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
    rows[0]!.state = 'failed';
    rows[0]!.note = 'a | b\n## not a heading <script>alert(1)</script> [link](http://x) **bold**';
    rows[1]!.host = 'evil|host<img src=x onerror=alert(1)>';
    writeFileSync(path.join(out, 'results.jsonl'), rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
    const text = summaryMarkdown([await loadStudy(out)], EEGEN_VERSION);
    expect(text).not.toContain('<script>');
    expect(text).not.toContain('<img');
    expect(text).not.toMatch(/^## not a heading/m);
    expect(text).toContain('a \\| b<br>\\#\\# not a heading &lt;script&gt;alert(1)&lt;/script&gt; \\[link\\](http://x) \\*\\*bold\\*\\*');
    expect(text).toContain('evil\\|host&lt;img src=x onerror=alert(1)&gt;');
    // Every table row still has its columns.
    for (const line of text.split('\n').filter((l) => l.startsWith('| '))) {
      const cells = line.replace(/\\\|/g, '').split('|').length;
      expect(cells, line).toBeGreaterThanOrEqual(4);
    }
  });

  it('several studies merge into one summary', async () => {
    const other = tmpDir('eegen-report-');
    cpSync(STUDY, other, { recursive: true });
    const dir = tmpDir('eegen-report-out-');
    const r = await report({ outs: [STUDY, other], dir });
    const text = readFileSync(path.join(dir, 'summary.md'), 'utf8');
    expect(r.files).toContain('summary.md');
    expect(text).toContain('60 bundles from');
    expect(text).toContain('| done | 54 |');
  });

  it('writes into OUT/report by default, replaces its own summary, never a foreign one', () => {
    const out = tmpDir('eegen-report-');
    cpSync(STUDY, out, { recursive: true });
    const first = eegen(['report', out]);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toBe(`Wrote ${path.join(out, 'report', 'report.html')}, summary.md and 7 charts (charts/*.svg, *.png)\n`);
    expect(eegen(['report', out, '--verbose']).stdout).toContain(`Wrote ${path.join(out, 'report', 'summary.md')}\n`);
    expect(eegen(['report', out]).code).toBe(0);
    const mine = path.join(tmpDir('eegen-report-mine-'), 'notes');
    mkdirSync(mine);
    writeFileSync(path.join(mine, 'summary.md'), '# my own notes\n');
    const refused = eegen(['report', out, '--out', mine]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/EG8101: .*summary\.md exists and was not written by eegen report/);
    expect(readFileSync(path.join(mine, 'summary.md'), 'utf8')).toBe('# my own notes\n');
  });

  it('nothing collected, or not a build: a coded error, no stack trace', () => {
    const dir = tmpDir('eegen-report-');
    writeFileSync(path.join(dir, 'index.json'), '{"bundles": [], "varying": []}');
    const none = eegen(['report', dir]);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/EG8002: .*results\.jsonl does not exist/);
    expect(none.stderr).not.toMatch(/\n\s+at /);
    expect(eegen(['report', path.join(dir, 'nope')]).stderr).toMatch(/EG8001/);
  });
});
