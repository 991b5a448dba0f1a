/**
 * vitest globalSetup (both tiers): refuse to run against a stale dist/.
 *
 * The tests import src/ directly, but everything they spawn runs the compiled dist/:
 * the CLI (bin/eegen.js -> dist/), and the worker threads (src/util/worker-url.ts loads
 * dist/compile/worker.js and dist/write/stage-worker.js even when the caller is src/).
 * `npm test` and the npm test:* scripts compile first; a bare `npx vitest run` does
 * not, and would test yesterday's code without a word. This check costs one stat per
 * source file (about 120, a few milliseconds). It fails rather than building: two
 * builds at once (another terminal, another engineer's run in the same tree) write
 * the same dist/ files, and a build here would hide type errors behind a green run.
 */
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';

export const ROOT = path.resolve(import.meta.dirname, '../..');

/** Every src/**\/*.ts (not .d.ts) whose dist/ .js is missing or older than it, and every schema newer than the validators generated from it, relative to the root. */
export function staleDist(root = ROOT): string[] {
  const stale: string[] = [];
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, e.name);
      if (e.isDirectory()) walk(full);
      else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) {
        const rel = path.relative(path.join(root, 'src'), full);
        const out = path.join(root, 'dist', rel.replace(/\.ts$/, '.js'));
        let built: number;
        try {
          built = statSync(out).mtimeMs;
        } catch {
          stale.push(`dist/${rel.replace(/\.ts$/, '.js')} (missing)`);
          continue;
        }
        if (built < statSync(full).mtimeMs) stale.push(`src/${rel}`);
      }
    }
  };
  walk(path.join(root, 'src'));
  // The validators the build generates from schemas/ (scripts/gen-validators.mjs).
  const generated = path.join(root, 'dist', 'validate', 'schemas.cjs');
  let made = -1;
  try {
    made = statSync(generated).mtimeMs;
  } catch {
    stale.push('dist/validate/schemas.cjs (missing)');
  }
  if (made >= 0) {
    for (const f of readdirSync(path.join(root, 'schemas'))) if (f.endsWith('.schema.json') && statSync(path.join(root, 'schemas', f)).mtimeMs > made) stale.push(`schemas/${f}`);
  }
  return stale.sort();
}

export function staleDistMessage(stale: string[]): string {
  const shown = stale.slice(0, 5).join(', ') + (stale.length > 5 ? `, and ${stale.length - 5} more` : '');
  return `dist/ is older than src/ (or schemas/): run \`npm run build\` (or \`npm test\`), then the tests again. Newer than their compiled copy, or never compiled: ${shown}`;
}

export default function setup(): void {
  const stale = staleDist();
  if (stale.length) throw new Error(staleDistMessage(stale));
}
