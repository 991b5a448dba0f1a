import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export function tmpDir(prefix = 'eegen-test-'): string {
  return mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** Every file below `dir` (POSIX relative paths, sorted). */
export function listFiles(dir: string, base = dir): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listFiles(full, base));
    else out.push(path.relative(base, full).split(path.sep).join('/'));
  }
  return out.sort();
}

/** `sha256  mode  path` per file: a byte-exact fingerprint of a tree. */
export function treeFingerprint(dir: string, filter: (p: string) => boolean = () => true): string {
  return listFiles(dir)
    .filter(filter)
    .map((p) => {
      const full = path.join(dir, p);
      const hash = createHash('sha256').update(readFileSync(full)).digest('hex');
      const mode = (statSync(full).mode & 0o777).toString(8);
      return `${hash}  ${mode}  ${p}`;
    })
    .join('\n');
}

export function mtimes(dir: string): Map<string, number> {
  return new Map(listFiles(dir).map((p) => [p, statSync(path.join(dir, p)).mtimeMs]));
}
