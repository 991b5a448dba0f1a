/**
 * Cloudmesh templates (NAME.in.slurm / .in.sh / .in.lsf): the text is shell, with
 * `{dotted.name}` placeholders (resolve/placeholders.ts). Each placeholder is replaced by
 * its value escaped for the shell position it sits in (shell/scan.ts finds the
 * position, shell/context.ts escapes); every other byte of the template is kept.
 */
import { diag, nearest, type Diagnostic } from '../diagnostics/index.js';
import { deferredRef } from '../syntax/deferred.js';
import { classifyReference, followValue, isMapping, type NamespaceInput, type Reference } from '../resolve/namespaces.js';
import { placeholderRoots, PROVIDED_NAMESPACES } from '../syntax/placeholders.js';
import { substituteSlots } from '../shell/context.js';
import { scalarText, ShellQuoteError } from '../shell/quote.js';
import { blockingProblems, scanShell, type ShellScan, type Slot } from '../shell/scan.js';
import { schedulers } from '../scheduler/registry.js';
import type { Mapping, Scheduler, Value } from '../types.js';
import { RENDER_CODES as C } from './codes.js';
import { directiveBlock } from './directives.js';
import type { RenderContext } from './index.js';
import type { TemplateSource } from './template.js';

/** A scanned template, and for each slot the number of its name among the template's distinct names. */
interface Scanned extends ShellScan {
  nameIds: Int32Array;
  names: number;
}
const scans = new WeakMap<TemplateSource, Scanned>();

/** The adapters' directive block placeholders (`{slurm.sbatch}`, `{lsf.bsub}`): the scheduler, its namespace and the whole name. */
const BLOCKS = schedulers().flatMap((a) => (a.templateBlock ? [{ name: a.name as Scheduler, namespace: a.templateBlock.namespace, placeholder: `${a.templateBlock.namespace}.${a.templateBlock.field}` }] : []));

function scanOf(t: TemplateSource): Scanned {
  let s = scans.get(t);
  if (!s) {
    const scan = scanShell(t.text);
    const ids = new Map<string, number>();
    const nameIds = Int32Array.from(scan.slots, (slot) => {
      let id = ids.get(slot.name);
      if (id === undefined) ids.set(slot.name, (id = ids.size));
      return id;
    });
    s = { ...scan, nameIds, names: ids.size };
    scans.set(t, s);
  }
  return s;
}

/** The config seen by templates: `experiment` is this bundle's (resolved) parameters. */
export function templateConfig(ctx: RenderContext): Mapping {
  return isMapping(ctx.config.experiment) ? ctx.config : { ...ctx.config, experiment: ctx.params };
}

