/**
 * No ambient working directory: where a compile looks for hosts.yaml is the `cwd` option,
 * so a service hosting builds of several projects gives each its own.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { compile } from '../../src/index.js';
import { tmpDir } from '../support/tree.js';

describe('compile({ cwd })', () => {
  it('looks up hosts.yaml in cwd, not in the process working directory', async () => {
    const dir = tmpDir('eegen-cwd-');
    const project = path.join(dir, 'project');
    const elsewhere = path.join(dir, 'elsewhere');
    mkdirSync(project);
    mkdirSync(elsewhere);
    const config = path.join(elsewhere, 'config.yaml');
    writeFileSync(config, 'application: {name: c}\nexperiment: {a: "1,2"}\nrun: {command: "echo {host.user}"}\n');
    writeFileSync(path.join(project, 'hosts.yaml'), 'hosts:\n  box: {kind: local, user: alice}\n');
    const here = await compile({ config, host: 'box', cwd: project });
    expect(here.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const b = here.plan!.bundles[0]!;
    expect(b.files.find((f) => f.path === b.script)!.content.toString()).toContain('echo alice');
    // The process's own directory (the repository) has no host box.
    const without = await compile({ config, host: 'box' });
    expect(without.plan).toBeUndefined();
  });
});
