/**
 * CSV for previews: rows of cells as text (RFC 4180 quoting), and the cells a gate's finding
 * points at. Nothing here evaluates a cell: formulas stay text.
 */

export const parseCsv = (text: string, maxRows = 500): string[][] => {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = "";
  let quoted = false;
  for (let index = 0; index < text.length; index += 1) {
    const char = text[index];
    if (quoted) {
      if (char === '"' && text[index + 1] === '"') {
        cell += '"';
        index += 1;
      } else if (char === '"') quoted = false;
      else cell += char;
    } else if (char === '"' && cell === "") quoted = true;
    else if (char === ",") {
      row.push(cell);
      cell = "";
    } else if (char === "\n" || char === "\r") {
      if (char === "\r" && text[index + 1] === "\n") index += 1;
      row.push(cell);
      rows.push(row);
      row = [];
      cell = "";
      if (rows.length >= maxRows) return rows;
    } else cell += char;
  }
  if (cell !== "" || row.length > 0) {
    row.push(cell);
    rows.push(row);
  }
  return rows;
};

/**
 * A cell's position as the gates name it: rows counted from 1 below the header row, columns from 1.
 */
export interface CellRef {
  readonly row: number;
  readonly column: number;
}

/**
 * The cell a finding's `location` names: "row 3, column 2" (or "row 3 column 2", "R3C2"), counted
 * from 1. Anything else names no cell.
 */
export const cellOf = (location: string | undefined): CellRef | undefined => {
  if (!location) return undefined;
  const words = /row\s*(\d+)\s*,?\s*col(?:umn)?\s*(\d+)/i.exec(location);
  const short = /^R(\d+)C(\d+)$/i.exec(location.trim());
  const match = words ?? short;
  if (!match) return undefined;
  const row = Number(match[1]);
  const column = Number(match[2]);
  return row >= 1 && column >= 1 ? { row, column } : undefined;
};

export const cellKey = (cell: CellRef): string => `${cell.row}:${cell.column}`;
