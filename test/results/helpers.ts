import { readFileSync } from 'node:fs';

export const FIXTURES = 'fixtures/results';

export function fixture(name: string): string {
  return readFileSync(`${FIXTURES}/${name}`, 'utf8');
}
