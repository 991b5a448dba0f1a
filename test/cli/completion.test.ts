/**
 * `eegen completion bash|zsh`: a completion script made from the command definitions,
 * exercised in a real bash (the completion function called as bash's `complete` calls it).
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { program } from '../../src/cli/main.js';
import { eegen } from '../support/cli.js';
import { tmpDir } from '../support/tree.js';

/** What bash completes for the words typed so far (the last one may be partial). */
function complete(script: string, words: string[], cwd: string): string[] {
  const arr = words.map((w) => `'${w}'`).join(' ');
  const r = spawnSync('bash', ['-c', `${script}\nCOMP_WORDS=(${arr}); COMP_CWORD=${words.length - 1}; _eegen_complete; printf '%s\\n' "\${COMPREPLY[@]}"`], { cwd, encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout.split('\n').filter(Boolean).sort();
}

describe('eegen completion', () => {
  const bash = eegen(['completion', 'bash']);
  const dir = tmpDir('eegen-completion-');
  writeFileSync(path.join(dir, 'hosts.yaml'), 'hosts:\n  cluster: {kind: slurm}\n  box1: {kind: ssh, hostname: a}\n  box2: {kind: ssh, hostname: b}\n');
  writeFileSync(path.join(dir, 'config.yaml'), 'experiment: {a: "1,2"}\n');

  it('completes commands, each command\'s own flags, host names and files in a real bash', () => {
    expect(bash.code, bash.stderr).toBe(0);
    expect(complete(bash.stdout, ['eegen', 'st'], dir)).toEqual(['status']);
    expect(complete(bash.stdout, ['eegen', 'c'], dir)).toEqual(['cancel', 'collect', 'completion']);
    expect(complete(bash.stdout, ['eegen', 'status', '--ex'], dir)).toEqual(['--exit-code']);
    expect(complete(bash.stdout, ['eegen', 'build', '--dr'], dir)).toEqual(['--dry-run']);
    // --exit-code is status's, not build's.
    expect(complete(bash.stdout, ['eegen', 'build', '--ex'], dir)).toEqual([]);
    expect(complete(bash.stdout, ['eegen', 'submit', 'out', '--host', 'bo'], dir)).toEqual(['box1', 'box2']);
    expect(complete(bash.stdout, ['eegen', 'build', 'con'], dir)).toEqual(['config.yaml']);
  });

  it('a hostile hosts.yaml or typed word runs nothing: host names are only [A-Za-z0-9_.-] words', () => {
    const evil = tmpDir('eegen-completion-evil-');
    writeFileSync(path.join(evil, 'hosts.yaml'), 'hosts:\n  "$(touch pwned1)": {kind: local}\n  `touch pwned2`: {kind: local}\n  ok-1: {kind: local}\n  x;touch pwned3: {kind: local}\n');
    expect(complete(bash.stdout, ['eegen', 'status', 'out', '--host', ''], evil)).toEqual(['ok-1']);
    expect(complete(bash.stdout, ['eegen', 'status', 'out', '--host', '$(touch pwned4)'], evil)).toEqual([]);
    expect(complete(bash.stdout, ['eegen', '$(touch pwned5)'], evil)).toEqual([]);
    expect(readdirSync(evil).filter((f) => f.startsWith('pwned'))).toEqual([]);
  });

  it('lists every command and every flag the CLI has (it is made from them)', () => {
    for (const c of program().commands.filter((x) => x.name() !== 'help')) {
      expect(complete(bash.stdout, ['eegen', c.name()], dir)).toContain(c.name());
      for (const o of c.options) expect(complete(bash.stdout, ['eegen', c.name(), o.long!], dir), `${c.name()} ${o.long}`).toContain(o.long);
    }
  });

  it('zsh gets the same behind bashcompinit; another shell is EG9003, exit 1', () => {
    const zsh = eegen(['completion', 'zsh']);
    expect(zsh.stdout.split('\n')[0]).toBe('autoload -U +X bashcompinit && bashcompinit');
    expect(zsh.stdout).toContain(bash.stdout.split('\n').slice(1).join('\n'));
    const fish = eegen(['completion', 'fish']);
    expect(fish.code).toBe(1);
    expect(fish.stderr).toContain('error EG9003: No completion for the shell "fish".');
    expect(fish.stderr).not.toContain('    at ');
  });
});

describe('where hosts.yaml is looked up', () => {
  it('the README and every --help say the same', async () => {
    const { readFileSync } = await import('node:fs');
    const { ROOT } = await import('../support/cli.js');
    const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8').replace(/\s+/g, ' ');
    expect(readme).toContain('`--hosts FILE`, else hosts.yaml in the working directory, else beside OUT; `build` and `run`: else beside the config');
    for (const c of ['submit', 'status', 'cancel', 'collect']) expect(eegen([c, '--help']).stdout.replace(/\s+/g, ' '), c).toContain('(default: hosts.yaml in the working directory, else beside OUT)');
    expect(eegen(['run', '--help']).stdout.replace(/\s+/g, ' ')).toContain('(default: hosts.yaml in the working directory, else beside the config)');
    expect(eegen(['build', '--help']).stdout.replace(/\s+/g, ' ')).toContain('looked up in hosts.yaml in the working directory, else beside the config');
  });
});
