/**
 * The only import site of the `yaml` package. Parses YAML keeping source positions,
 * and turns every syntax problem (duplicate keys, tabs, bad indentation, ...) into a
 * diagnostic with a span: a config is never silently "fixed" by the parser.
 */
import { Document, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, Scalar, visit, type Node } from 'yaml';
import { diag, type Diagnostic, type Span } from '../diagnostics/index.js';
import type { LoadedYaml, PathSegment, Value } from '../types.js';
import { emitYaml } from './emit-yaml.js';

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

/**
 * A plain number keeps its spelling when the number would not print the same: `1e-4`,
 * `1.0`, `0x10`, `007`, `.inf` and `.nan` stay the strings written (cloudmesh, whose YAML
 * 1.1 reads most of them as strings anyway, puts them into scripts as written; a script
 * must not get 0.0001, Infinity or null instead). Expressions still compare and compute
 * with them by value (expr/semantics.ts `asNumber`). Numbers that print as written (`5`,
 * `0.1`, `-3`) stay numbers.
 */
function keepNumbersAsWritten(doc: ReturnType<typeof parseDocument>): void {
  visit(doc, {
    Scalar(_key, node) {
      if (typeof node.value === 'number' && node.type === 'PLAIN' && typeof node.source === 'string' && node.source !== String(node.value)) node.value = node.source;
    },
  });
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
  keepNumbersAsWritten(doc);
  let data: Value;
  try {
    data = (doc.toJS({ maxAliasCount: 1000 }) ?? null) as Value;
  } catch (e) {
    // yaml refuses documents whose aliases expand past the limit (a "billion laughs" bomb).
    if (!(e instanceof ReferenceError)) throw e;
    let at: [number, number] | undefined;
    visit(doc, { Alias: (_k, node) => ((at = node.range ? [node.range[0], node.range[1] - node.range[0]] : undefined), visit.BREAK) });
    diagnostics.push(diag('EG1011', 'The YAML uses aliases (*name) that expand to too many nodes.', { file, start: at?.[0] ?? 0, length: Math.max(1, at?.[1] ?? 1) }, 'Write the values out, or use fewer, smaller anchors; eegen refuses documents that expand past 1000 alias uses.'));
    return { text, diagnostics };
  }
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

/** The options that define the frozen config's text; emit-yaml.ts reproduces them. */
export const TO_YAML_OPTIONS = { lineWidth: 0, minContentWidth: 0, aliasDuplicateObjects: false, version: '1.2' } as const;

/**
 * Deterministic YAML text for frozen configs: keys in the order given, no line
 * wrapping (so long values never reflow), strings quoted only where needed.
 * Written by the fast emitter in emit-yaml.ts (byte-identical, see there), with
 * yaml's own stringify for whatever that emitter is not sure of.
 */
export function toYaml(value: Value): string {
  return emitYaml(value, scalarText) ?? stringifyForBoth(value);
}

/**
 * Strings a YAML 1.1 reader resolves to another type (the YAML 1.1 type repository: bool,
 * null, int with octal, binary, `_` and sexagesimal forms, float, timestamp, merge, value).
 * PyYAML is 1.1, and the programs that read a bundle's config.yaml are mostly Python:
 * `time: 6:00:00` would reach them as the integer 21600, `gpu: yes` as True.
 */
const YAML11_OTHER =
  /^(?:y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF|~|null|Null|NULL|<<|=|[-+]?0b[01_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+|[-+]?(?:[0-9][0-9_]*)?\.[0-9.]*(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:(?:[Tt]|[ \t]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9]{1,2}(?::[0-9]{2})?))?)?)$/;

export function isYaml11Other(s: string): boolean {
  return YAML11_OTHER.test(s);
}

/**
 * yaml's YAML 1.2 text, with every string a 1.1 reader would take for something else
 * double-quoted as well, so both kinds of reader get the same values. (The fast emitter
 * never writes such a string plain: its plain strings start with a letter, and the only
 * such 1.1 words are its RESERVED_WORDS.)
 */
function stringifyForBoth(value: unknown): string {
  const doc = new Document(value, TO_YAML_OPTIONS);
  visit(doc, {
    Scalar(_key, node) {
      if (typeof node.value === 'string' && (node.type === undefined || node.type === Scalar.PLAIN) && isYaml11Other(node.value)) node.type = Scalar.QUOTE_DOUBLE;
    },
  });
  return doc.toString(TO_YAML_OPTIONS);
}

/**
 * Memo of `scalarText` for strings, per position; `null` = "unsure". Bounded: cleared
 * when full, and long strings (rare, and costly to keep) are not kept.
 */
const SCALAR_MEMO = { key: new Map<string, string | null>(), value: new Map<string, string | null>() };
const SCALAR_MEMO_LIMIT = 10_000;
const SCALAR_MEMO_MAX_LENGTH = 1_000;

/** `spellScalar`, memoized: a sweep repeats the same values in every bundle. */
function scalarText(value: string | number, asKey: boolean): string | undefined {
  if (typeof value === 'number' || value.length > SCALAR_MEMO_MAX_LENGTH) return spellScalar(value, asKey) ?? undefined;
  const memo = asKey ? SCALAR_MEMO.key : SCALAR_MEMO.value;
  let text = memo.get(value);
  if (text === undefined) {
    text = spellScalar(value, asKey);
    if (memo.size >= SCALAR_MEMO_LIMIT) memo.clear();
    memo.set(value, text);
  }
  return text ?? undefined;
}

/**
 * yaml's own test for a line starting like a document marker or directive: it quotes
 * such a plain key in the top-level mapping only, so the key's spelling depends on depth.
 * (Values are not affected: yaml applies it to values only at indentation 0, i.e. to a
 * top-level scalar, which emit-yaml.ts leaves to yaml.)
 */
const DOCUMENT_MARKER = /^(%|---|\.\.\.)/m;

/**
 * yaml's spelling of one scalar as a block mapping key or block sequence item, taken
 * from stringifying it alone in that position; `null` when that spelling spans several
 * lines (block scalars and folded quotes are indented, so they depend on depth) or is
 * a key that could depend on depth otherwise (document markers). See emit-yaml.ts.
 */
function spellScalar(value: string | number, asKey: boolean): string | null {
  if (asKey && typeof value === 'string' && DOCUMENT_MARKER.test(value)) return null;
  // As a key: `KEY: 0\n`; as an item: `- ITEM\n`. An explicit key (`? KEY\n: 0`) or a
  // block scalar leaves a newline in the middle and is refused below.
  const doc = stringifyForBoth(asKey ? { [value]: 0 } : [value]);
  const [before, after] = asKey ? ['', ': 0\n'] : ['- ', '\n'];
  if (!doc.startsWith(before) || !doc.endsWith(after)) return null;
  const text = doc.slice(before.length, doc.length - after.length);
  return text.includes('\n') ? null : text;
}
