/**
 * report.html in a real browser: Debian's chromium, headless, driven by playwright-core
 * (never a downloaded browser). The recorded Cloudmask-shaped study is rendered with the
 * library's report() into a temp dir and report.html opened from disk (file://). Checked:
 *
 * - every chart the report says it drew (ReportResult.charts) is a section with its SVG,
 *   laid out at a real size, holding a non-trivial number of Vega marks;
 * - no console error, no uncaught exception, no Content-Security-Policy violation;
 * - clicking a column header sorts the table numerically (the order changes, and it is
 *   not the string order), a second click reverses it;
 * - not one request leaves file:// (every request is routed; any other URL is a failure).
 *
 * Screenshots go to test-artifacts/report/ (gitignored). Each check must be able to fail,
 * so each is also run against a report.html tampered with (a chart removed, a chart with
 * its marks gone, a script whose hash no longer matches the CSP, a script that throws, a
 * string sort, an image from the network with and without the CSP), and must notice.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { report, type ReportResult } from '../../src/report/index.js';
import { CHROMIUM, REPO_ROOT, skipWithout } from '../support/env.js';
import { tmpDir } from '../support/tree.js';

const STUDY = 'fixtures/report/cloudmask-study';
/** Where the screenshots are kept (gitignored; CI may upload it). */
const ARTIFACTS = path.join(REPO_ROOT, 'test-artifacts', 'report');
/** Fewer data marks than this in a chart is not a drawn chart (the smallest, states, has 3 bars). */
const MIN_MARKS = 3;

/** What one visit of a page saw. */
interface Visit {
  page: Page;
  /** Console messages of type error, uncaught exceptions, CSP violations. */
  errors: string[];
  /** Every request for a URL that is not file://. */
  network: string[];
}

interface ChartSeen {
  id: string;
  svgs: number;
  marks: number;
  width: number;
  height: number;
}

