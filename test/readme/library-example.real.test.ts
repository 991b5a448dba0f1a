/**
 * README.md's library example, executed. The lines between the two markers below are the
 * README's ```ts block (with `'eegen'` for the import path `'../../src/index.js'`): the
 * first test compares them, the others call the function they define, as the README's
 * prose says to (an AbortController's signal). Also: every export of src/index.ts is named
 * in the README's "Library API" section. Real tier: the example runs jobs to completion.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ROOT } from '../support/cli.js';
import { tmpDir } from '../support/tree.js';
import { isAbortError } from '../../src/index.js';

// README example: begin
import { build, submit, watch, LOCAL_HOST, type BundleStatus, type EegenEvent } from '../../src/index.js';

/** Build a sweep, run its bundles on this machine, and wait until every one has finished. */
export async function buildAndRun(config: string, out: string, signal: AbortSignal): Promise<BundleStatus[]> {
  const onEvent = (e: EegenEvent): void => {
    if (e.type === 'diagnostic') console.error(e.diagnostic.message);
    if (e.type === 'submitted') console.log(`${e.host}: ${e.report.submitted.length} submitted`);
    if (e.type === 'state') console.log(`${e.id}: ${e.from ?? 'new'} -> ${e.to}`);
  };
  const built = await build({ config, out, signal, onEvent });
  if (!built.ok) throw new Error(`${config} does not build`);
  const hosts = [LOCAL_HOST];
  await submit({ out, hosts, signal, onEvent });
  let bundles: BundleStatus[] = [];
  for await (const update of watch({ out, hosts, signal, onEvent, intervalMs: 500 })) bundles = update.bundles;
  return bundles;
}
// README example: end

const README = path.join(ROOT, 'README.md');

/** The README's fenced blocks, with their language. */
function readmeBlocks(): { lang: string; text: string }[] {
  const out: { lang: string; text: string }[] = [];
  for (const m of readFileSync(README, 'utf8').matchAll(/^```(\w*)\s*\n([\s\S]*?)^```\s*$/gm)) out.push({ lang: m[1]!, text: m[2]! });
  return out;
}

function exampleInThisFile(): string {
  const own = readFileSync(fileURLToPath(import.meta.url), 'utf8');
  const start = own.indexOf('// README example: begin\n');
  const end = own.indexOf('// README example: end\n');
  return own.slice(start + '// README example: begin\n'.length, end).replaceAll("'../../src/index.js'", "'eegen'");
}

function tinyConfig(): { dir: string; config: string; out: string } {
  const dir = tmpDir('eegen-readme-lib-');
  const config = path.join(dir, 'config.yaml');
  writeFileSync(config, 'name: lib-example\nscheduler: bash\nexperiment:\n  n: "1,2"\nrun: {command: "echo n={experiment.n}"}\n');
  return { dir, config, out: path.join(dir, 'out') };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("README's library example", () => {
  it('the README block is the code this file runs', () => {
    const block = readmeBlocks().find((b) => b.text.startsWith('import { build, submit, watch'));
    expect(block, 'a ```ts block starting "import { build, submit, watch" in README.md').toBeDefined();
    expect(block!.lang).toBe('ts');
    expect(block!.text).toBe(exampleInThisFile());
  });

  it('builds, submits to this machine and watches until every bundle is done', async () => {
    const { config, out } = tinyConfig();
    const lines: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void lines.push(a.join(' ')));
    const errors = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const bundles = await buildAndRun(config, out, new AbortController().signal);
    expect(bundles.map((b) => [b.id, b.state])).toEqual([
      ['n-1', 'done'],
      ['n-2', 'done'],
    ]);
    expect(lines).toContain('local: 2 submitted');
    expect(lines.some((l) => /^n-1: .* -> done$/.test(l)), lines.join('\n')).toBe(true);
    expect(errors).not.toHaveBeenCalled();
  }, 60_000);

  it('an aborted signal rejects with AbortError and creates no output directory', async () => {
    const { config, out } = tinyConfig();
    const ac = new AbortController();
    ac.abort();
    const e = await buildAndRun(config, out, ac.signal).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(isAbortError(e), String(e)).toBe(true);
    expect(existsSync(out)).toBe(false);
  });
});

describe("README's Library API section", () => {
  it('names every export of src/index.ts', () => {
    const index = readFileSync(path.join(ROOT, 'src/index.ts'), 'utf8');
    const names = new Set<string>();
    for (const m of index.matchAll(/export (?:type )?\{([^}]*)\}/g)) {
      for (const part of m[1]!.split(',')) {
        const name = part.trim().replace(/^type\s+/, '').split(/\s+as\s+/).pop()!.trim();
        if (name) names.add(name);
      }
    }
    for (const m of index.matchAll(/export (?:async function|function|const|type|interface|class) (\w+)/g)) names.add(m[1]!);
    if (/export type \* from '\.\/types\.js'/.test(index)) {
      const types = readFileSync(path.join(ROOT, 'src/types.ts'), 'utf8');
      for (const m of types.matchAll(/^export (?:type|interface) (\w+)/gm)) names.add(m[1]!);
    }
    expect(names.size).toBeGreaterThan(50);
    const readme = readFileSync(README, 'utf8');
    const section = readme.slice(readme.indexOf('\n## Library API'), readme.indexOf('\n## ', readme.indexOf('\n## Library API') + 1));
    expect(section.length).toBeGreaterThan(100);
    const missing = [...names].filter((n) => !section.includes(`\`${n}\``) && !new RegExp(`\`${n}[(<:/ ]`).test(section));
    expect(missing, `exports of src/index.ts not named in README's Library API section: ${missing.join(', ')}`).toEqual([]);
  });
});
