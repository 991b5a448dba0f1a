import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';

/** `EEGEN_UPDATE_BASELINES=1` (what `npm run test:update` sets): baselines are (re)written. */
export function updatingBaselines(): boolean {
  return process.env.EEGEN_UPDATE_BASELINES === '1';
}

/**
 * Compare `actual` with a recorded baseline file (a path relative to the working
 * directory, which is the repository root under vitest, or absolute).
 *
 * A missing baseline FAILS, locally as in CI: a normal run never writes one, so a
 * typo in a path or a lost file cannot turn into a silently "passing" new baseline.
 * `EEGEN_UPDATE_BASELINES=1` (npm run test:update) writes every baseline it meets,
 * missing or not; review the diff before committing.
 */
export function expectBaseline(file: string, actual: string): void {
  if (updatingBaselines()) {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, actual);
    return;
  }
  if (!existsSync(file)) {
    throw new Error(
      `baseline ${file} is missing: record it with \`npm run test:update\` (EEGEN_UPDATE_BASELINES=1), review it and commit it`,
    );
  }
  expect(actual, `baseline ${file} (run npm run test:update to accept changes)`).toBe(readFileSync(file, 'utf8'));
}
