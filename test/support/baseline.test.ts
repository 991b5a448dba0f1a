/** The baseline rule: a missing baseline fails unless EEGEN_UPDATE_BASELINES=1, which writes it. */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { expectBaseline } from './baseline.js';
import { tmpDir } from './tree.js';

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('expectBaseline', () => {
  it('fails on a missing baseline, names it and the command, and writes nothing (also without CI)', () => {
    vi.stubEnv('EEGEN_UPDATE_BASELINES', '');
    vi.stubEnv('CI', '');
    const file = path.join(tmpDir('eegen-baseline-'), 'sub', 'missing.txt');
    expect(() => expectBaseline(file, 'new\n')).toThrow(`baseline ${file} is missing: record it with \`npm run test:update\``);
    expect(existsSync(file)).toBe(false);
    expect(existsSync(path.dirname(file))).toBe(false);
  });

  it('with EEGEN_UPDATE_BASELINES=1 writes a missing baseline (and its folder), and rewrites a different one', () => {
    vi.stubEnv('EEGEN_UPDATE_BASELINES', '1');
    const file = path.join(tmpDir('eegen-baseline-'), 'sub', 'new.txt');
    expectBaseline(file, 'first\n');
    expect(readFileSync(file, 'utf8')).toBe('first\n');
    expectBaseline(file, 'second\n');
    expect(readFileSync(file, 'utf8')).toBe('second\n');
  });

  it('passes on an equal baseline and fails on a different one, leaving it as it was', () => {
    vi.stubEnv('EEGEN_UPDATE_BASELINES', '');
    const file = path.join(tmpDir('eegen-baseline-'), 'b.txt');
    writeFileSync(file, 'same\n');
    expectBaseline(file, 'same\n');
    expect(() => expectBaseline(file, 'other\n')).toThrow(`baseline ${file} (run npm run test:update to accept changes)`);
    expect(readFileSync(file, 'utf8')).toBe('same\n');
  });
});
