/**
 * The hardware and software a run saw: `eegen-run/fingerprint.json` (written on the host
 * by `fingerprintScript()`), and the nvidia-smi reports it can be built from or checked
 * against (`--query-gpu` inventory CSV, `nvidia-smi -q -x`).
 */
import { Problems, RESULT_CODES as C, type Parsed, type ReadOptions } from './codes.js';
import { isNotAvailable, readNvidiaSmiCsv } from './nvsmi-csv.js';
import { isRecord, leadingNumber, parseJsonLenient } from './text.js';
import type { Fingerprint, GpuInfo, GpuInventoryEntry, NvidiaSmiReport } from './types.js';

/**
 * Checks an object read from JSON against the Fingerprint shape. Keeps every field it can
 * use (numbers given as text are read, `"81559 MiB"` included) and describes the rest.
 */
export function normalizeFingerprint(obj: Record<string, unknown>): { value: Fingerprint; problems: string[] } {
  const problems: string[] = [];
  const fp: Fingerprint = {};
  const str = (v: unknown, where: string): string | undefined => {
    if (v === undefined || v === null) return undefined;
    if (typeof v === 'string') return v;
    if (typeof v === 'number') return String(v);
    problems.push(`fingerprint ${where} should be a string.`);
    return undefined;
  };
  const num = (v: unknown, where: string): number | undefined => {
    if (v === undefined || v === null || v === '') return undefined;
    const n = typeof v === 'number' ? v : typeof v === 'string' ? leadingNumber(v) : undefined;
    if (n === undefined) problems.push(`fingerprint ${where} should be a number.`);
    return n;
  };
  const section = (key: string): Record<string, unknown> | undefined => {
    const v = obj[key];
    if (v === undefined || v === null) return undefined;
    if (isRecord(v)) return v;
    problems.push(`fingerprint ${key} should be an object.`);
    return undefined;
  };

  for (const key of ['host', 'cuda', 'python', 'node', 'ts'] as const) {
    const v = str(obj[key], key);
    if (v !== undefined) fp[key] = v;
  }
  const cpu = section('cpu');
  if (cpu) {
    const c: NonNullable<Fingerprint['cpu']> = { model: str(cpu.model, 'cpu.model') ?? '' };
    const cores = num(cpu.cores, 'cpu.cores');
    const allowed = num(cpu.allowed, 'cpu.allowed');
    if (cores !== undefined) c.cores = cores;
    if (allowed !== undefined) c.allowed = allowed;
    fp.cpu = c;
  }
  const os = section('os');
  if (os) {
    const o: NonNullable<Fingerprint['os']> = { name: str(os.name, 'os.name') ?? '' };
    const kernel = str(os.kernel, 'os.kernel');
    const arch = str(os.arch, 'os.arch');
    if (kernel !== undefined) o.kernel = kernel;
    if (arch !== undefined) o.arch = arch;
    fp.os = o;
  }
  if (obj.gpus !== undefined && obj.gpus !== null) {
    if (!Array.isArray(obj.gpus)) problems.push('fingerprint gpus should be a list.');
    else {
      fp.gpus = [];
      obj.gpus.forEach((g: unknown, i) => {
        if (!isRecord(g)) {
          problems.push(`fingerprint gpus[${i}] should be an object.`);
          return;
        }
        const gpu: GpuInfo = { name: str(g.name, `gpus[${i}].name`) ?? '' };
        const driver = str(g.driver, `gpus[${i}].driver`);
        const memoryMiB = num(g.memoryMiB, `gpus[${i}].memoryMiB`);
        const uuid = str(g.uuid, `gpus[${i}].uuid`);
        if (driver !== undefined) gpu.driver = driver;
        if (memoryMiB !== undefined) gpu.memoryMiB = memoryMiB;
        if (uuid !== undefined) gpu.uuid = uuid;
        fp.gpus?.push(gpu);
      });
    }
  }
  return { value: fp, problems };
}

/** Reads eegen-run/fingerprint.json. */
export function parseFingerprint(jsonText: string, options: ReadOptions = {}): Parsed<Fingerprint> {
  const problems = new Problems(options.file);
  const parsed = parseJsonLenient(jsonText);
  if (!parsed.ok || !isRecord(parsed.value)) {
    problems.add(C.fingerprintInvalid, 'The fingerprint is not a JSON object.');
    return { value: {}, problems: problems.done() };
  }
  const { value, problems: found } = normalizeFingerprint(parsed.value);
  for (const p of found) problems.add(C.fingerprintInvalid, p);
  return { value, problems: problems.done() };
}

/** Inventory column (as nvidia-smi's header names it) -> entry field. */
const INVENTORY: Record<string, { key: keyof GpuInventoryEntry; numeric?: true }> = {
  index: { key: 'index', numeric: true },
  name: { key: 'name' },
  gpu_name: { key: 'name' },
  uuid: { key: 'uuid' },
  gpu_uuid: { key: 'uuid' },
  driver_version: { key: 'driver' },
  vbios_version: { key: 'vbios' },
  'pci.bus_id': { key: 'pciBusId' },
  gpu_bus_id: { key: 'pciBusId' },
  'memory.total': { key: 'memoryMiB', numeric: true },
  'power.limit': { key: 'powerLimitW', numeric: true },
  compute_cap: { key: 'computeCap' },
};

