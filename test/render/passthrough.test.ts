/**
 * Golden test: shell syntax that merely looks like a placeholder survives byte for byte,
 * in both template kinds; only real placeholders change.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { renderTemplate } from '../../src/render/index.js';
import { context, source } from './helpers.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const TEMPLATE = readFileSync(path.join(here, 'fixtures/passthrough.in.sh'), 'utf8');
const EXPECTED = readFileSync(path.join(here, 'fixtures/passthrough.sh'), 'utf8');

describe('shell syntax passes through unchanged', () => {
  const params = { n: 7 };

  it('cloudmesh: only {experiment.n} changes', () => {
    const r = renderTemplate(source('passthrough.in.sh', TEMPLATE), context(params));
    expect(r.diagnostics).toEqual([]);
    expect(r.text).toBe(EXPECTED);
    expect(spawnSync('bash', ['-n'], { input: r.text, encoding: 'utf8' }).status).toBe(0);
  });

  it('eta: text outside tags is kept', () => {
    const r = renderTemplate(source('passthrough.sh.eta', TEMPLATE.replace(/\{experiment\.n\}/g, '<%= it.params.n %>')), context(params));
    expect(r.diagnostics).toEqual([]);
    expect(r.text).toBe(EXPECTED);
  });

  it('a config key named like a Python field is substituted (legacy rule), others are not', () => {
    const text = `print(f"{value} {other}")\n`;
    const r = renderTemplate(source('py.in.sh', `python3 - <<'EOF'\n${text}EOF\n`), context(params, { config: { value: 'V' } }));
    expect(r.text).toBe(`python3 - <<'EOF'\nprint(f"V {other}")\nEOF\n`);
  });
});
