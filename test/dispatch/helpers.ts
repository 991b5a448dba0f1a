import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { build } from '../../src/build.js';
import { loadInventory, status, type BundleStatus, type HostEntry } from '../../src/dispatch/index.js';
import { FINAL_STATES } from '../../src/dispatch/types.js';
import { tmpDir } from '../support/tree.js';

/** A copy of the built-in example (tiny real training job) with config changes applied. */
export async function buildExample(opts: { edit?: (yaml: string) => string; before?: (dir: string) => void; out?: string } = {}): Promise<{ dir: string; out: string; count: number }> {
  const dir = tmpDir('eegen-dispatch-');
  cpSync('fixtures/example', dir, { recursive: true });
  const config = path.join(dir, 'config.yaml');
  opts.before?.(dir);
  if (opts.edit) {
    const { readFileSync } = await import('node:fs');
    writeFileSync(config, opts.edit(readFileSync(config, 'utf8')));
  }
  const out = opts.out ?? path.join(dir, 'out');
  const r = await build({ config, out });
  if (!r.ok || !r.plan) throw new Error(`build failed: ${JSON.stringify(r.diagnostics)}`);
  return { dir, out, count: r.plan.bundles.length };
}

export async function inventory(dir: string, yaml: string): Promise<Map<string, HostEntry>> {
  const file = path.join(dir, 'hosts.yaml');
  writeFileSync(file, yaml);
  const { inventory: inv, diagnostics } = await loadInventory(file);
  if (!inv) throw new Error(JSON.stringify(diagnostics));
  return inv.hosts;
}

export function workdir(name: string): string {
  const d = path.join(tmpDir('eegen-work-'), name);
  mkdirSync(d, { recursive: true });
  return d;
}

/** Poll status until every bundle has finished (or the timeout passes). */
export async function waitFinished(out: string, hosts: HostEntry[], timeoutMs = 90_000): Promise<BundleStatus[]> {
  const t0 = Date.now();
  for (;;) {
    const r = await status({ out, hosts });
    if (r.bundles.every((b) => FINAL_STATES.has(b.state) || b.state === 'synced' || b.state === 'built')) return r.bundles;
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting: ${JSON.stringify(r.bundles.map((b) => [b.id, b.state]))} ${JSON.stringify(r.hostErrors)}`);
    await new Promise((res) => setTimeout(res, 500));
  }
}
