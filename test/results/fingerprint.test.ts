import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fingerprintScript, gpusFromInventory, parseEvents, parseFingerprint, parseGpuInventory, parseNvidiaSmiXml } from '../../src/results/index.js';
import { fixture } from './helpers.js';

describe('nvidia-smi reports', () => {
  it('reads the --query-gpu inventory CSV', () => {
    const { value, problems } = parseGpuInventory(fixture('gpu-h100/nvidia-smi-inventory.csv'));
    expect(problems).toEqual([]);
    expect(value).toEqual([
      {
        index: 0, name: 'NVIDIA H100 80GB HBM3', uuid: 'GPU-74d87e37-1b72-038a-b079-912fa2527a41', driver: '580.159.04', vbios: '96.00.DA.00.0C',
        pciBusId: '00000000:00:06.0', memoryMiB: 81559, powerLimitW: 700, computeCap: '9.0',
      },
    ]);
    expect(gpusFromInventory(value)).toEqual([{ name: 'NVIDIA H100 80GB HBM3', driver: '580.159.04', memoryMiB: 81559, uuid: 'GPU-74d87e37-1b72-038a-b079-912fa2527a41' }]);
  });

  it('reads nvidia-smi -q -x', () => {
    const { value, problems } = parseNvidiaSmiXml(fixture('gpu-h100/nvidia-smi-q.xml'));
    expect(problems).toEqual([]);
    expect(value).toEqual({
      driver: '580.159.04',
      cuda: '13.0',
      gpus: [
        {
          name: 'NVIDIA H100 80GB HBM3', driver: '580.159.04', memoryMiB: 81559, uuid: 'GPU-74d87e37-1b72-038a-b079-912fa2527a41',
          architecture: 'Hopper', vbios: '96.00.DA.00.0C', pciBusId: '00000000:00:06.0',
        },
      ],
    });
  });

  it('reads several GPUs, entities, and says when the XML is not a report', () => {
    const xml = '<nvidia_smi_log><driver_version>1</driver_version><gpu id="a"><product_name>A &amp; B</product_name></gpu><gpu id="b"><product_name>C</product_name><fb_memory_usage><total>2 GiB</total></fb_memory_usage></gpu></nvidia_smi_log>';
    expect(parseNvidiaSmiXml(xml).value.gpus).toEqual([
      { name: 'A & B', driver: '1', pciBusId: 'a' },
      { name: 'C', driver: '1', memoryMiB: 2048, pciBusId: 'b' },
    ]);
    expect(parseNvidiaSmiXml('garbage').problems.map((p) => p.code)).toEqual(['EG7050']);
  });
});

describe('fingerprint.json', () => {
  it('normalizes what it can and reports the rest', () => {
    const { value, problems } = parseFingerprint('{"cpu":{"model":"X","cores":"8"},"gpus":[{"name":"G","memoryMiB":"81559 MiB"},7],"os":"linux","python":3.11}');
    expect(value).toEqual({ cpu: { model: 'X', cores: 8 }, gpus: [{ name: 'G', memoryMiB: 81559 }], python: '3.11' });
    expect(problems.map((p) => p.message)).toEqual(['fingerprint os should be an object.', 'fingerprint gpus[1] should be an object.']);
    expect(parseFingerprint('nope').problems.map((p) => p.code)).toEqual(['EG7055']);
  });
});

