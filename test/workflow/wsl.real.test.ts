/**
 * kind: wsl nodes. WSL cannot run here (no Windows): what is tested is the command eegen
 * renders for wsl.exe, and, with a fake `wsl.exe` on PATH (a bash script that does what
 * wsl.exe --cd DIR --exec CMD does: run CMD in DIR), whole workflow runs through the
 * coordinator, the dispatcher and the run wrapper. Hostile values go in and must come out
 * as written, nothing else run.
 */
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatDiagnostics } from '../../src/diagnostics/index.js';
import { hostOut, runScript } from '../../src/workflow/bundles.js';
import { runWorkflow } from '../../src/workflow/run.js';
import { loadWorkflow } from '../../src/workflow/spec.js';
import { tmpDir } from '../support/tree.js';
import { load, starts, workflowDir } from './helpers.js';

/** What wsl.exe -d NAME --cd DIR --exec CMD... does, for a test: records its argv (NUL-separated), then runs CMD in DIR. */
const FAKE_WSL = `#!/bin/bash
printf '%s\\0' "$@" > "$FAKE_WSL_LOG/argv.$$"
distro='' dir=''
while [ $# -gt 0 ]; do
  case $1 in
    -d) distro=$2; shift 2 ;;
    --cd) dir=$2; shift 2 ;;
    --exec) shift; break ;;
    *) echo "fake wsl.exe: unexpected $1" >&2; exit 99 ;;
  esac
done
cd -- "$dir" || exit 98
WSL_DISTRO_NAME=\${distro:-Default} exec "$@"
`;

let bin: string;
let log: string;
const oldPath = process.env.PATH;
beforeAll(() => {
  bin = tmpDir('eegen-fake-wsl-');
  log = tmpDir('eegen-fake-wsl-log-');
  writeFileSync(path.join(bin, 'wsl.exe'), FAKE_WSL);
  chmodSync(path.join(bin, 'wsl.exe'), 0o755);
  // The coordinator's environment is the runs' (local background jobs): they find the fake.
  process.env.PATH = `${bin}:${oldPath}`;
  process.env.FAKE_WSL_LOG = log;
});
afterAll(() => {
  process.env.PATH = oldPath;
  delete process.env.FAKE_WSL_LOG;
});

function readArgv(): string[][] {
  const out: string[][] = [];
  for (const f of spawnSync('ls', [log], { encoding: 'utf8' }).stdout.split('\n').filter((x) => x.startsWith('argv.'))) out.push(readFileSync(path.join(log, f), 'utf8').split('\0').slice(0, -1));
  return out;
}

