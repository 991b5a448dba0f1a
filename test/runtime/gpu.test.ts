import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RUN_LAYOUT } from '../../src/dispatch/types.js';
import { energyCounters, parseFingerprint, parsePowerTrace } from '../../src/results/index.js';
import { alive, fakeBin, makeBundle, readPid, readRun, ROOT, removeTemps, runJob, tempDir } from './helpers.js';

afterAll(removeTemps);

const FIXTURES = path.join(ROOT, 'fixtures', 'results', 'gpu-h100');

/**
 * A stand-in for nvidia-smi that answers the queries the wrapper makes from the real H100
 * recordings in fixtures/results/gpu-h100. FAKE_SMI_NO_INSTANT / FAKE_SMI_NO_ENERGY make it
 * reject power.draw.instant / total_energy_consumption as an older driver does.
 */
const FAKE_SMI = `#!/bin/bash
F=${JSON.stringify(FIXTURES)}
S=$FAKE_SMI_STATE
echo "$*" >> "$S/calls"
case "$*" in
  *power.draw.instant*)
    if [ -n "$FAKE_SMI_NO_INSTANT" ]; then echo 'Field "power.draw.instant" is not a valid field to query.' >&2; exit 2; fi ;;
esac
case "$*" in
  *total_energy_consumption*)
    if [ -n "$FAKE_SMI_NO_ENERGY" ]; then echo 'Field "total_energy_consumption" is not a valid field to query.' >&2; exit 2; fi
    n=$(cat "$S/energy" 2>/dev/null || echo 0); echo $((n + 1)) > "$S/energy"
    echo "0, $((4205433 + n * 1000000))" ;;
  *name,driver_version,memory.total,uuid*)
    echo 'NVIDIA H100 80GB HBM3, 580.159.04, 81559, GPU-74d87e37-1b72-038a-b079-912fa2527a41' ;;
  *-lms*)
    echo $$ > "$S/sampler.pid"
    echo "TZ=$TZ" > "$S/sampler.tz"
    case "$*" in
      *power.draw.instant*) echo 'timestamp, index, power.draw [W], power.draw.instant [W]'; cols='$1, $2, $3, $5' ;;
      *) echo 'timestamp, index, power.draw [W]'; cols='$1, $2, $3' ;;
    esac
    mapfile -t rows < <(awk -F', ' -v OFS=', ' "NR > 1 { print $cols }" "$F/nvidia-smi-power-100ms.csv")
    for line in "\${rows[@]}"; do echo "$line"; sleep 0.01; done
    while :; do sleep 0.05; done ;;
  *--query-gpu=timestamp*)
    echo '2026/11/24 18:45:51.285, 0, 72.25 W, 72.29 W' ;;
  '')
    cat "$F/nvidia-smi.txt" ;;
  *) echo "fake nvidia-smi: unexpected $*" >&2; exit 9 ;;
esac
`;

function gpuRun(env: Record<string, string>) {
  const bin = fakeBin({ 'nvidia-smi': FAKE_SMI });
  const state = tempDir('eegen-smi-');
  const dir = makeBundle('sleep 0.5\necho trained');
  const r = runJob(dir, { PATH: `${bin}:${process.env.PATH}`, FAKE_SMI_STATE: state, EEGEN_POWER_MS: '100', ...env });
  return { dir, state, r };
}

describe.concurrent('eegen-run.sh GPU power and energy', () => {
  it('records energy counters, a power.draw.instant trace under TZ=UTC, GPUs in the fingerprint, and stops the sampler (fake nvidia-smi: no GPU here)', () => {
    const { dir, state, r } = gpuRun({});
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('trained\n');

    const { events, summary } = readRun(dir);
    expect(summary).toMatchObject({ exitCode: 0, signal: null });
    const energy = events.filter((e) => e.event === 'energy');
    expect(energy.map((e) => [e.label, e.gpu, e.mJ])).toEqual([
      ['start', 0, 4205433],
      ['end', 0, 5205433],
    ]);
    const pairs = energyCounters(events);
    expect(pairs).toHaveLength(1);
    // end before `end`: the last two events are energy(end) then end (the fingerprint may follow).
    const order = events.filter((e) => e.event !== 'fingerprint').map((e) => (e.event === 'energy' ? `energy:${e.label}` : e.event));
    expect(order).toEqual(['start', 'energy:start', 'energy:end', 'size', 'end']);

    const trace = parsePowerTrace(readFileSync(path.join(dir, RUN_LAYOUT.power), 'utf8'));
    expect(trace.problems).toEqual([]);
    expect(trace.value.samples.length).toBeGreaterThan(0);
    expect(trace.value.samples[0]).toMatchObject({ gpu: 0, values: { 'power.draw': 72.25, 'power.draw.instant': 72.29 } });
    expect(readFileSync(path.join(state, 'sampler.tz'), 'utf8').trim()).toBe('TZ=UTC');
    expect(readFileSync(path.join(state, 'calls'), 'utf8')).toContain('--format=csv -lms 100');
    expect(alive(readPid(path.join(state, 'sampler.pid')))).toBe(false);

    const fp = parseFingerprint(readFileSync(path.join(dir, RUN_LAYOUT.fingerprint), 'utf8'));
    expect(fp.problems).toEqual([]);
    expect(fp.value.gpus).toEqual([
      { name: 'NVIDIA H100 80GB HBM3', driver: '580.159.04', memoryMiB: 81559, uuid: 'GPU-74d87e37-1b72-038a-b079-912fa2527a41' },
    ]);
    expect(fp.value.cuda).toBe('13.0');
  });

  it('falls back to power.draw and skips energy events when the driver rejects them (fake nvidia-smi: no GPU here)', () => {
    const { dir, state, r } = gpuRun({ FAKE_SMI_NO_INSTANT: '1', FAKE_SMI_NO_ENERGY: '1' });
    expect(r.status).toBe(0);
    const { events, summary } = readRun(dir);
    expect(summary.exitCode).toBe(0);
    expect(events.some((e) => e.event === 'energy')).toBe(false);
    const csv = readFileSync(path.join(dir, RUN_LAYOUT.power), 'utf8');
    expect(csv.split('\n')[0]).toBe('timestamp, index, power.draw [W]');
    const trace = parsePowerTrace(csv);
    expect(trace.problems).toEqual([]);
    expect(trace.value.samples.length).toBeGreaterThan(0);
    expect(alive(readPid(path.join(state, 'sampler.pid')))).toBe(false);
    // energy was tried once at start, not again at the end
    expect(readFileSync(path.join(state, 'calls'), 'utf8').match(/total_energy_consumption/g)).toHaveLength(1);
  });

  it('EEGEN_POWER=0: no trace, no energy readings, the fingerprint still lists the GPU (fake nvidia-smi: no GPU here)', () => {
    const { dir, state, r } = gpuRun({ EEGEN_POWER: '0' });
    expect(r.status).toBe(0);
    expect(existsSync(path.join(dir, RUN_LAYOUT.power))).toBe(false);
    expect(readRun(dir).events.some((e) => e.event === 'energy')).toBe(false);
    expect(readFileSync(path.join(state, 'calls'), 'utf8')).not.toMatch(/-lms|total_energy/);
    const fp = parseFingerprint(readFileSync(path.join(dir, RUN_LAYOUT.fingerprint), 'utf8'));
    expect(fp.value.gpus?.[0]?.name).toBe('NVIDIA H100 80GB HBM3');
  });
});
