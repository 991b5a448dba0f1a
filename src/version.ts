import { readFileSync } from 'node:fs';

/** eegen's version, from the package.json two levels above this file (src/ or dist/). */
export const EEGEN_VERSION: string = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;
