/**
 * Keeps the tier rule honest (test/support/tiers.ts): no unit-tier file, nor a test
 * helper it imports, reaches a real component. Such a file belongs in *.real.test.ts.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REAL_SUFFIX, tierOf } from './tiers.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const TEST = path.join(ROOT, 'test');
const rel = (f: string): string => path.relative(ROOT, f).split(path.sep).join('/');

/** The signs of a real component, each with what it means. */
const SIGNS: [RegExp, string][] = [
  [/\b(skipWithout|testEnv|requireComponent|probeSshTarget|startTestSshd|stopTestSshd)\s*\(/, 'probes or starts a component (test/support/env.ts)'],
  [
    /\b(?:spawn|spawnSync|execFile|execFileSync|execSync|exec|fork)\s*\(\s*['"`](?:[^'"`\s]*\/)?(sbatch|srun|salloc|scontrol|squeue|scancel|sinfo|sacct|ssh|scp|rsync|chromium|chromium-browser|google-chrome)\b/,
    'runs a component command',
  ],
  [/\$`\s*(sbatch|srun|scontrol|squeue|scancel|sinfo|ssh|scp|rsync)\b/, 'runs a component command (zx)'],
  [/\bimport yaml\b|\byaml\.(safe_)?load\b/, 'runs the real PyYAML'],
];

/** What in `text` marks a real-component test ('' = nothing). */
export function realSigns(text: string): string[] {
  return SIGNS.filter(([re]) => re.test(text)).map(([re, what]) => `${what}: ${re.exec(text)![0]}`);
}

function testFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? testFiles(path.join(dir, e.name)) : e.name.endsWith('.test.ts') ? [path.join(dir, e.name)] : []))
    .sort();
}

/** `file` and the test-side files it imports, transitively (src/ and packages are not followed). */
function closure(file: string, seen = new Set<string>()): Set<string> {
  if (seen.has(file)) return seen;
  seen.add(file);
  const text = readFileSync(file, 'utf8');
  for (const m of text.matchAll(/(?:from|import)\s*\(?\s*['"](\.{1,2}\/[^'"]+)['"]/g)) {
    const target = path.resolve(path.dirname(file), m[1]!);
    if (!target.startsWith(TEST + path.sep)) continue;
    const candidates = [target, target.replace(/\.js$/, '.ts'), target.replace(/\.mjs$/, '.mts')];
    const found = candidates.find((c) => existsSync(c) && /\.(ts|mts|mjs|js)$/.test(c));
    if (found) closure(found, seen);
  }
  return seen;
}

const ENV = path.join(TEST, 'support', 'env.ts');
const SELF = path.join(TEST, 'support', 'tiers.test.ts');

describe('test tiers', () => {
  const files = testFiles(TEST);

  it('finds both tiers', () => {
    expect(files.filter((f) => tierOf(f) === 'unit').length).toBeGreaterThan(20);
    expect(files.filter((f) => tierOf(f) === 'real').length).toBeGreaterThan(5);
  });

  it(`no unit-tier file (or test helper it imports) reaches a real component: rename such a file to *${REAL_SUFFIX}`, () => {
    const found: string[] = [];
    for (const f of files.filter((x) => tierOf(x) === 'unit' && x !== SELF)) {
      for (const dep of closure(f)) {
        if (dep === ENV || dep === SELF) continue;
        for (const sign of realSigns(readFileSync(dep, 'utf8'))) found.push(`${rel(f)}${dep === f ? '' : ` (via ${rel(dep)})`}: ${sign}`);
      }
    }
    expect(found).toEqual([]);
  });

  it('the signs are recognised (the check above cannot pass by recognising nothing)', () => {
    for (const text of [
      "describe.skipIf(skipWithout('slurm'))('x', () => {});",
      'const { ssh } = testEnv();',
      "spawnSync('sbatch', ['--parsable', f]);",
      "execFile('/usr/bin/rsync', ['-a']);",
      "spawn('ssh', ['-F', config, host, 'true']);",
      'await $`scontrol show job ${id}`;',
      "spawnSync('python3', ['-c', 'import yaml, sys; print(yaml.safe_load(sys.stdin))']);",
    ]) {
      expect(realSigns(text), text).not.toEqual([]);
    }
    for (const text of ["spawnSync('bash', ['job.sh'])", "eegen(['build', 'x.yaml', '--sbatch'])", "// #SBATCH lines, as sbatch reads them"]) {
      expect(realSigns(text), text).toEqual([]);
    }
  });

  it('the real tier is test/infra and every file that probes a component', () => {
    const probing = files.filter((f) => SIGNS[0]![0].test(readFileSync(f, 'utf8')) && f !== SELF);
    expect(probing.length).toBeGreaterThan(0);
    expect(probing.filter((f) => tierOf(f) !== 'real').map(rel)).toEqual([]);
    expect(testFiles(path.join(TEST, 'infra')).filter((f) => tierOf(f) !== 'real').map(rel)).toEqual([]);
  });
});