/** Reads `nvidia-smi --query-gpu=index,name,uuid,driver_version,... --format=csv`; unknown columns are ignored. */
export function parseGpuInventory(csv: string, options: ReadOptions & { fields?: readonly string[] } = {}): Parsed<GpuInventoryEntry[]> {
  const problems = new Problems(options.file);
  const entries: GpuInventoryEntry[] = [];
  readNvidiaSmiCsv(
    csv,
    problems,
    (columns, cells) => {
      const entry: Record<string, string | number> = {};
      columns.forEach((col, i) => {
        const target = INVENTORY[col.name];
        const cell = cells[i] as string;
        if (!target || isNotAvailable(cell)) return;
        const value = target.numeric ? leadingNumber(cell) : cell;
        if (value !== undefined) entry[target.key] = value;
      });
      entries.push(entry as GpuInventoryEntry);
    },
    options.fields,
  );
  return { value: entries, problems: problems.done() };
}

/** The GPUs of an inventory, as a fingerprint lists them. */
export function gpusFromInventory(entries: readonly GpuInventoryEntry[]): GpuInfo[] {
  return entries.map((e) => {
    const g: GpuInfo = { name: e.name ?? '' };
    if (e.driver !== undefined) g.driver = e.driver;
    if (e.memoryMiB !== undefined) g.memoryMiB = e.memoryMiB;
    if (e.uuid !== undefined) g.uuid = e.uuid;
    return g;
  });
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decodeXml(s: string): string {
  return s.replace(/&(amp|lt|gt|quot|apos);/g, (_, name: string) => ENTITIES[name] ?? '').trim();
}

/** Text of the first `<tag>text</tag>` in `xml` (no nested elements inside). */
function element(xml: string, tag: string): string | undefined {
  const open = `<${tag}>`;
  const at = xml.indexOf(open);
  if (at < 0) return undefined;
  const end = xml.indexOf(`</${tag}>`, at);
  if (end < 0) return undefined;
  const text = xml.slice(at + open.length, end);
  return text.includes('<') ? undefined : decodeXml(text);
}

/**
 * Reads the parts of `nvidia-smi -q -x` a fingerprint needs: driver and CUDA version, and
 * per GPU product name, UUID, framebuffer memory, architecture, VBIOS, PCI bus id. A
 * light scan for known elements, not an XML parser: nvidia-smi's output is regular.
 */
export function parseNvidiaSmiXml(xml: string, options: ReadOptions = {}): Parsed<NvidiaSmiReport> {
  const problems = new Problems(options.file);
  const firstGpu = xml.search(/<gpu[\s>]/);
  const head = firstGpu < 0 ? xml : xml.slice(0, firstGpu);
  const report: NvidiaSmiReport = { gpus: [] };
  const driver = element(head, 'driver_version');
  const cuda = element(head, 'cuda_version');
  if (driver !== undefined) report.driver = driver;
  if (cuda !== undefined && cuda !== 'N/A') report.cuda = cuda;

  const gpuOpen = /<gpu(?:\s+id="([^"]*)")?\s*>/g;
  let m: RegExpExecArray | null;
  while ((m = gpuOpen.exec(xml)) !== null) {
    const close = xml.indexOf('</gpu>', gpuOpen.lastIndex);
    const body = xml.slice(gpuOpen.lastIndex, close < 0 ? xml.length : close);
    const gpu: NvidiaSmiReport['gpus'][number] = { name: element(body, 'product_name') ?? '' };
    if (report.driver !== undefined) gpu.driver = report.driver;
    const fbStart = body.indexOf('<fb_memory_usage>');
    if (fbStart >= 0) {
      const fb = body.slice(fbStart, body.indexOf('</fb_memory_usage>', fbStart));
      const total = element(fb, 'total');
      const mib = total === undefined ? undefined : leadingNumber(total);
      if (mib !== undefined) gpu.memoryMiB = total?.includes('GiB') ? mib * 1024 : mib;
    }
    const uuid = element(body, 'uuid');
    const architecture = element(body, 'product_architecture');
    const vbios = element(body, 'vbios_version');
    if (uuid !== undefined) gpu.uuid = uuid;
    if (architecture !== undefined) gpu.architecture = architecture;
    if (vbios !== undefined) gpu.vbios = vbios;
    if (m[1] !== undefined) gpu.pciBusId = decodeXml(m[1]);
    report.gpus.push(gpu);
    if (close < 0) break;
    gpuOpen.lastIndex = close;
  }
  if (!xml.includes('<nvidia_smi_log')) problems.add(C.xmlMissing, 'This is not `nvidia-smi -q -x` output (no <nvidia_smi_log>).');
  else if (report.gpus.length === 0) problems.add(C.xmlMissing, 'The report lists no GPU.');
  return { value: report, problems: problems.done() };
}
