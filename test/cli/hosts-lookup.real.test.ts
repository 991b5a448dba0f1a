/**
 * Where hosts.yaml is found, as the README and --help say: --hosts, else the working
 * directory, else beside OUT (dispatch commands) or beside the config (build, run).
 * Real local runs; a hosts.yaml elsewhere never counts.
 */
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { eegen, ROOT } from '../support/cli.js';
import { tmpDir } from '../support/tree.js';

const hosts = (name: string) => `hosts:\n  ${name}: {kind: local, slots: 4}\n`;

describe('hosts.yaml lookup', () => {
  it('run finds the one beside the config (not beside OUT); the working directory comes first; --hosts wins', () => {
    const dir = tmpDir('eegen-lookup-');
    const project = path.join(dir, 'project');
    const outs = path.join(dir, 'outs');
    const cwd = path.join(dir, 'cwd');
    cpSync(path.join(ROOT, 'fixtures/example'), project, { recursive: true });
    mkdirSync(outs);
    // Two bundles are enough.
    writeFileSync(path.join(project, 'config.yaml'), readFileSync(path.join(project, 'config.yaml'), 'utf8').replace('lr: "0.01,0.1,1"', 'lr: "0.1"').replace('epochs: "5,20"', 'epochs: "5"'));
    mkdirSync(cwd);
    writeFileSync(path.join(project, 'hosts.yaml'), hosts('beside-config'));
    // A hosts.yaml beside OUT is not the run's.
    writeFileSync(path.join(outs, 'hosts.yaml'), hosts('beside-out'));
    const config = path.join(project, 'config.yaml');
    const ok = eegen(['run', config, '--out', path.join(outs, 'a'), '--host', 'beside-config', '-q'], { cwd });
    expect(ok.code, ok.stderr).toBe(0);
    const wrong = eegen(['run', config, '--out', path.join(outs, 'b'), '--host', 'beside-out', '-q'], { cwd });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain('error EG6001: There is no host "beside-out"');
    // The working directory's comes first...
    writeFileSync(path.join(cwd, 'hosts.yaml'), hosts('in-cwd'));
    expect(eegen(['run', config, '--out', path.join(outs, 'c'), '--host', 'in-cwd', '-q'], { cwd }).code).toBe(0);
    expect(eegen(['run', config, '--out', path.join(outs, 'd'), '--host', 'beside-config', '-q'], { cwd }).stderr).toContain('There is no host "beside-config"');
    // ...and --hosts before both.
    const own = path.join(dir, 'own.yaml');
    writeFileSync(own, hosts('given'));
    expect(eegen(['run', config, '--out', path.join(outs, 'e'), '--host', 'given', '--hosts', own, '-q'], { cwd }).code).toBe(0);
    // status beside OUT: the dispatch commands look there.
    expect(eegen(['status', path.join(outs, 'a'), '--host', 'beside-out', '-q'], { cwd: dir }).code).toBe(0);
  }, 120_000);
});
