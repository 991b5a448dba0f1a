/**
 * Template sources: user templates (Eta `*.eta`, or cloudmesh `NAME.in.slurm` /
 * `NAME.in.sh` / `NAME.in.lsf`) and eegen's built-in ones in the package's templates/.
 */
import { readFileSync } from 'node:fs';
import { InputFileError, readInputFile } from '../load/index.js';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { diag, type Diagnostic } from '../diagnostics/index.js';
import type { Scheduler } from '../types.js';
import { schedulers } from '../scheduler/registry.js';
import { RENDER_CODES as C } from './codes.js';

export interface TemplateSource {
  /** The file as the user named it (built-ins: `<eegen>/templates/NAME.eta`). */
  file: string;
  text: string;
  kind: 'eta' | 'cloudmesh';
  /** Name of the rendered script in the bundle: cloudmask.in.slurm -> cloudmask.slurm; job.slurm.eta -> job.slurm. */
  outputName: string;
  /** From the output's extension: .slurm/.sbatch -> slurm, .lsf/.bsub -> lsf, else bash. */
  scheduler: Scheduler;
}

/** Package root: this file is src/render/template.ts or dist/render/template.js. */
export const PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export function outputNameFor(file: string): string {
  const base = path.basename(file);
  if (base.endsWith('.eta')) return base.slice(0, -4) || base;
  const i = base.lastIndexOf('.in.');
  if (i > 0) return base.slice(0, i) + base.slice(i + 3);
  if (base.endsWith('.in') && base.length > 3) return base.slice(0, -3);
  return base;
}

/** The scheduler a template's output name is for, by the adapters' templateExtensions (`job.slurm`: slurm); bash otherwise. */
export function schedulerFor(outputName: string): Scheduler {
  const ext = path.extname(outputName).toLowerCase();
  return (schedulers().find((a) => a.templateExtensions?.includes(ext))?.name as Scheduler | undefined) ?? 'bash';
}

/** Read a user template; a missing file is a diagnostic. */
export async function loadTemplate(file: string): Promise<{ template?: TemplateSource; diagnostics: Diagnostic[] }> {
  let text: string;
  try {
    text = (await readInputFile(file)).toString('utf8');
  } catch (e) {
    if (!(e instanceof InputFileError)) throw e;
    const what = e.what;
    return { diagnostics: [diag(C.templateUnreadable, `The template ${file} ${what}.`, undefined, 'Template paths are relative to the config file (or the current directory for --template).')] };
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const outputName = outputNameFor(file);
  return { template: { file, text, kind: file.endsWith('.eta') ? 'eta' : 'cloudmesh', outputName, scheduler: schedulerFor(outputName) }, diagnostics: [] };
}

const BUILTIN_OUTPUT: Record<Scheduler, string> = { slurm: 'job.slurm', lsf: 'job.lsf', bash: 'job.sh' };
const builtins = new Map<Scheduler, TemplateSource>();

/** eegen's own template for `scheduler` (templates/slurm.eta, lsf.eta, bash.eta). */
export function builtinTemplate(scheduler: Scheduler): TemplateSource {
  let t = builtins.get(scheduler);
  if (!t) {
    const text = readFileSync(path.join(PACKAGE_ROOT, 'templates', `${scheduler}.eta`), 'utf8');
    t = { file: `<eegen>/templates/${scheduler}.eta`, text, kind: 'eta', outputName: BUILTIN_OUTPUT[scheduler], scheduler };
    builtins.set(scheduler, t);
  }
  return t;
}
