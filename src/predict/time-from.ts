/**
 * `eegen build --time-from OUT`: each bundle's time limit (`resources.time`) from what
 * predict says of OUT, a build of the same config with some results collected. A bundle
 * predict has a prediction for gets its upper band plus predict's margin (HH:MM:SS, the
 * walltime predict prints); every other bundle keeps the config's time, with a warning
 * that says why: too few finished bundles like it (EG8006), or a prediction far outside
 * the measured range (EG8005), a guess no time limit should rest on; or it was already
 * submitted (OUT's ledger, or a queued/running row: EG8008), so a new limit would rewrite
 * a bundle a scheduler holds.
 */
import path from 'node:path';
import { diag, type Diagnostic } from '../diagnostics/index.js';
import { loadStudy, type StudyBundle } from '../report/study.js';
import { readLedger, statePaths } from '../write/state.js';
import { marginOf, predictStudy, PREDICT_CODES } from './index.js';

/** Row states of a bundle on a scheduler now (collected while it ran). */
const IN_FLIGHT = new Set(['submitted', 'queued', 'running']);

export interface TimeLimits {
  /** Bundle id -> the time limit to give it (HH:MM:SS). */
  limits: Map<string, string>;
  /** The bundles of OUT (for sameConfig). */
  bundles: StudyBundle[];
  diagnostics: Diagnostic[];
}

const some = (ids: readonly string[]): string => `${ids.slice(0, 3).join(', ')}${ids.length > 3 ? `, ... (${ids.length - 3} more)` : ''}`;

/** The time limits predict gives the bundles of `out` still to run. */
export async function timeLimitsFrom(out: string, margin?: number): Promise<TimeLimits> {
  const m = marginOf(margin);
  const study = await loadStudy(out);
  const r = predictStudy(study, m);
  const diagnostics: Diagnostic[] = [...r.diagnostics];
  // A bundle already handed to a scheduler keeps the time it was submitted with: a new
  // limit would rewrite a bundle that is queued or running (or ran), not the job.
  const submitted = await readLedger(statePaths(path.resolve(out)));
  const inFlight = (id: string): boolean => submitted.has(id) || IN_FLIGHT.has(String(study.rows.get(id)?.state));
  const limits = new Map<string, string>();
  const far: string[] = [];
  const kept: string[] = [];
  for (const g of r.groups) {
    for (const p of g.predictions) {
      if (inFlight(p.id)) kept.push(p.id);
      else if (p.extrapolated === 'far') far.push(p.id);
      else limits.set(p.id, p.walltime);
    }
  }
  const warn = (code: string, message: string, hint: string) => diagnostics.push({ ...diag(code, message, { file: out }, hint), severity: 'warning' });
  if (r.unpredicted.length) {
    const why = r.done.bundles === 0 ? `nothing in ${out} has finished yet` : r.groups.find((g) => g.tooFew)?.tooFew ?? 'no finished bundle is like them';
    warn(PREDICT_CODES.noTime, `--time-from ${out}: ${r.unpredicted.length} bundle${r.unpredicted.length === 1 ? ' keeps' : 's keep'} the config's time limit (${some(r.unpredicted)}): ${why.replace(/\.$/, '')}.`, `Run a few cheap combinations, eegen collect ${out}, then build again.`);
  }
  if (far.length) {
    warn(PREDICT_CODES.farTime, `--time-from ${out}: ${far.length} bundle${far.length === 1 ? ' keeps' : 's keep'} the config's time limit (${some(far.sort())}): ${far.length === 1 ? 'its prediction lies' : 'their predictions lie'} far outside the measured range, a guess.`, 'Run one such combination first (eegen predict OUT shows the ranges).');
  }
  if (kept.length) {
    warn(PREDICT_CODES.submittedTime, `--time-from ${out}: ${kept.length} bundle${kept.length === 1 ? ' keeps its' : 's keep their'} time limit (${some(kept.sort())}): already submitted, so a new limit would rewrite ${kept.length === 1 ? 'a bundle' : 'bundles'} the scheduler has.`, `Cancel and rebuild them first if they should get the predicted time (eegen cancel ${out} --only ID).`);
  }
  return { limits, bundles: study.bundles, diagnostics };
}

const paramsKey = (p: object): string => JSON.stringify(Object.entries(p).sort(([a], [b]) => (a < b ? -1 : 1)));

/**
 * OUT must be a build of the config being built: each of its bundles one the config
 * produces, with the same parameters (a config that adds values may produce more).
 */
export function sameConfig(out: string, config: string, theirs: readonly StudyBundle[], ours: readonly { id: string; params: object }[]): Diagnostic | undefined {
  const mine = new Map(ours.map((b) => [b.id, paramsKey(b.params)]));
  const other = theirs.find((b) => mine.get(b.id) !== paramsKey(b.params));
  if (!other && theirs.length) return undefined;
  return diag(
    PREDICT_CODES.otherConfig,
    other ? `--time-from ${out}: ${out} was built from another config: its bundle ${other.id} ${mine.has(other.id) ? 'has other parameters than' : 'is not one'} ${config} ${mine.has(other.id) ? 'gives it' : 'produces'}.` : `--time-from ${out}: ${out} holds no bundles.`,
    { file: out },
    `Give --time-from the output directory of a build of ${config} with collected results (eegen collect OUT).`,
  );
}
