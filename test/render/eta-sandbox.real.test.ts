/**
 * Eta template code sees only the values eegen gives it: every way out of the sandbox a
 * template author (or, later, a client of the REST service) would try, through the render
 * stage and through the real CLI in a child process. Each escape must end in a coded
 * error and leave no trace (no file written, no variable read), and renders must not
 * depend on the builder's clock, randomness, locale, time zone or on each other.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderTemplate, renderTemplates } from '../../src/render/index.js';
import { BIN } from '../support/cli.js';
import { tmpDir } from '../support/tree.js';
import { context, source } from './helpers.js';

function render(text: string, params: Record<string, unknown> = { x: 'a' }) {
  return renderTemplate(source('job.sh.eta', `#!/bin/bash\n${text}\n`), context(params as never));
}

function expectRefused(text: string, code: string, message: RegExp): void {
  const r = render(text);
  expect(r.text, `rendered: ${r.text}`).toBeUndefined();
  expect(r.diagnostics.map((d) => d.code)).toContain(code);
  expect(r.diagnostics.map((d) => d.message).join('\n')).toMatch(message);
}

describe('Eta templates cannot reach the builder', () => {
  const mark = (name: string) => path.join(tmpDir('eegen-sandbox-'), name);

  it('no process, require, module, Buffer, console, timers or Node globals', () => {
    for (const name of ['process', 'require', 'module', 'exports', '__dirname', 'Buffer', 'console', 'setTimeout', 'setImmediate', 'queueMicrotask', 'fetch', 'structuredClone', 'performance', 'navigator', 'crypto', 'global']) {
      const r = render(`<%~ typeof ${name} %>`);
      expect(r.text, name).toBe('#!/bin/bash\nundefined\n');
    }
    expectRefused('<%~ process.env.HOME %>', 'EG4007', /process is not defined/);
  });

  it('process.getBuiltinModule, import(), eval, Function and the constructors of the data are closed', () => {
    const f = mark('pwned');
    const attempts = [
      `<% process.getBuiltinModule('fs').writeFileSync(${JSON.stringify(f)}, 'x') %>`,
      `<% it.constructor.constructor('return process')().getBuiltinModule('fs').writeFileSync(${JSON.stringify(f)}, 'x') %>`,
      `<% it.sh.constructor('return process')() %>`,
      `<% this.config.escapeFunction.constructor('return this')().process.exit(7) %>`,
      `<% (() => {}).constructor('return globalThis.process')().exit(7) %>`,
      `<% eval('1 + 1') %>`,
      `<% new Function('return 1')() %>`,
      `<% Object.getPrototypeOf(async function () {}).constructor('await 1') %>`,
      `<% Reflect.construct(Function, ['return 1']) %>`,
    ];
    for (const a of attempts) {
      const r = render(a);
      expect(r.text, a).toBeUndefined();
      expect(r.diagnostics.map((d) => d.code), a).toEqual([a.includes('async') ? 'EG4006' : 'EG4007']);
    }
    // import() is syntax, not a global: the word is refused before anything runs, with its line.
    const r = render(`echo one\n<% import('node:fs').then((fs) => fs.writeFileSync(${JSON.stringify(f)}, 'x')) %>ok`);
    expect(r.text).toBeUndefined();
    expect(r.diagnostics).toMatchObject([{ code: 'EG4006', line: 3, message: expect.stringMatching(/`import` is not available in template code/) }]);
    expect(existsSync(f)).toBe(false);
    expect(readdirSync(path.dirname(f))).toEqual([]);
    // ... but the word is fine in the script's own text (a python one-liner, say).
    expect(render(`python3 -c "import os; print(<%= it.params.x %>)"`).text).toBe(`#!/bin/bash\npython3 -c "import os; print(a)"\n`);
  });

  it('no promises: their rejections would be reported for the whole builder process', () => {
    expectRefused('<% (async () => { throw new Error("x") })() %>', 'EG4006', /`async` is not available/);
    expectRefused('<% Promise.reject(new Error("x")) %>', 'EG4007', /Promise \(templates render synchronously\) is not available/);
    expectRefused('<% const p = Promise; %>', 'EG4007', /Promise/);
  });

  it('clock and randomness are refused with a message that says why', () => {
    expectRefused('<%~ Date.now() %>', 'EG4007', /Date \(the clock\) is not available in templates/);
    expectRefused('<%~ new Date().getFullYear() %>', 'EG4007', /Date \(the clock\) is not available/);
    expectRefused('<%~ Math.random() %>', 'EG4007', /Math\.random is not available in templates/);
    expectRefused('<%~ new Intl.DateTimeFormat().format() %>', 'EG4007', /Intl \(the locale\) is not available/);
    expectRefused('<% Atomics.wait(new Int32Array(4), 0, 0) %>', 'EG4007', /Atomics .* not available/);
  });

  it('no render leaves state for the next: globals, prototypes, legacy RegExp statics', () => {
    // A counter on the global object would number bundles by render order (and by worker).
    expectRefused('<% globalThis.n = (globalThis.n ?? 0) + 1 %><%~ globalThis.n %>', 'EG4007', /set the global n/);
    expect(render('<%~ typeof globalThis.n %>').text).toBe('#!/bin/bash\nundefined\n');
    // Not removable (non-configurable): the context is replaced, so the next render is clean.
    expectRefused(`<% Object.defineProperty(globalThis, 'k', { value: 1 }) %>`, 'EG4007', /set the global k/);
    expect(render('<%~ typeof globalThis.k %>').text).toBe('#!/bin/bash\nundefined\n');
    expectRefused('<% Array.prototype.evil = 1 %>', 'EG4007', /read.only|not extensible|Cannot add property/);
    expectRefused('<% JSON.parse = () => 1 %>', 'EG4007', /read.only/);
    expectRefused('<% globalThis.JSON = 1 %>', 'EG4007', /read.only/);
    expectRefused('<% it.params.__proto__.polluted = 1 %>', 'EG4007', /not extensible|Cannot add property/);
    expect(render('<% const m = /(a)/.exec("a") %>x').text).toBe('#!/bin/bash\nx\n');
    expect(render('<%~ typeof RegExp.$1 %>').text).toBe('#!/bin/bash\nundefined\n');
  });

  it('in a batch, only the bundle whose render set a global fails, as it would alone', () => {
    const t = source('job.sh.eta', '#!/bin/bash\n<% if (it.params.i === 5) globalThis.z = it.params.i %>echo <%= it.params.i %> <%~ typeof globalThis.z %>\n');
    const rs = renderTemplates(t, Array.from({ length: 10 }, (_, i) => context({ i })));
    expect(rs.map((r) => r.text ?? r.diagnostics.map((d) => d.code).join())).toEqual(Array.from({ length: 10 }, (_, i) => (i === 5 ? 'EG4007' : `#!/bin/bash\necho ${i} undefined\n`)));
  });

  it('the data still works: values, lists, it.sh with its line, loops, JSON of the config', () => {
    const r = render(`echo <%= it.params.x %> <%~ it.sh(it.params.l) %>\n<% for (const v of it.params.l) { %>[<%= v %>]<% } %>\necho <%~ it.sh(it.params.bad) %>`, { x: "it's", l: [1, 'b c'], bad: 'ok' });
    expect(r.diagnostics).toEqual([]);
    expect(r.text).toBe(`#!/bin/bash\necho 'it'\\''s' 1 'b c'\n[1]['b c']\necho ok\n`);
    const bad = render('echo ok\necho <%~ it.sh(it.params.bad) %>', { bad: 'a\u0007b' });
    expect(bad.text).toBeUndefined();
    expect(bad.diagnostics[0]).toMatchObject({ code: 'EG4004', line: 3 });
    expect(bad.diagnostics[0]!.message).toMatch(/line 3 .*control character U\+0007/);
  });

  it('deep recursion and a thrown non-Error are template errors, not crashes', () => {
    expectRefused('<% const f = (n) => f(n + 1); f(0) %>', 'EG4007', /Maximum call stack/);
    expectRefused(`<% throw { get message() { throw new Error('no') } } %>`, 'EG4007', /failed/);
    expectRefused('<% include("other") %>', 'EG4007', /not available: eegen renders one template file/);
  });

  it('a loop that never ends (also one that swallows what stops it) is EG4013 once, not once per bundle', () => {
    for (const loop of ['<% while (true) {} %>', '<% for (;;) { try { for (;;) {} } finally { continue; } } %>']) {
      const t = source('job.sh.eta', `#!/bin/bash\n${loop}\n`);
      const t0 = Date.now();
      const first = renderTemplate(t, context({ x: 1 }));
      expect(first.text).toBeUndefined();
      expect(first.diagnostics.map((d) => d.code)).toEqual(['EG4013']);
      const second = renderTemplate(t, context({ x: 2 }));
      expect(second.diagnostics.map((d) => d.code)).toEqual(['EG4013']);
      expect(Date.now() - t0).toBeLessThan(9_000);
      // The stopped context is replaced: other templates render as before.
      expect(render('<%~ 1 + 1 %>').text).toBe('#!/bin/bash\n2\n');
    }
  }, 30_000);
});

describe('through the CLI (child processes, real worker threads)', () => {
  const CONFIG = (n: number) => `experiment:\n  i: "${Array.from({ length: n }, (_, k) => k + 1).join(',')}"\nscheduler: bash\nrun:\n  command: echo {experiment.i}\n`;

  function cli(cwd: string, args: string[], env: NodeJS.ProcessEnv = {}) {
    const t0 = Date.now();
    const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8', timeout: 30_000, input: '', env: { ...process.env, ...env } });
    return { code: r.status, signal: r.signal, stderr: r.stderr, ms: Date.now() - t0 };
  }

  it('an endless loop in a 2,000-bundle build: EG4013, exit 1, within seconds, nothing written', () => {
    const dir = tmpDir('eegen-sandbox-cli-');
    writeFileSync(path.join(dir, 'config.yaml'), CONFIG(2000));
    writeFileSync(path.join(dir, 'job.sh.eta'), '#!/bin/bash\n<% if (it.params.i > 3) { while (true) {} } %>\necho <%= it.params.i %>\n');
    const r = cli(dir, ['build', 'config.yaml', '--template', 'job.sh.eta']);
    expect(r.signal, `timed out after ${r.ms} ms`).toBeNull();
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/job\.sh\.eta - error EG4013: The template did not finish rendering within 5 s/);
    expect(r.stderr).not.toMatch(/internal error|\n\s+at .*\(/);
    expect(r.ms).toBeLessThan(20_000);
    expect(existsSync(path.join(dir, 'out'))).toBe(false);
  }, 40_000);

  it('the same bytes whatever the builder\'s LANG, TZ and environment, serial or on workers', () => {
    const dir = tmpDir('eegen-sandbox-cli-');
    writeFileSync(path.join(dir, 'config.yaml'), CONFIG(300));
    writeFileSync(
      path.join(dir, 'job.sh.eta'),
      '#!/bin/bash\n# <%~ (1234567.891 * it.params.i).toLocaleString() %> <%~ "i".toLocaleUpperCase() %> <%~ ["b", "a", "ä"].sort((x, y) => x.localeCompare(y)).join("") %> <%~ [1.5, 2000].toLocaleString() %>\necho <%= it.params.i %>\n',
    );
    const outs: string[] = [];
    for (const [n, env, jobs] of [
      ['a', { LANG: 'C.UTF-8', TZ: 'UTC' }, '1'],
      ['b', { LANG: 'tr_TR.UTF-8', LC_ALL: 'tr_TR.UTF-8', TZ: 'Asia/Tokyo', SECRET_TOKEN: 's3cr3t' }, '2'],
      ['c', { LANG: 'de_DE.UTF-8', LC_ALL: 'de_DE.UTF-8', TZ: 'America/New_York' }, '2'],
    ] as const) {
      const r = cli(dir, ['build', 'config.yaml', '--template', 'job.sh.eta', '--out', `out-${n}`, '--jobs', jobs], env);
      expect(r.code, r.stderr).toBe(0);
      outs.push(readFileSync(path.join(dir, `out-${n}`, 'i-7', 'job.sh'), 'utf8'));
    }
    expect(outs[0]).toContain('# 8,641,975.237 I aäb 1.5,2,000\n');
    expect(outs[1]).toBe(outs[0]);
    expect(outs[2]).toBe(outs[0]);
    const all = (n: string) => readdirSync(path.join(dir, `out-${n}`)).filter((d) => d.startsWith('i-')).map((d) => readFileSync(path.join(dir, `out-${n}`, d, 'job.sh'), 'utf8')).join('\n');
    expect(all('b')).toBe(all('a'));
    expect(all('b')).not.toContain('s3cr3t');
  }, 60_000);
});