describe('kind: wsl (fake/rendered only: WSL cannot run here)', () => {
  it('fake/rendered only: WSL cannot run here — run.sh calls wsl.exe -d NAME --cd DIR --exec, the command a file of the bundle', async () => {
    const { file } = workflowDir(
      'workflow:\n  nodes:\n    a:\n      kind: wsl\n      distribution: Ubuntu-22.04\n      exec: echo hi\n    b:\n      kind: wsl\n      script: b.sh\n      timeout: 60\n    c:\n      kind: wsl\n      host: localhost\n      exec: echo c\n',
      { 'b.sh': '#!/bin/sh\necho b\n' },
    );
    const spec = await load(file);
    const [a, b, c] = ['a', 'b', 'c'].map((n) => spec.nodes.find((x) => x.name === n)!);
    expect(a!.kind).toBe('wsl');
    expect(a!.wsl).toEqual({ distribution: 'Ubuntu-22.04' });
    const lines = (s: string) => s.split('\n').filter((l) => !l.startsWith('#') && l !== '');
    expect(lines(runScript(a!, 'node/exec.sh', false)).slice(1)).toEqual(['eegen_cd=$(pwd -W 2>/dev/null) || eegen_cd=$PWD', 'rc=0', "wsl.exe -d Ubuntu-22.04 --cd \"$eegen_cd\" --exec bash ./node/exec.sh || rc=$?", 'exit "$rc"']);
    // A script with #! runs as itself; a timeout stops wsl.exe.
    expect(lines(runScript(b!, 'node/b.sh', true))).toContain('timeout -k 10 60 wsl.exe --cd "$eegen_cd" --exec ./node/b.sh || rc=$?');
    expect(lines(runScript(c!, 'node/exec.sh', false))).toContain('wsl.exe --cd "$eegen_cd" --exec bash ./node/exec.sh || rc=$?');
  });

  it('fake wsl.exe (WSL cannot run here): a chain of wsl and local nodes runs end to end; wsl.exe gets exactly -d NAME --cd DIR --exec bash ./node/exec.sh', async () => {
    const { file } = workflowDir('workflow:\n  nodes:\n    prep:\n      exec: echo prepared > prep.txt\n    inwsl:\n      kind: wsl\n      distribution: Ubuntu\n      exec: echo "in $WSL_DISTRO_NAME at $PWD" > where.txt\n      needs: prep\n    after:\n      exec: echo after\n      needs: inwsl\n');
    const spec = await load(file);
    const r = await runWorkflow(spec, { pollMs: 100 });
    expect(r.nodes.map((n) => `${n.name}:${n.state}`)).toEqual(['prep:done', 'inwsl:done', 'after:done']);
    for (const n of ['prep', 'inwsl', 'after']) expect(starts(spec, n)).toBe(1);
    const dir = path.join(hostOut(spec, 'local'), 'inwsl');
    expect(readFileSync(path.join(dir, 'where.txt'), 'utf8')).toBe(`in Ubuntu at ${dir}\n`);
    const mine = readArgv().filter((a) => a.includes(dir));
    expect(mine).toEqual([['-d', 'Ubuntu', '--cd', dir, '--exec', 'bash', './node/exec.sh']]);
  });

  it('fake wsl.exe (WSL cannot run here): quotes, $(), ;, a newline and a leading - in the command run as written inside WSL, nothing injected', async () => {
    const work = tmpDir('eegen-wsl-hostile-');
    const marker = path.join(work, 'injected');
    const cmd = `printf '%s|' "it's" "$(echo sub)" '$(touch ${marker})' "a;b"; echo\necho second line\n-c 'touch ${marker}' 2>/dev/null || echo "dash ok"`;
    const { file } = workflowDir(`workflow:\n  nodes:\n    h:\n      kind: wsl\n      exec: ${JSON.stringify(cmd)}\n`);
    const spec = await load(file);
    expect(spec.nodes[0]!.exec).toBe(cmd);
    const r = await runWorkflow(spec, { pollMs: 100 });
    expect(r.nodes[0]!.state).toBe('done');
    const out = readFileSync(path.join(hostOut(spec, 'local'), 'h', 'eegen-run', 'output.log'), 'utf8');
    // What bash prints for the command itself, run directly.
    const direct = spawnSync('bash', ['-c', cmd], { encoding: 'utf8', cwd: work }).stdout;
    expect(out).toBe(direct);
    expect(out).toContain(`it's|sub|$(touch ${marker})|a;b|`);
    expect(existsSync(marker)).toBe(false);
    const mine = readArgv().filter((a) => a.includes(path.join(hostOut(spec, 'local'), 'h')));
    expect(mine).toEqual([['--cd', path.join(hostOut(spec, 'local'), 'h'), '--exec', 'bash', './node/exec.sh']]);
  });

  it('a distribution that could be an option or a second command, kind wsl off this machine or on an experiment: positioned errors, nothing run', async () => {
    const { dir, file } = workflowDir(
      [
        'workflow:',
        '  nodes:',
        '    a:',
        '      kind: wsl',
        '      distribution: -u root',
        '      exec: echo a',
        '    b:',
        '      kind: wsl',
        "      distribution: \"x'; touch pwned; '\"",
        '      exec: echo b',
        '    c:',
        '      kind: wsl',
        '      host: far',
        '      exec: echo c',
        '    d:',
        '      distribution: Ubuntu',
        '      exec: echo d',
        '    e:',
        '      kind: wsl',
        '      experiment: {config: cfg.yaml}',
        '',
      ].join('\n'),
      { 'hosts.yaml': 'hosts:\n  far:\n    kind: ssh\n    hostname: far.example.org\n', 'cfg.yaml': 'a: 1\n' },
    );
    const r = await loadWorkflow(file, { hostsFile: path.join(dir, 'hosts.yaml') });
    expect(r.spec).toBeUndefined();
    const text = formatDiagnostics(r.diagnostics, r.sources);
    const codes = r.diagnostics.filter((d) => d.severity !== 'warning').map((d) => `${d.code}@${text.includes(d.message) ? 'shown' : '?'}`);
    expect(codes).toEqual(['EG7117@shown', 'EG7117@shown', 'EG7110@shown', 'EG7117@shown', 'EG7110@shown']);
    // Each at its line: the distribution value, the kind, the key.
    expect(text).toMatch(/wf\.yaml:5:21 - error EG7117/);
    expect(text).toMatch(/wf\.yaml:9:21 - error EG7117/);
    expect(text).toMatch(/wf\.yaml:12:13 - error EG7110/);
    expect(text).toMatch(/wf\.yaml:16:7 - error EG7117/);
    expect(text).toMatch(/wf\.yaml:19:13 - error EG7110/);
    expect(text).not.toMatch(/\n\s+at /); // no stack trace
    expect(existsSync(path.join(dir, 'pwned'))).toBe(false);
    expect(existsSync(path.join(dir, '.eegen-workflow'))).toBe(false);
  });
});
