/**
 * The only import site of the `yaml` package. Parses YAML keeping source positions,
 * and turns every syntax problem (duplicate keys, tabs, bad indentation, ...) into a
 * diagnostic with a span: a config is never silently "fixed" by the parser.
 */
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, stringify, type Node } from 'yaml';
import { diag, type Diagnostic, type Span } from '../diagnostics/index.js';
import type { LoadedYaml, PathSegment, Value } from '../types.js';

const YAML_HINTS: Record<string, [string, string]> = {
  DUPLICATE_KEY: ['EG1002', 'Each key may appear once per mapping; remove or rename one of them.'],
  TAB_AS_INDENT: ['EG1003', 'YAML forbids tabs for indentation; indent with spaces.'],
  BAD_INDENT: ['EG1004', 'Align this line with its siblings (use spaces, the same number at each level).'],
  MISSING_CHAR: ['EG1005', 'A quote, bracket or colon is missing; check the line above as well.'],
  BLOCK_AS_IMPLICIT_KEY: ['EG1006', 'A key must fit on one line; quote it or use a block mapping.'],
  MULTILINE_IMPLICIT_KEY: ['EG1006', 'A key must fit on one line; quote it or use a block mapping.'],
  UNEXPECTED_TOKEN: ['EG1007', 'Check quoting and indentation near this position.'],
  ALIAS_PROPS: ['EG1008', 'Anchors and aliases cannot carry tags here.'],
  BAD_ALIAS: ['EG1008', 'The alias refers to an anchor that is not defined before it.'],
};

function yamlErrorDiagnostic(file: string, e: { code: string; message: string; pos: [number, number] }, severity: 'error' | 'warning'): Diagnostic {
  const [code, hint] = YAML_HINTS[e.code] ?? ['EG1001', 'Fix the YAML syntax at this position.'];
  // yaml's messages end with a position suffix and sometimes a code frame; keep the first line.
  const message = (e.message.split('\n')[0] ?? e.message).replace(/ at line \d+, column \d+:?$/, '');
  return diag(code, `Invalid YAML: ${message}`, { file, start: e.pos[0], length: Math.max(1, e.pos[1] - e.pos[0]) }, hint, severity);
}

export interface LoadResult {
  loaded?: LoadedYaml;
  /** The text read, also when it did not parse (diagnostics point into it). */
  text?: string;
  diagnostics: Diagnostic[];
}

/** Parse `text` (named `file` in messages). YAML 1.2 core schema, unique keys enforced. */
export function parseYaml(file: string, text: string): LoadResult {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: false, lineCounter, merge: true });
  const diagnostics: Diagnostic[] = [];
  for (const e of doc.errors) diagnostics.push(yamlErrorDiagnostic(file, e, 'error'));
  for (const w of doc.warnings) diagnostics.push(yamlErrorDiagnostic(file, w, 'warning'));
  if (diagnostics.some((d) => d.severity === 'error')) return { text, diagnostics };
  // A tab anywhere in the leading whitespace is refused even where yaml tolerates it,
  // because the indentation the user sees is then not the structure the parser sees.
  const tab = /^( *)\t/m.exec(text);
  if (tab) {
    const start = tab.index + tab[1]!.length;
    diagnostics.push(diag('EG1003', 'Invalid YAML: a tab character is used for indentation.', { file, start, length: 1 }, YAML_HINTS.TAB_AS_INDENT![1]));
    return { text, diagnostics };
  }
  const data = (doc.toJS({ maxAliasCount: 1000 }) ?? null) as Value;
  const whole: Span = { file, start: 0, length: Math.max(1, text.length) };

  const locate = (path: readonly PathSegment[], which: 'key' | 'value' = 'value'): Span => {
    let node: unknown = doc.contents;
    let best: Span = whole;
    for (let i = 0; i < path.length; i++) {
      const seg = path[i];
      const last = i === path.length - 1;
      if (isMap(node)) {
        const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(seg));
        if (!pair) return best;
        const keyNode = pair.key as Node;
        if (last && which === 'key' && keyNode.range) return spanOf(file, keyNode.range);
        node = pair.value;
        if (!node || !(node as Node).range) return keyNode.range ? spanOf(file, keyNode.range) : best;
      } else if (isSeq(node) && typeof seg === 'number') {
        node = node.items[seg];
        if (!node) return best;
      } else {
        return best;
      }
      const r = (node as Node).range;
      if (r) best = spanOf(file, r);
    }
    return best;
  };
  return { loaded: { file, text, data, locate }, text, diagnostics };
}

function spanOf(file: string, range: [number, number, number]): Span {
  return { file, start: range[0], length: Math.max(1, range[1] - range[0]) };
}

/**
 * Deterministic YAML text for frozen configs: keys in the order given, no line
 * wrapping (so long values never reflow), strings quoted only where needed.
 */
export function toYaml(value: Value): string {
  return stringify(value, { lineWidth: 0, minContentWidth: 0, aliasDuplicateObjects: false, version: '1.2' });
}
