import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { RenderContext, TemplateSource } from '../../src/render/index.js';
import { outputNameFor, schedulerFor } from '../../src/render/index.js';
import type { HostProfile, Mapping } from '../../src/types.js';

export function source(file: string, text: string): TemplateSource {
  const outputName = outputNameFor(file);
  return { file, text, kind: file.endsWith('.eta') ? 'eta' : 'cloudmesh', outputName, scheduler: schedulerFor(outputName) };
}

export function context(params: Mapping, opts: { config?: Mapping; host?: HostProfile; directives?: RenderContext['directives']; scheduler?: RenderContext['scheduler'] } = {}): RenderContext {
  return {
    params,
    config: { ...(opts.config ?? {}), experiment: params },
    host: opts.host ?? { name: 'test' },
    directives: opts.directives ?? {},
    bundle: { id: 'bundle-1', index: 1, script: 'job.sh' },
    scheduler: opts.scheduler ?? 'bash',
  };
}

/** Run `script` with bash in a fresh directory; returns stdout, stderr and status. */
export function runBash(script: string, env: Record<string, string> = {}): { stdout: string; stderr: string; status: number | null } {
  const dir = mkdtempSync(path.join(tmpdir(), 'eegen-render-'));
  const file = path.join(dir, 'job.sh');
  writeFileSync(file, script, { mode: 0o755 });
  const r = spawnSync('bash', [file], { cwd: dir, encoding: 'utf8', env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir, ...env } });
  return { stdout: r.stdout, stderr: r.stderr, status: r.status };
}