describe('fingerprintScript() on a real shell', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'eegen-fp-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  function run(shell: string, env: Record<string, string>, dir: string, prefix = ''): { status: number | null; stderr: string; stdout: string } {
    mkdirSync(dir, { recursive: true });
    const r = spawnSync(shell, ['-c', `${prefix}${fingerprintScript()}echo after`], { cwd: dir, env, encoding: 'utf8', timeout: 60_000 });
    return { status: r.status, stderr: r.stderr, stdout: r.stdout };
  }

  it('describes this machine (no GPU here) with bash', () => {
    const dir = path.join(root, 'plain');
    const r = run('bash', { PATH: process.env.PATH ?? '/usr/bin:/bin' }, dir);
    expect(r.stdout).toBe('after\n');
    const text = readFileSync(path.join(dir, 'eegen-run/fingerprint.json'), 'utf8');
    const fp = parseFingerprint(text);
    expect(fp.problems).toEqual([]);
    expect(JSON.parse(text)).toMatchObject({ ts: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/) });
    expect(fp.value.cpu?.cores).toBeGreaterThan(0);
    expect(fp.value.cpu?.model).not.toBe('');
    expect(fp.value.os?.kernel).not.toBe('');
    expect(fp.value.node).toBe(process.versions.node);
    expect(fp.value.gpus).toBeUndefined();
  });

  let bin: string | undefined;

  /** A PATH with only the POSIX tools the script needs, a fake lscpu and nvidia-smi, no python or node. */
  function hostileBin(): string {
    const bin = path.join(root, 'bin');
    mkdirSync(bin, { recursive: true });
    for (const tool of ['tr', 'sed', 'head', 'uname', 'getconf', 'nproc', 'date', 'mkdir', 'dirname', 'mv', 'cat', 'timeout']) {
      const which = spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).stdout.trim();
      if (which) symlinkSync(which, path.join(bin, tool));
    }
    writeFileSync(path.join(bin, 'lscpu'), `#!/bin/sh\ncat <<'X'\nArchitecture:        x86_64\nModel name:          Evil "CPU" \\back\\slash $(x) \`tick\`\tTAB\nX\n`);
    writeFileSync(
      path.join(bin, 'nvidia-smi'),
      `#!/bin/sh\ncase "$1" in --query-gpu=*) cat <<'X'\nNVIDIA "Quoted" \\ GPU, 580.159.04, 81559, GPU-74d87e37\nNVIDIA H100 80GB HBM3, 580.159.04, [N/A], GPU-2\nX\n;; *) cat <<'X'\n| NVIDIA-SMI 580.159.04             Driver Version: 580.159.04     CUDA Version: 13.0     |\nX\n;; esac\n`,
    );
    chmodSync(path.join(bin, 'lscpu'), 0o755);
    chmodSync(path.join(bin, 'nvidia-smi'), 0o755);
    return bin;
  }

  it.each(['sh', 'bash'])('writes valid JSON from hostile values, without python, under set -eu (%s)', (shell) => {
    bin ??= hostileBin();
    const dir = path.join(root, `hostile-${shell}`);
    const events = path.join(dir, 'eegen-run/events.jsonl');
    const r = run(`/bin/${shell === 'sh' ? 'sh' : 'bash'}`, { PATH: bin, EEGEN_EVENTS: events }, dir, 'set -eu\n');
    expect(r.stdout).toBe('after\n');
    const text = readFileSync(path.join(dir, 'eegen-run/fingerprint.json'), 'utf8');
    const json = JSON.parse(text) as Record<string, unknown>;
    expect(json).toMatchObject({
      cpu: { model: 'Evil "CPU" \\back\\slash $(x) `tick` TAB' },
      gpus: [
        { name: 'NVIDIA "Quoted" \\ GPU', driver: '580.159.04', memoryMiB: 81559, uuid: 'GPU-74d87e37' },
        { name: 'NVIDIA H100 80GB HBM3', driver: '580.159.04', uuid: 'GPU-2' },
      ],
      cuda: '13.0',
    });
    expect(json).not.toHaveProperty('python');
    expect(json).not.toHaveProperty('node');
    const parsed = parseEvents(readFileSync(events, 'utf8'));
    expect(parsed.problems).toEqual([]);
    expect(parsed.value[0]).toMatchObject({ event: 'fingerprint', fingerprint: { cuda: '13.0', gpus: [{ memoryMiB: 81559 }, { name: 'NVIDIA H100 80GB HBM3' }] } });
  });

  it('quotes its output path for the shell', () => {
    expect(fingerprintScript({ path: "it's/fp.json" })).toContain(`eegen_fp_out='it'\\''s/fp.json'`);
  });
});
