import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';

/**
 * Compare `actual` with a recorded baseline file. `EEGEN_UPDATE_BASELINES=1`
 * (npm run test:update) rewrites baselines; review the diff before committing.
 * Under CI a missing baseline fails instead of being created.
 */
export function expectBaseline(file: string, actual: string): void {
  const update = process.env.EEGEN_UPDATE_BASELINES === '1';
  if (update || (!existsSync(file) && process.env.CI !== 'true')) {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, actual);
    if (!update) console.warn(`[baseline] created ${file}; review and commit it`);
    return;
  }
  expect(actual, `baseline ${file} (run npm run test:update to accept changes)`).toBe(readFileSync(file, 'utf8'));
}
