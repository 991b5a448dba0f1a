/**
 * The CSV that `nvidia-smi --query-gpu=... --format=csv` prints: cells joined by ", ", a
 * header line naming each field with its unit in brackets (`power.draw [W]`), and units
 * repeated inside the values (`72.25 W`) unless `nounits` was given. A trace restarted in
 * the same file repeats its header, which may name other fields; each header applies to
 * the rows below it.
 */
import { Problems, RESULT_CODES as C } from './codes.js';
import { forEachLine } from './text.js';

export interface CsvColumn {
  name: string;
  unit?: string;
}

const HEADER_CELL = /^([A-Za-z_][A-Za-z0-9_.]*)\s*(?:\[([^\]]*)\])?$/;

function headerOf(cells: string[]): CsvColumn[] | undefined {
  const columns: CsvColumn[] = [];
  for (const cell of cells) {
    const m = HEADER_CELL.exec(cell);
    if (!m) return undefined;
    columns.push(m[2] === undefined ? { name: m[1] as string } : { name: m[1] as string, unit: m[2] });
  }
  return columns;
}

/**
 * Calls `onRow` with the current header and the row's trimmed cells. `fields` names the
 * columns of a `noheader` file; a header line in the text replaces it.
 */
export function readNvidiaSmiCsv(
  text: string,
  problems: Problems,
  onRow: (columns: readonly CsvColumn[], cells: string[], lineNo: number) => void,
  fields?: readonly string[],
): void {
  let columns: CsvColumn[] | undefined = fields?.map((name) => ({ name }));
  let missingHeaderReported = false;
  forEachLine(text, (line, lineNo) => {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    const cells = splitCells(trimmed);
    // Rows begin with a timestamp or an index (a digit); only a header begins with a letter.
    const first = trimmed.charCodeAt(0);
    const header = first >= 48 && first <= 57 ? undefined : headerOf(cells);
    if (header) {
      columns = header;
      return;
    }
    if (!columns) {
      if (!missingHeaderReported) problems.add(C.csvNoHeader, 'No header line before the first row; rows skipped until one appears.', lineNo, 'Record with --format=csv (not noheader), or pass the field list.');
      missingHeaderReported = true;
      return;
    }
    if (cells.length !== columns.length) {
      problems.add(C.csvFieldCount, `This row has ${cells.length} fields, the header ${columns.length}; skipped.`, lineNo);
      return;
    }
    onRow(columns, cells, lineNo);
  });
}

/** Cells of one row, trimmed: nvidia-smi writes ", " between them. */
function splitCells(line: string): string[] {
  const cells: string[] = [];
  let start = 0;
  for (;;) {
    const comma = line.indexOf(',', start);
    const cell = comma < 0 ? line.slice(start) : line.slice(start, comma);
    cells.push(cell.charCodeAt(0) === 32 || cell.charCodeAt(cell.length - 1) === 32 ? cell.trim() : cell);
    if (comma < 0) return cells;
    start = comma + 1;
  }
}

/** `[N/A]`, `[Not Supported]`, `[Unknown Error]`, `N/A`: no value. */
export function isNotAvailable(cell: string): boolean {
  return cell === '' || cell === 'N/A' || (cell.startsWith('[') && cell.endsWith(']'));
}
