/**
 * --quiet and --verbose on every command: --quiet leaves stdout empty (errors and warnings
 * still go to stderr, the exit code still tells), --verbose says more (every id; each
 * command run on a host). Real local runs.
 */
import { appendFileSync, existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { program } from '../../src/cli/main.js';
import { eegen } from '../support/cli.js';
import { tmpDir } from '../support/tree.js';

const CONFIG = 'fixtures/example/config.yaml';

describe('--quiet and --verbose', () => {
  it('every command but completion has --quiet; build and the dispatch commands have --verbose', () => {
    for (const c of program().commands.filter((x) => !['help', 'completion'].includes(x.name()))) {
      const flags = c.options.map((o) => o.long);
      expect(flags, c.name()).toContain('--quiet');
      if (!['plan', 'verify'].includes(c.name())) expect(flags, c.name()).toContain('--verbose');
    }
  });

  it('build, plan and verify: quiet prints nothing and keeps the exit code; verbose lists every bundle', () => {
    const out = path.join(tmpDir('eegen-quiet-'), 'out');
    const q = eegen(['build', CONFIG, '--out', out, '-q']);
    expect([q.code, q.stdout, q.stderr]).toEqual([0, '', '']);
    const v = eegen(['build', CONFIG, '--out', `${out}-v`, '--verbose']);
    expect(v.code).toBe(0);
    expect(v.stdout).not.toContain('more');
    for (const id of readdirSync(`${out}-v`).filter((d) => !d.startsWith('.') && !d.includes('.'))) expect(v.stdout).toContain(id);
    expect(v.stderr).toMatch(/12 rendered on the main thread/);
    expect(eegen(['build', CONFIG, '--out', `${out}-d`]).stdout).toContain('... 2 more');
    expect(eegen(['plan', CONFIG, '-q'])).toMatchObject({ code: 0, stdout: '' });
    expect(eegen(['verify', out, '-q'])).toMatchObject({ code: 0, stdout: '', stderr: '' });
    appendFileSync(path.join(out, 'lr-1_epochs-5_repeat-1', 'config.yaml'), '# tampered\n');
    const bad = eegen(['verify', out, '-q']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('lr-1_epochs-5_repeat-1/config.yaml');
  });

  it('submit, status, collect on a local host: quiet prints nothing; verbose shows each command before it runs', async () => {
    const out = path.join(tmpDir('eegen-quiet-d-'), 'out');
    expect(eegen(['build', CONFIG, '--out', out, '-q']).code).toBe(0);
    const sub = eegen(['submit', out, '--host', 'local', '-q', '--only', 'lr-1_*']);
    expect([sub.code, sub.stdout]).toEqual([0, '']);
    const loud = eegen(['status', out, '--verbose']);
    expect(loud.code).toBe(0);
    expect(loud.stderr).toMatch(/^# status of \d+ bundles on local\nbash -s <<'EEGEN_SCRIPT'/m);
    expect(loud.stdout).toContain('lr-1_epochs-5_repeat-1');
    expect(eegen(['status', out, '-q'])).toMatchObject({ code: 0, stdout: '' });
    for (let i = 0; i < 60 && eegen(['collect', out, '-q']).code === 3; i++) await new Promise((r) => setTimeout(r, 500));
    const c = eegen(['collect', out, '-q']);
    expect([c.code, c.stdout]).toEqual([0, '']);
    expect(existsSync(path.join(out, 'results.csv'))).toBe(true);
  }, 60_000);
});
