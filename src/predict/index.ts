/**
 * `eegen predict OUT`: from the bundles that finished, how long (and, where recorded, how
 * much energy and how many bytes of output) the rest of the sweep will take, per host and GPU type, and what time
 * limit to request. The seed paper's "best practice": run a few cheap combinations first,
 * then ask for the resources of the expensive ones.
 *
 * Model: per group (host, GPU type and each value of a non-numeric swept parameter), the
 * runtime as a function of the numeric swept parameters (`repeat` is a replicate, not a
 * parameter): a constant when none varies, a line (start-up cost + cost per unit,
 * Theil–Sen) for one, a plane (Huber-weighted least squares) for more; robust to
 * stragglers. Each prediction carries a ~95% band that widens away from the data; a
 * prediction outside the measured range is marked, one far outside it is warned about,
 * and a group with too few points gets a plain message instead of a number.
 *
 * Reads OUT/index.json (every bundle and its parameters) and OUT/results.jsonl (what
 * collect brought back); writes nothing.
 */
import { diag, DiagnosticError, type Diagnostic } from '../diagnostics/index.js';
import type { JobRequest } from '../scheduler/types.js';
import type { Value } from '../types.js';
import { jobRequests, loadStudy, num, str, type Study, type StudyBundle, type StudyRow } from '../report/study.js';
import { formatBytes } from '../report/summary.js';
import { band, fitConstant, fitLine, fitPlane, predictFit, type Fit } from './fit.js';

/** Predict's own codes; reading the study can also give EG8001-EG8003 (report/study.ts, in REPORT_CODES). */
export const PREDICT_CODES = { badMargin: 'EG8004', farTime: 'EG8005', noTime: 'EG8006', otherConfig: 'EG8007', submittedTime: 'EG8008' } as const;

export interface PredictOptions {
  /** The build's output directory (index.json, results.jsonl). */
  out: string;
  /** Added to the largest upper band for the time limit to request (default 0.25: 25%). */
  margin?: number;
}

export interface BundlePrediction {
  id: string;
  /** The feature values used (numeric swept parameters). */
  x: Record<string, number>;
  seconds: number;
  low: number;
  high: number;
  /** Outside the measured range of a parameter; `far`: by more than half that range. */
  extrapolated?: 'near' | 'far';
  energyJ?: number;
  /** The energy's ~95% band. */
  energyLowJ?: number;
  energyHighJ?: number;
  /** Output bytes (collect's output_bytes: what the run wrote where it ran) and the band's upper end. */
  bytes?: number;
  bytesHigh?: number;
  /** Nodes and GPUs its job script asks for (its directives), when it has a scheduler that says. */
  request?: JobRequest;
  /** The time limit to give this bundle: its upper band + the margin, HH:MM:SS (build --time-from). */
  walltime: string;
}

export interface GroupPrediction {
  /** host, GPU type and the non-numeric swept values that define the group. */
  key: { host: string; gpu?: string; values: Record<string, string> };
  features: string[];
  /** Bundles that finished (state done) with a duration: the points fitted. */
  points: number;
  /** Set when there were too few points: why, in words, and no numbers. */
  tooFew?: string;
  /** The fitted law, in words: "duration_s ≈ 12.0 s + 4.5 s × epoch (Theil–Sen, 9 points, robust σ 1.1 s)". */
  model?: string;
  fit?: Fit;
  predictions: BundlePrediction[];
  /** The fitted law of output bytes, in words, where finished bundles recorded them. */
  bytesModel?: string;
  /** Sum over `predictions`, with the sum of the bands' ends. */
  total?: { seconds: number; low: number; high: number; energyJ?: number; energyLowJ?: number; energyHighJ?: number; bytes?: number; bytesHigh?: number };
  /** `#SBATCH --time` for the slowest bundle of the group, with the margin: HH:MM:SS. */
  walltime?: string;
  warnings: string[];
}

export interface PredictResult {
  groups: GroupPrediction[];
  /** Bundles still to run that no group can predict (no finished bundle like them). */
  unpredicted: string[];
  /** Over every group that could predict: the rest of the sweep. */
  total: {
    bundles: number;
    seconds: number;
    low: number;
    high: number;
    /** Predicted seconds times the nodes (GPUs) each bundle's script asks for; one node and one GPU for a bundle whose script says nothing (`assumed` counts those). */
    nodeHours: number;
    gpuHours: number;
    /** The same over the bands' ends. */
    nodeHoursLow: number;
    nodeHoursHigh: number;
    gpuHoursLow: number;
    gpuHoursHigh: number;
    /** Bundles whose node and GPU counts were assumed (no scheduler directives to read). */
    assumed: number;
    energyJ?: number;
    energyLowJ?: number;
    energyHighJ?: number;
    bytes?: number;
    bytesHigh?: number;
  };
  /** Finished so far: bundles and their measured time. */
  done: { bundles: number; seconds: number };
  margin: number;
  diagnostics: Diagnostic[];
}