describe.skipIf(skipWithout('chromium'))('report.html in headless Chromium', () => {
  let browser: Browser;
  let result: ReportResult;
  let html: string;
  let work: string;

  beforeAll(async () => {
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox'] });
    work = tmpDir('eegen-report-browser-');
    result = await report({ outs: [STUDY], dir: path.join(work, 'report') });
    html = readFileSync(path.join(result.dir, 'report.html'), 'utf8');
    mkdirSync(ARTIFACTS, { recursive: true });
  });
  afterAll(async () => {
    await browser?.close();
  });

  /** Open `file` from disk, recording errors, CSP violations and any request off file://. */
  async function visit(file: string): Promise<Visit> {
    const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
    const errors: string[] = [];
    const network: string[] = [];
    await context.route('**/*', async (route) => {
      const url = route.request().url();
      if (url.startsWith('file://')) return route.continue();
      network.push(url);
      return route.abort();
    });
    // Reported by the page itself too, not only as Chromium's console text.
    await context.addInitScript({ content: "document.addEventListener('securitypolicyviolation', function (e) { console.error('CSP violation: ' + e.violatedDirective + ' blocked ' + (e.blockedURI || 'inline')); });" });
    const page = await context.newPage();
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(`console: ${m.text()}`);
    });
    page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
    page.on('requestfailed', (r) => {
      if (!r.url().startsWith('file://')) return;
      errors.push(`failed: ${r.url()}`);
    });
    await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
    // Let late errors (a script run after load, a violation report) arrive.
    await page.waitForTimeout(200);
    return { page, errors, network };
  }

  async function charts(page: Page): Promise<ChartSeen[]> {
    return page.$$eval('section[id^="chart-"]', (sections) =>
      sections.map((s) => {
        const svg = s.querySelector('figure > svg');
        const box = svg?.getBoundingClientRect();
        return {
          id: s.id.slice('chart-'.length),
          svgs: s.querySelectorAll('figure > svg').length,
          // Vega's data marks: the children of each g.role-mark (bars, lines, points, rules).
          marks: svg ? [...svg.querySelectorAll('g.role-mark')].reduce((n, g) => n + g.children.length, 0) : 0,
          width: box?.width ?? 0,
          height: box?.height ?? 0,
        };
      }),
    );
  }

  /** What is wrong with the charts on the page, against the charts the report says it drew. */
  async function chartProblems(page: Page): Promise<string[]> {
    const seen = await charts(page);
    const problems: string[] = [];
    const ids = seen.map((c) => c.id);
    if (JSON.stringify(ids) !== JSON.stringify(result.charts)) problems.push(`sections ${ids.join(',')} but the report drew ${result.charts.join(',')}`);
    for (const c of seen) {
      if (c.svgs !== 1) problems.push(`${c.id}: ${c.svgs} SVGs`);
      if (c.marks < MIN_MARKS) problems.push(`${c.id}: ${c.marks} marks`);
      if (c.width < 200 || c.height < 50) problems.push(`${c.id}: drawn ${c.width}x${c.height}`);
    }
    return problems;
  }

  /** The table's column `name` as the cells' data-v values, top to bottom. */
  async function column(page: Page, name: string): Promise<string[]> {
    return page.$$eval(
      'table.sortable',
      ([table], col) => {
        const i = [...table!.querySelectorAll('thead th')].findIndex((th) => th.textContent === col);
        return [...table!.querySelectorAll('tbody > tr')].map((r) => r.querySelectorAll('td')[i]!.getAttribute('data-v') ?? '');
      },
      name,
    );
  }

  /** Click the header of `name` twice: what is wrong with the order after each click. */
  async function sortProblems(page: Page, name = 'duration_s'): Promise<string[]> {
    const before = (await column(page, name)).map(Number);
    const ascending = [...before].sort((a, b) => a - b);
    const asStrings = [...before].map(String).sort().map(Number);
    // The check means something only if the rows start unsorted and string order is another order.
    expect(before).not.toEqual(ascending);
    expect(asStrings).not.toEqual(ascending);
    const problems: string[] = [];
    const header = page.locator('table.sortable thead th', { hasText: new RegExp(`^${name}$`) });
    await header.click();
    const once = (await column(page, name)).map(Number);
    if (JSON.stringify(once) !== JSON.stringify(ascending)) problems.push(`after one click ${name} is ${once.join(' ')}, not ascending`);
    if ((await header.getAttribute('aria-sort')) !== 'ascending') problems.push(`aria-sort is ${await header.getAttribute('aria-sort')} after one click`);
    await header.click();
    const twice = (await column(page, name)).map(Number);
    if (JSON.stringify(twice) !== JSON.stringify([...ascending].reverse())) problems.push(`after two clicks ${name} is ${twice.join(' ')}, not descending`);
    return problems;
  }

  /** A copy of report.html with `edit` applied, beside the real one. */
  function tampered(name: string, edit: (html: string) => string): string {
    const changed = edit(html);
    expect(changed, `the ${name} edit changed nothing`).not.toBe(html);
    const file = path.join(work, `tampered-${name}.html`);
    writeFileSync(file, changed);
    return file;
  }

  /** The report's sort script replaced by `script`, with the CSP naming the new script's hash. */
  function withScript(page: string, script: string): string {
    const hash = createHash('sha256').update(script).digest('base64');
    return page.replace(/<script>[\s\S]*?<\/script>/, () => `<script>${script}</script>`).replace(/script-src 'sha256-[^']+'/, `script-src 'sha256-${hash}'`);
  }

  const sortScript = (): string => /<script>([\s\S]*?)<\/script>/.exec(html)![1]!;

  it('draws every chart, logs no error or CSP violation, sorts the table numerically and asks no network', async () => {
    expect(result.charts.length).toBeGreaterThanOrEqual(5);
    const { page, errors, network } = await visit(path.join(result.dir, 'report.html'));
    await page.screenshot({ path: path.join(ARTIFACTS, 'report.png'), fullPage: true });
    for (const name of result.charts) await page.locator(`#chart-${name} figure`).screenshot({ path: path.join(ARTIFACTS, `chart-${name}.png`) });
    expect(await chartProblems(page)).toEqual([]);
    const seen = await charts(page);
    // The figures, for the log: marks per chart.
    console.log(`report.html in ${browser.version()}: ${seen.map((c) => `${c.id} ${c.marks} marks ${Math.round(c.width)}x${Math.round(c.height)}`).join('; ')}`);
    expect(await sortProblems(page)).toEqual([]);
    await page.locator('#results').screenshot({ path: path.join(ARTIFACTS, 'table-sorted.png') });
    expect(errors).toEqual([]);
    expect(network).toEqual([]);
    await page.context().close();
  });

  it('notices a chart removed from the page, and a chart whose marks are gone', async () => {
    const removed = await visit(tampered('chart-removed', (h) => h.replace(/<section id="chart-energy">[\s\S]*?<\/section>/, '')));
    expect((await chartProblems(removed.page)).join('\n')).toMatch(/but the report drew .*energy/);
    await removed.page.context().close();
    const empty = await visit(tampered('marks-gone', (h) => h.replace(/(<section id="chart-runtime">[\s\S]*?<figure>)<svg[\s\S]*?<\/svg>(<\/figure>)/, '$1<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"></svg>$2')));
    const problems = (await chartProblems(empty.page)).join('\n');
    expect(problems).toContain('runtime: 0 marks');
    expect(problems).toContain('runtime: drawn 10x10');
    await empty.page.context().close();
  });

  it('notices a script whose hash no longer matches the CSP: the violation is reported and the table no longer sorts', async () => {
    const v = await visit(tampered('hash-mismatch', (h) => h.replace(/<script>([\s\S]*?)<\/script>/, (_, s: string) => `<script>${s}\n// edited after the hash was taken</script>`)));
    expect(v.errors.join('\n')).toMatch(/Content Security Policy|CSP violation: script-src/);
    expect((await sortProblems(v.page)).join('\n')).toMatch(/not ascending/);
    await v.page.context().close();
  });

  it('notices an uncaught exception and a console error of an allowed script', async () => {
    const v = await visit(tampered('throws', (h) => withScript(h, `${sortScript()}\nconsole.error('logged by the page');\nthrow new Error('thrown by the page');`)));
    expect(v.errors).toContain('console: logged by the page');
    expect(v.errors.join('\n')).toMatch(/pageerror: thrown by the page/);
    await v.page.context().close();
  });

  it('notices a table sorted as strings instead of numbers', async () => {
    const v = await visit(tampered('string-sort', (h) => withScript(h, sortScript().replace('!isNaN(nx) && !isNaN(ny)', 'false'))));
    expect(v.errors).toEqual([]);
    expect((await sortProblems(v.page)).join('\n')).toMatch(/after one click duration_s is .* not ascending/);
    await v.page.context().close();
  });

  it('notices a request that leaves file://, and with the CSP in place, the CSP blocks it first', async () => {
    const img = '<img src="http://127.0.0.1:9/tracker.png" alt="">';
    const open = await visit(tampered('network-no-csp', (h) => h.replace(/<meta http-equiv="Content-Security-Policy"[^>]*>/, '').replace('</body>', `${img}</body>`)));
    expect(open.network).toEqual(['http://127.0.0.1:9/tracker.png']);
    await open.page.context().close();
    const guarded = await visit(tampered('network-csp', (h) => h.replace('</body>', `${img}</body>`)));
    expect(guarded.network).toEqual([]);
    expect(guarded.errors.join('\n')).toMatch(/img-src|Content Security Policy/);
    await guarded.page.context().close();
  });
});
