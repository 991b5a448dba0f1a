/**
 * Names rules can use: every experiment key (also spelled `experiment.KEY`), `repeat`
 * when sweep.repeat adds it, and the derived values defined so far.
 */
import { diag, nearest, type Diagnostic } from '../diagnostics/index.js';
import { compileExpression, parseExpression, type Evaluate, type ExprError } from '../expr/index.js';
import { EXPAND_CODES as C } from './codes.js';
import { spanIn } from './spans.js';
import type { ExprSource } from './types.js';

export class Scope {
  private readonly slots = new Map<string, number>();
  /** Names defined after the rule being compiled (derived values further down). */
  later: string[] = [];

  define(name: string, slot: number): void {
    this.slots.set(name, slot);
  }
  has(name: string): boolean {
    return this.resolve(name) !== undefined;
  }
  resolve(name: string): number | undefined {
    return this.slots.get(name) ?? (name.startsWith('experiment.') ? this.slots.get(name.slice('experiment.'.length)) : undefined);
  }
  /** Canonical name (without `experiment.`) for a name that resolves. */
  canonical(name: string): string {
    return this.slots.has(name) ? name : name.slice('experiment.'.length);
  }

  unknownHint(name: string): string {
    const bare = name.startsWith('experiment.') ? name.slice('experiment.'.length) : name;
    if (this.later.includes(bare)) return `'${bare}' is derived further down; derived values are computed in order, so define it above this rule.`;
    const known = [...this.slots.keys()];
    const near = nearest(bare, known);
    if (near) return `Did you mean '${near}'?`;
    const list = known.length > 12 ? `${known.slice(0, 12).join(', ')}, ...` : known.join(', ') || '(none)';
    return `Rules can use experiment keys and derived values: ${list}.`;
  }
}

const CODE_OF: Record<ExprError['kind'], string> = { syntax: C.exprSyntax, name: C.exprUnknownName, function: C.exprBadCall };

/** Parse and compile the expression of rule `where` (e.g. `sweep.derive.tasks`); all problems become diagnostics. */
export function compileRule(source: ExprSource, where: string, scope: Scope): { evaluate?: Evaluate; diagnostics: Diagnostic[] } {
  const toDiag = (e: ExprError): Diagnostic => {
    const hint = e.kind === 'name' && e.name ? scope.unknownHint(e.name) : e.hint;
    return diag(CODE_OF[e.kind], `${where}: ${e.message}`, spanIn(source, e.offset, e.length), hint);
  };
  const parsed = parseExpression(source.text);
  if (!parsed.ast) return { diagnostics: parsed.error ? [toDiag(parsed.error)] : [] };
  const { fn, errors } = compileExpression(parsed.ast, (name) => scope.resolve(name));
  return fn ? { evaluate: fn, diagnostics: [] } : { diagnostics: errors.map(toDiag) };
}
