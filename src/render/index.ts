/**
 * The render stage: one job script per bundle from a template (Eta or cloudmesh) and a
 * resolved config. Values are always shell-quoted for the position they land in; the
 * finished script is checked for directives after its first command (checks.ts).
 */
import { directiveChoice, directiveTable, unknownDirectiveDiagnostic } from './directive-table.js';
import { diag, hasErrors, type Diagnostic } from '../diagnostics/index.js';
import { ShellQuoteError } from '../shell/quote.js';
import type { DirectiveSet, HostProfile, Mapping, Scheduler } from '../types.js';
import { checkDirectivePlacement } from './checks.js';
import { renderCloudmesh, templateConfig } from './cloudmesh.js';
import { RENDER_CODES as C } from './codes.js';
import { directiveBlock, type Resources } from './directives.js';
import { renderEtaMany } from './eta.js';
import type { TemplateSource } from './template.js';

export { RENDER_CODES } from './codes.js';
export { directiveBlock, lsfTime, type Resources } from './directives.js';
export { loadProfile, BUILTIN_PROFILE_DIR } from './profile.js';
export { builtinTemplate, loadTemplate, outputNameFor, schedulerFor, type TemplateSource } from './template.js';
export { checkDirectivePlacement } from './checks.js';

export interface RenderContext {
  /** This bundle's parameters (the resolved `config.experiment` is used when present). */
  params: Mapping;
  /** The resolved config. */
  config: Mapping;
  host: HostProfile;
  /** Merged: host.defaults < host.directives[experiment.directive ?? experiment.card_name ?? experiment.gpu (when listed)] < config.resources. */
  directives: DirectiveSet & Resources;
  bundle: { id: string; index: number; script: string; ee?: string };
  scheduler: Scheduler;
  /** Warn about every placeholder-shaped text left as written, not just near misses. */
  strict?: boolean;
}

/**
 * A bundle whose directive name (experiment.directive, else experiment.card_name) the
 * host profile's table lacks is an error (EG4010): without it the job would be sent
 * without its partition, account and gres. `experiment.gpu` is only a name when the table
 * has it, so it is never reported. The compiler reports this before rendering, at the
 * value in the config (render/directive-table.ts checkDirectiveNames); this check is for
 * renders that do not come from a config file.
 */
function directiveNameCheck(t: TemplateSource, ctx: RenderContext, params: Mapping): Diagnostic[] {
  const choice = directiveChoice(ctx.host, params);
  const table = directiveTable(ctx.host);
  if (!choice || choice.key === 'gpu' || !table || Object.hasOwn(table, choice.name)) return [];
  return [unknownDirectiveDiagnostic(ctx.host, choice.key, choice.name, { file: t.file })];
}

/** Render one bundle's script. `text` is absent when there are errors. */
export function renderTemplate(t: TemplateSource, ctx: RenderContext): { text?: string; diagnostics: Diagnostic[] } {
  return renderTemplates(t, [ctx])[0]!;
}

/** Render several bundles' scripts with one template (Eta renders them in batches). */
export function renderTemplates(t: TemplateSource, ctxs: readonly RenderContext[]): { text?: string; diagnostics: Diagnostic[] }[] {
  type Result = { text?: string; diagnostics: Diagnostic[] };
  const before: Diagnostic[][] = [];
  const results: (Result | undefined)[] = [];
  const eta: { at: number; it: Record<string, unknown> }[] = [];
  for (const [i, ctx] of ctxs.entries()) {
    const config = templateConfig(ctx);
    const params = config.experiment as Mapping;
    before.push(directiveNameCheck(t, ctx, params));
    if (t.kind === 'cloudmesh') {
      results.push(renderCloudmesh(t, ctx));
      continue;
    }
    let block: string;
    try {
      block = directiveBlock(ctx.scheduler, ctx.directives);
    } catch (e) {
      if (!(e instanceof ShellQuoteError)) throw e;
      results.push({ diagnostics: [diag(C.badDirectiveValue, `The ${ctx.scheduler} directives cannot be written: ${e.message}.`, { file: t.file }, 'Fix the value in the host profile or the config resources.')] });
      continue;
    }
    results.push(undefined);
    eta.push({
      at: i,
      it: {
        params,
        experiment: params,
        config,
        host: ctx.host,
        directives: ctx.directives,
        bundle: ctx.bundle,
        scheduler: ctx.scheduler,
        sbatch: block,
        setup: [...(ctx.directives.setup ?? [])],
      },
    });
  }
  if (eta.length) {
    const rendered = renderEtaMany(
      t,
      eta.map((e) => e.it),
    );
    for (const [k, e] of eta.entries()) results[e.at] = rendered[k]!;
  }
  return results.map((result, i) => {
    const diagnostics = [...before[i]!, ...result!.diagnostics];
    if (result!.text === undefined) return { diagnostics };
    const placement = checkDirectivePlacement(result!.text, t.outputName, t.file);
    diagnostics.push(...placement);
    return hasErrors(placement) ? { diagnostics } : { text: result!.text, diagnostics };
  });
}