type IndexBundle = StudyBundle;

interface Row {
  id: string;
  state?: string;
  host?: string;
  duration_s?: number;
  energy_j?: number;
  output_bytes?: number;
  gpu?: string;
}

/** The columns predict reads, from collect's rows. */
function rowOf(r: StudyRow): Row {
  const state = str(r.state);
  const host = str(r.host);
  const duration = num(r.duration_s);
  const energy = num(r.energy_j);
  const bytes = num(r.output_bytes);
  const gpu = str(r['fp.gpu']);
  return {
    id: r.id,
    ...(state ? { state } : {}),
    ...(host ? { host } : {}),
    ...(duration !== undefined ? { duration_s: duration } : {}),
    ...(energy !== undefined ? { energy_j: energy } : {}),
    ...(bytes !== undefined && bytes >= 0 ? { output_bytes: bytes } : {}),
    ...(gpu ? { gpu } : {}),
  };
}

const isNumber = (v: Value | undefined): v is number => typeof v === 'number' && Number.isFinite(v);

/** `repeat` (sweep.repeat) numbers replicates: not a parameter of the law. */
const REPLICATE = 'repeat';

export function hms(seconds: number): string {
  const total = Math.max(60, Math.ceil(seconds / 60) * 60);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  return `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}:00`;
}

function seconds(s: number): string {
  if (Math.abs(s) >= 3600) return `${(s / 3600).toFixed(2)} h`;
  if (Math.abs(s) >= 60) return `${(s / 60).toFixed(1)} min`;
  return `${s.toFixed(s < 10 ? 2 : 1)} s`;
}

function describe(fit: Fit, features: string[], unit: (v: number) => string, what: string): string {
  const how = fit.kind === 'line' ? 'Theil–Sen line' : fit.kind === 'plane' ? 'Huber-weighted least squares' : 'median';
  const terms = features.map((f, i) => `${unit(fit.coef[i + 1]!)} × ${f}`);
  const law = fit.kind === 'constant' ? unit(fit.coef[0]!) : `${unit(fit.coef[0]!)} + ${terms.join(' + ')}`;
  return `${what} ≈ ${law} (${how}, ${fit.n} points, robust σ ${unit(fit.sigma)})`;
}

/** The least number of finished bundles each kind of law needs, and the law it gives. */
function fitFor(xs: number[][], ys: number[], features: string[]): { fit?: Fit; need: number } {
  if (features.length === 0) return ys.length >= 2 ? { fit: fitConstant(ys), need: 2 } : { need: 2 };
  if (features.length === 1) {
    const distinct = new Set(xs.map((x) => x[0])).size;
    if (ys.length < 3 || distinct < 2) return { need: 3 };
    const fit = fitLine(xs.map((x) => x[0]!), ys);
    return fit ? { fit, need: 3 } : { need: 3 };
  }
  const need = features.length + 2;
  if (ys.length < need) return { need };
  const fit = fitPlane(xs, ys);
  return fit ? { fit, need } : { need };
}

/** Predict the rest of the sweep in `opts.out` from what finished. */
export async function predict(opts: PredictOptions): Promise<PredictResult> {
  const margin = marginOf(opts.margin);
  const study = await loadStudy(opts.out);
  return predictStudy(study, margin, await jobRequests(study, (b) => study.rows.get(b.id)?.state !== 'done'));
}

/** The margin to use (default 0.25); EG8004 unless a fraction between 0 and 10. */
export function marginOf(given: number | undefined): number {
  const margin = given ?? 0.25;
  if (!Number.isFinite(margin) || margin < 0 || margin > 10) {
    throw new DiagnosticError(diag(PREDICT_CODES.badMargin, `The margin ${margin} is not a fraction between 0 and 10.`, undefined, 'Give --margin 0.25 for 25% on top of the largest predicted runtime.'));
  }
  return margin;
}