export function renderCloudmesh(t: TemplateSource, ctx: RenderContext): { text?: string; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const at = (slot: Slot): { file: string; line: number } => ({ file: t.file, line: slot.line });
  const scan = scanOf(t);
  const problems = blockingProblems(scan);
  if (problems.length) {
    for (const p of problems)
      diagnostics.push(diag(C.unbalancedTemplate, `The template ${p.message}, so eegen cannot tell how to quote the placeholders after it.`, { file: t.file, line: p.line }, 'Close the quote, substitution or here-document (bash would reject the script as well).'));
    return { diagnostics };
  }
  const config = templateConfig(ctx);
  let rootSet: Set<string> | undefined;
  const roots = (): Set<string> => (rootSet ??= placeholderRoots(config));
  const ns: NamespaceInput = { config, host: ctx.host, bundle: ctx.bundle, blocks: Object.fromEntries(BLOCKS.map(({ namespace, name }) => [namespace, () => directiveBlock(name, ctx.directives)])) };
  let failed = false;
  const fail = (d: Diagnostic): undefined => {
    diagnostics.push(d);
    failed = true;
    return undefined;
  };

  // A template names the same few values over and over (30 lines, 5 names): each config
  // value is looked up once per bundle, by the number of its name (scanOf).
  const known: (string | undefined)[] = new Array<string | undefined>(scan.names);
  const valueOf = (slot: Slot, i: number): string | { raw: string } | undefined => {
    const id = scan.nameIds[i]!;
    const seen = known[id];
    if (seen !== undefined) return seen;
    const root = slot.path[0]!;
    // Most placeholders name a config key (experiment's included): what classifyReference
    // and followValue would say, without building the reference (a sweep asks it millions of times).
    if (Object.hasOwn(config, root) && !SPECIAL_ROOTS.has(root)) {
      // Walk the path in place; a string at its end is the text (what textOf gives it).
      const p = slot.path;
      let node: Value = config[root]!;
      let k = 1;
      while (k < p.length && isMapping(node) && Object.hasOwn(node, p[k]!)) node = node[p[k++]!]!;
      if (k === p.length) {
        if (typeof node === 'string') return (known[id] = node);
        if (typeof node === 'number' || typeof node === 'boolean') return (known[id] = String(node));
      }
      return textOf(slot, followValue(config[root]!, root, p.length > 1 ? p.slice(1) : NO_SEGMENTS), false);
    }
    if (!PROVIDED.has(root)) {
      if (ctx.strict) {
        // `{epoch}` for a swept key most likely means `{experiment.epoch}`.
        const swept = Object.hasOwn(ctx.params, root);
        const close = swept ? 'experiment' : nearest(root, roots());
        const near = close && [close, ...slot.path.slice(swept ? 0 : 1)].join('.');
        diagnostics.push(
          diag(C.leftAsText, `{${slot.name}} on line ${slot.line} is left as written: "${root}" is not a config key or namespace.`, at(slot), near ? `Did you mean {${near}}?` : `Placeholders start with a config key or one of: experiment, os, ee, identifier, host, bundle, slurm, lsf.`, 'warning'),
        );
        return undefined;
      }
      // Only dotted names with a longish first segment: `{obj.attr}` in embedded Python is legitimate.
      const near = slot.path.length > 1 && root.length >= 5 ? nearest(root, roots()) : undefined;
      if (near) diagnostics.push(diag(C.nearMissPlaceholder, `{${slot.name}} on line ${slot.line} is left as written: "${root}" is not a config key or namespace.`, at(slot), `Did you mean {${[near, ...slot.path.slice(1)].join('.')}}?`, 'warning'));
      return undefined;
    }
    const isBlock = !Object.hasOwn(config, root) && BLOCKS.some((b) => b.namespace === root && b.placeholder === slot.name);
    let ref: Reference;
    try {
      ref = classifyReference(slot.path, ns);
    } catch (e) {
      if (!(e instanceof ShellQuoteError)) throw e;
      return fail(diag(C.badDirectiveValue, `{${slot.name}} on line ${slot.line} cannot be built: ${e.message}.`, at(slot), 'Fix the value in the host profile or the config resources.'));
    }
    if (ref.kind === 'config') ref = followValue(config[ref.path[0]!]!, ref.path[0]!, ref.path.slice(1));
    return textOf(slot, ref, isBlock);
  };

  /** The text of a classified reference (or a diagnostic). */
  const textOf = (slot: Slot, ref: Reference, isBlock: boolean): string | { raw: string } | undefined => {
    let value: Value;
    switch (ref.kind) {
      case 'env':
        value = ref.value ?? deferredRef(ref.name);
        break;
      case 'invalid':
        return fail(diag(C.unknownPlaceholder, `${ref.message} (line ${slot.line}).`, at(slot), ref.hint));
      case 'unknown': {
        const near = nearest(ref.missing, ref.candidates);
        const full = (k: string): string => (ref.known ? `${ref.known}.${k}` : k);
        return fail(
          diag(
            C.unknownPlaceholder,
            `{${slot.name}} on line ${slot.line} refers to nothing: ${ref.known ? `${ref.known} has no key "${ref.missing}"` : `there is no key "${ref.missing}"`}.`,
            at(slot),
            near ? `Did you mean {${full(near)}}?` : ref.candidates.length ? `Known keys: ${ref.candidates.slice(0, 12).join(', ')}.` : undefined,
          ),
        );
      }
      case 'value':
        value = ref.value;
        break;
      case 'config':
        throw new Error('unreachable: config references are followed above');
    }
    // The directive block goes in as lines where it stands alone on a line at the top of
    // the script; anywhere else (`echo "{slurm.sbatch}"`, a here-document) it is a value,
    // quoted for where it stands like any other.
    if (isBlock && typeof value === 'string' && slot.context === 'unquoted' && aloneOnLine(t.text, slot)) return { raw: value };
    if (typeof value === 'object' && value !== null) {
      return fail(diag(C.structuredValue, `{${slot.name}} on line ${slot.line} is ${Array.isArray(value) ? 'a list' : 'a mapping'}, which has no single text form.`, at(slot), 'Refer to one of its fields, or use an Eta template (*.eta) to format it.'));
    }
    return scalarText(value);
  };

  const { text, failures } = substituteSlots(t.text, scan.slots, valueOf);
  for (const f of failures) {
    diagnostics.push(diag(C.unsafeValue, `{${f.slot.name}} on line ${f.slot.line} cannot be placed safely: ${f.error.message}.`, at(f.slot), 'Change the value, or move the placeholder to an unquoted position where it becomes one shell word.'));
  }
  if (failed || failures.length) return { diagnostics };
  return { text, diagnostics };
}

/** Roots classifyReference treats specially even when the config has such a key. */
const SPECIAL_ROOTS = new Set(['os', 'bundle', 'ee', 'sbatch', 'identifier']);
const PROVIDED: ReadonlySet<string> = new Set(PROVIDED_NAMESPACES);
const NO_SEGMENTS: readonly string[] = [];

/** Nothing but blanks around the slot on its line. */
function aloneOnLine(text: string, slot: Slot): boolean {
  return text.slice(slot.lineStart, slot.start).trim() === '' && text.slice(slot.end, slot.lineEnd).trim() === '';
}
