/**
 * `eegen report OUT --config FILE`: the command line reads the config's report: settings
 * as the library does (settings.test.ts); its mistakes are printed with the config's lines,
 * exit 1, no stack trace, and nothing is written.
 */
import { cpSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { eegen } from '../support/cli.js';
import { tmpDir } from '../support/tree.js';

const STUDY = 'fixtures/report/cloudmask-study';
const SETTINGS = 'fixtures/report/cloudmask-report.yaml';

function study(): string {
  const dir = tmpDir('eegen-report-cli-');
  cpSync(STUDY, path.join(dir, 'study'), { recursive: true });
  return dir;
}

describe('eegen report --config', () => {
  it('follows the report: settings of the config, as the library does', () => {
    const dir = study();
    const r = eegen(['report', path.join(dir, 'study'), '--config', SETTINGS, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const title = /title:\s*"?([^"\n]+)"?/.exec(readFileSync(SETTINGS, 'utf8'))![1]!.trim();
    expect(readFileSync(path.join(dir, 'study', 'report', 'summary.md'), 'utf8')).toContain(title);
    const plain = study();
    expect(eegen(['report', path.join(plain, 'study')]).code).toBe(0);
    expect(readFileSync(path.join(plain, 'study', 'report', 'summary.md'), 'utf8')).not.toContain(title);
  }, 120_000);

  it('a misspelled key and a parameter the study lacks: file:line:col with the nearest name, exit 1, nothing written', () => {
    const dir = study();
    writeFileSync(path.join(dir, 'bad.yaml'), 'report:\n  group_by: [gpu]\n  titel: x\n');
    writeFileSync(path.join(dir, 'bad2.yaml'), 'report:\n  group_by: [gpuu]\n');
    const a = eegen(['report', path.join(dir, 'study'), '--config', path.join(dir, 'bad.yaml')]);
    expect(a.code).toBe(1);
    expect(a.stderr).toMatch(/bad\.yaml:3:3 - error EG2001: Unknown key "titel"/);
    expect(a.stderr).toMatch(/Did you mean "title"\?/);
    const b = eegen(['report', path.join(dir, 'study'), '--config', path.join(dir, 'bad2.yaml')]);
    expect(b.code).toBe(1);
    expect(b.stderr).toMatch(/bad2\.yaml:2:14 - error EG8104: .*"gpuu"/);
    expect(b.stderr).toMatch(/> 2 \|\s+group_by: \[gpuu\]/);
    const c = eegen(['report', path.join(dir, 'study'), '--config', path.join(dir, 'missing.yaml')]);
    expect(c.code).toBe(1);
    expect(c.stderr).toMatch(/EG1010/);
    for (const r of [a, b, c]) expect(r.stderr).not.toMatch(/internal error|\n\s+at .*\(/);
    expect(existsSync(path.join(dir, 'study', 'report'))).toBe(false);
  }, 120_000);
});