/** predict() of a study already read (build --time-from reads it once for both); `margin` already checked. */
export function predictStudy(study: Study, margin: number, requests: ReadonlyMap<string, JobRequest> = new Map()): PredictResult {
  const diagnostics: Diagnostic[] = [...study.diagnostics];
  const { varying, bundles } = study;
  const rows = new Map([...study.rows].map(([id, r]) => [id, rowOf(r)]));

  // Numeric swept parameters are the law's variables; the others split the bundles into groups.
  const swept = varying.filter((k) => k !== REPLICATE);
  const features = swept.filter((k) => bundles.every((b) => isNumber(b.params[k])));
  const categorical = swept.filter((k) => !features.includes(k));
  const values = (b: IndexBundle) => Object.fromEntries(categorical.map((k) => [k, typeof b.params[k] === 'string' ? (b.params[k] as string) : JSON.stringify(b.params[k])]));
  const catKey = (b: IndexBundle) => JSON.stringify(values(b));

  type Group = { key: GroupPrediction['key']; cat: string; xs: number[][]; ys: number[]; es: number[]; exs: number[][]; bs: number[]; bxs: number[][]; todo: IndexBundle[] };
  const groups = new Map<string, Group>();
  const groupOf = (b: IndexBundle, host: string, gpu: string | undefined): Group => {
    const k = JSON.stringify([host, gpu ?? '', catKey(b)]);
    let g = groups.get(k);
    if (!g) groups.set(k, (g = { key: { host, ...(gpu ? { gpu } : {}), values: values(b) }, cat: catKey(b), xs: [], ys: [], es: [], exs: [], bs: [], bxs: [], todo: [] }));
    return g;
  };
  const xOf = (b: IndexBundle) => features.map((f) => b.params[f] as number);
  const done = { bundles: 0, seconds: 0 };
  const waiting: IndexBundle[] = [];
  for (const b of bundles) {
    const r = rows.get(b.id);
    if (r?.state === 'done' && r.duration_s !== undefined && r.host !== undefined) {
      const g = groupOf(b, r.host, r.gpu);
      g.xs.push(xOf(b));
      g.ys.push(r.duration_s);
      if (r.energy_j !== undefined) {
        g.es.push(r.energy_j);
        g.exs.push(xOf(b));
      }
      if (r.output_bytes !== undefined) {
        g.bs.push(r.output_bytes);
        g.bxs.push(xOf(b));
      }
      done.bundles++;
      done.seconds += r.duration_s;
    } else if (r?.state !== 'done') waiting.push(b);
  }
  // A bundle still to run goes to the group of its host when it was submitted somewhere,
  // else to the slowest host that ran bundles like it (what a resource request must cover).
  const unpredicted: string[] = [];
  // The law's variables for a group: the numeric parameters that vary among the bundles
  // like it (finished or not). One that varies there but not among the finished ones
  // cannot be fitted: too few points, not a constant.
  const varies = new Map<string, string[]>();
  const usedFeatures = (g: Group) => {
    let used = varies.get(g.cat);
    if (!used) {
      const like = bundles.filter((b) => catKey(b) === g.cat);
      used = features.filter((f) => new Set(like.map((b) => b.params[f])).size > 1);
      varies.set(g.cat, used);
    }
    return used;
  };
  const fitted = new Map<Group, { fit?: Fit; need: number; energy?: Fit; bytes?: Fit }>();
  const fitOf = (g: Group) => {
    let f = fitted.get(g);
    if (!f) {
      const used = usedFeatures(g);
      const cols = used.map((u) => features.indexOf(u));
      const pick = (x: number[]) => cols.map((i) => x[i]!);
      f = fitFor(g.xs.map(pick), g.ys, used);
      const energy = g.es.length ? fitFor(g.exs.map(pick), g.es, used).fit : undefined;
      if (energy) f.energy = energy;
      const bytes = g.bs.length ? fitFor(g.bxs.map(pick), g.bs, used).fit : undefined;
      if (bytes) f.bytes = bytes;
      fitted.set(g, f);
    }
    return f;
  };
  const predictIn = (g: Group, b: IndexBundle) => predictFit(fitOf(g).fit!, usedFeatures(g).map((f) => b.params[f] as number));
  for (const b of waiting) {
    const r = rows.get(b.id);
    const same = [...groups.values()].filter((g) => g.cat === catKey(b) && (r?.host === undefined || g.key.host === r.host));
    if (!same.length) {
      unpredicted.push(b.id);
      continue;
    }
    const usable = same.filter((g) => fitOf(g).fit);
    // No usable group: the bundle waits in one that says why (too few points).
    const pick = usable.length ? usable.reduce((slow, g) => (predictIn(g, b) > predictIn(slow, b) ? g : slow)) : same[0]!;
    pick.todo.push(b);
  }

  const out: GroupPrediction[] = [];
  const total: PredictResult['total'] = { bundles: 0, seconds: 0, low: 0, high: 0, nodeHours: 0, gpuHours: 0, nodeHoursLow: 0, nodeHoursHigh: 0, gpuHoursLow: 0, gpuHoursHigh: 0, assumed: 0 };
  for (const g of [...groups.values()].sort((a, b) => (a.key.host + a.cat < b.key.host + b.cat ? -1 : 1))) {
    const used = usedFeatures(g);
    const { fit, need, energy, bytes } = fitOf(g);
    const gp: GroupPrediction = { key: g.key, features: used, points: g.ys.length, predictions: [], warnings: [] };
    const where = `${g.key.host}${g.key.gpu ? ` (${g.key.gpu})` : ''}${categorical.length ? ` ${categorical.map((k) => `${k}=${g.key.values[k]}`).join(' ')}` : ''}`;
    if (!fit) {
      gp.tooFew = `Too few finished bundles on ${where} to predict from: ${g.ys.length} done, at least ${need} needed${used.length || features.length ? ` with different values of ${(used.length ? used : features).join(', ')}` : ''}. Run a few more cheap combinations first.`;
      for (const b of g.todo) unpredicted.push(b.id);
      out.push(gp);
      continue;
    }
    gp.fit = fit;
    gp.model = describe(fit, used, seconds, 'duration_s');
    if (bytes) gp.bytesModel = describe(bytes, used, formatBytes, 'output_bytes');
    let far = 0;
    let slowest = g.ys.reduce((m, y) => Math.max(m, y), 0);
    const sum: NonNullable<GroupPrediction['total']> = { seconds: 0, low: 0, high: 0, ...(energy ? { energyJ: 0, energyLowJ: 0, energyHighJ: 0 } : {}), ...(bytes ? { bytes: 0, bytesHigh: 0 } : {}) };
    for (const b of g.todo) {
      const x = used.map((f) => b.params[f] as number);
      const y = Math.max(0, predictFit(fit, x));
      const h = band(fit, x);
      const p: BundlePrediction = { id: b.id, x: Object.fromEntries(used.map((f, i) => [f, x[i]!])), seconds: y, low: Math.max(0, y - h), high: y + h, walltime: hms((y + h) * (1 + margin)) };
      const request = requests.get(b.id);
      if (request) p.request = request;
      else total.assumed++;
      const nodes = request?.nodes ?? 1;
      const gpus = request?.gpus ?? 1;
      total.nodeHours += (y * nodes) / 3600;
      total.gpuHours += (y * gpus) / 3600;
      total.nodeHoursLow += (p.low * nodes) / 3600;
      total.nodeHoursHigh += (p.high * nodes) / 3600;
      total.gpuHoursLow += (p.low * gpus) / 3600;
      total.gpuHoursHigh += (p.high * gpus) / 3600;
      const outside = x.map((v, i) => {
        const [lo, hi] = fit.range[i]!;
        const span = hi - lo;
        return v < lo - span / 2 || v > hi + span / 2 ? 'far' : v < lo || v > hi ? 'near' : undefined;
      });
      if (outside.includes('far')) (p.extrapolated = 'far'), far++;
      else if (outside.includes('near')) p.extrapolated = 'near';
      if (energy) {
        p.energyJ = Math.max(0, predictFit(energy, x));
        const e = band(energy, x);
        p.energyLowJ = Math.max(0, p.energyJ - e);
        p.energyHighJ = p.energyJ + e;
        sum.energyJ! += p.energyJ;
        sum.energyLowJ! += p.energyLowJ;
        sum.energyHighJ! += p.energyHighJ;
      }
      if (bytes) {
        p.bytes = Math.max(0, Math.round(predictFit(bytes, x)));
        p.bytesHigh = Math.max(p.bytes, Math.round(p.bytes + band(bytes, x)));
        sum.bytes! += p.bytes;
        sum.bytesHigh! += p.bytesHigh;
      }
      gp.predictions.push(p);
      sum.seconds += y;
      sum.low += p.low;
      sum.high += p.high;
      slowest = Math.max(slowest, p.high);
    }
    if (far) gp.warnings.push(`${far} of ${g.todo.length} predictions on ${where} lie far outside the measured range of ${used.join(', ')} (${used.map((f, i) => `${fit.range[i]![0]}-${fit.range[i]![1]}`).join(', ')}): treat them as guesses, or run one such combination first.`);
    gp.total = sum;
    gp.walltime = hms(slowest * (1 + margin));
    total.bundles += g.todo.length;
    total.seconds += sum.seconds;
    total.low += sum.low;
    total.high += sum.high;
    if (sum.energyJ !== undefined) {
      total.energyJ = (total.energyJ ?? 0) + sum.energyJ;
      total.energyLowJ = (total.energyLowJ ?? 0) + sum.energyLowJ!;
      total.energyHighJ = (total.energyHighJ ?? 0) + sum.energyHighJ!;
    }
    if (sum.bytes !== undefined) {
      total.bytes = (total.bytes ?? 0) + sum.bytes;
      total.bytesHigh = (total.bytesHigh ?? 0) + sum.bytesHigh!;
    }
    out.push(gp);
  }
  return { groups: out, unpredicted: unpredicted.sort(), total, done, margin, diagnostics };
}

