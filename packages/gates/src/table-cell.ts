/** What one cell of a published table holds, as the disclosure gate weighs it. */
export type TableCell =
  | { readonly kind: "integer"; readonly value: number }
  | { readonly kind: "decimal" }
  | { readonly kind: "missing" }
  | { readonly kind: "suppressed" }
  | { readonly kind: "text" };

/** How tables write "no value". */
const MISSING = new Set(["", "na", "n/a", "nan", "null", "none", ".", "-", "?"]);

/** How tables write a value held back on purpose: `<10`, `*`, `[c]`, `c`, `x`, `..`, `suppressed`. */
const SUPPRESSED = /^(<\s*\d+|\*+|\[c\]|c|x|\.\.|suppressed|redacted)$/i;

const INTEGER = /^[+-]?\d+$/;
/** Thousands written with commas (a quoted CSV field): 1,234,567. */
const GROUPED_INTEGER = /^[+-]?\d{1,3}(,\d{3})+$/;
const DECIMAL = /^[+-]?(\d+\.\d*|\.\d+|\d+)([eE][+-]?\d+)?%?$/;

export const cellOf = (raw: string): TableCell => {
  const value = raw.trim();
  if (MISSING.has(value.toLowerCase())) return { kind: "missing" };
  if (INTEGER.test(value)) return { kind: "integer", value: Number(value) };
  if (GROUPED_INTEGER.test(value)) return { kind: "integer", value: Number(value.replaceAll(",", "")) };
  if (DECIMAL.test(value)) return { kind: "decimal" };
  if (SUPPRESSED.test(value)) return { kind: "suppressed" };
  return { kind: "text" };
};
