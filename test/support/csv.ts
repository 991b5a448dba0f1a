/** CSV reading for tests of results.csv. */

/** A strict RFC 4180 parser (quoted fields, doubled quotes, line breaks inside quotes); throws on malformed input. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let i = 0;
  let quoted = false;
  let fieldStart = true;
  while (i < text.length) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
        i++;
        if (i < text.length && text[i] !== ',' && text[i] !== '\n') throw new Error(`CSV: text after a closing quote at ${i}`);
        continue;
      }
      field += c;
      i++;
      continue;
    }
    if (c === '"') {
      if (!fieldStart) throw new Error(`CSV: quote inside an unquoted field at ${i}`);
      quoted = true;
      fieldStart = false;
      i++;
    } else if (c === ',') {
      row.push(field);
      field = '';
      fieldStart = true;
      i++;
    } else if (c === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      fieldStart = true;
      i++;
    } else {
      if (c === '\r') throw new Error('CSV: bare carriage return');
      field += c;
      fieldStart = false;
      i++;
    }
  }
  if (quoted) throw new Error('CSV: unterminated quoted field');
  if (!fieldStart || field !== '' || row.length) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}