const kwh = (j: number) => (j / 3.6e6).toFixed(3);

/** How node-hours and GPU-hours were counted, in words. */
function hoursBasis(t: PredictResult['total']): string {
  if (t.assumed === 0) return "as each bundle's job script requests nodes and GPUs";
  if (t.assumed === t.bundles) return 'at one node and one GPU per bundle: no job script says otherwise';
  return `as the job scripts request, and one node and one GPU for the ${t.assumed} bundle${t.assumed === 1 ? '' : 's'} whose scripts say nothing`;
}

/** The text `eegen predict` prints. */
/** `shown`: bundles listed per group (the CLI's --verbose: all). */
export function formatPrediction(r: PredictResult, shown = 5): string {
  const lines: string[] = [];
  lines.push(`Finished: ${r.done.bundles} bundle${r.done.bundles === 1 ? '' : 's'} (${seconds(r.done.seconds)} in all).`);
  for (const g of r.groups) {
    const where = `${g.key.host}${g.key.gpu ? ` (${g.key.gpu})` : ''}${Object.keys(g.key.values).length ? ` ${Object.entries(g.key.values).map(([k, v]) => `${k}=${v}`).join(' ')}` : ''}`;
    lines.push('', `${where}: ${g.points} finished`);
    if (g.tooFew) {
      lines.push(`  ${g.tooFew}`);
      continue;
    }
    lines.push(`  model: ${g.model}`);
    if (g.bytesModel) lines.push(`  output: ${g.bytesModel}`);
    if (!g.predictions.length) lines.push('  nothing left to run here');
    else {
      const t = g.total!;
      lines.push(`  ${g.predictions.length} to run: ${seconds(t.seconds)} (${seconds(t.low)}-${seconds(t.high)})${t.energyJ !== undefined ? `, ${kwh(t.energyJ)} kWh (${kwh(t.energyLowJ!)}-${kwh(t.energyHighJ!)})` : ''}${t.bytes !== undefined ? `, ${formatBytes(t.bytes)} of output (up to ${formatBytes(t.bytesHigh!)})` : ''}`);
      for (const p of g.predictions.slice(0, shown)) lines.push(`    ${p.id}: ${seconds(p.seconds)} (${seconds(p.low)}-${seconds(p.high)})${p.bytes !== undefined ? `, ${formatBytes(p.bytes)} of output` : ''}${p.extrapolated ? ` extrapolated${p.extrapolated === 'far' ? ' far' : ''}` : ''}`);
      if (g.predictions.length > shown) lines.push(`    ... ${g.predictions.length - shown} more (--verbose or --json lists every bundle)`);
    }
    lines.push(`  request: #SBATCH --time=${g.walltime} (the slowest bundle's upper band + ${Math.round(r.margin * 100)}%)`);
    for (const w of g.warnings) lines.push(`  warning: ${w}`);
  }
  const t = r.total;
  lines.push('', `The rest of the sweep: ${t.bundles} bundle${t.bundles === 1 ? '' : 's'}, ${seconds(t.seconds)} (${seconds(t.low)}-${seconds(t.high)}), ${t.nodeHours.toFixed(2)} node-hours (${t.nodeHoursLow.toFixed(2)}-${t.nodeHoursHigh.toFixed(2)}) and ${t.gpuHours.toFixed(2)} GPU-hours (${t.gpuHoursLow.toFixed(2)}-${t.gpuHoursHigh.toFixed(2)}; ${hoursBasis(t)})${t.energyJ !== undefined ? `, ${kwh(t.energyJ)} kWh of GPU energy (${kwh(t.energyLowJ!)}-${kwh(t.energyHighJ!)})` : ''}${t.bytes !== undefined ? `, ${formatBytes(t.bytes)} of output (up to ${formatBytes(t.bytesHigh!)}) where finished bundles recorded it` : ''}.`);
  if (r.unpredicted.length) lines.push(`Not predicted (no finished bundle like them, or too few): ${r.unpredicted.length}: ${r.unpredicted.slice(0, 5).join(', ')}${r.unpredicted.length > 5 ? ', ...' : ''}`);
  return lines.join('\n');
}
