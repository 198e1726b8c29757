import { describe, expect, it } from "vitest";
import { cellOf, parseCsv } from "../src/preview/csv.js";

describe("a CSV preview", () => {
  it("reads quoted cells, doubled quotes, CRLF and a last line without an end", () => {
    expect(parseCsv('a,"b, c","say ""hi"""\r\n1,=SUM(A1),3\nx')).toEqual([
      ["a", "b, c", 'say "hi"'],
      ["1", "=SUM(A1)", "3"],
      ["x"],
    ]);
  });

  it("stops at the row limit", () => {
    expect(parseCsv("1\n2\n3\n4\n", 2)).toEqual([["1"], ["2"]]);
  });
});

describe("a finding's cell", () => {
  it("is read from the location's row and column, counted from 1", () => {
    expect(cellOf("row 3, column 2")).toEqual({ row: 3, column: 2 });
    expect(cellOf("Row 4 col 1")).toEqual({ row: 4, column: 1 });
    expect(cellOf("R2C5")).toEqual({ row: 2, column: 5 });
  });

  it("is none for a location that names no cell", () => {
    expect(cellOf(undefined)).toBeUndefined();
    expect(cellOf("entry data/x.csv")).toBeUndefined();
    expect(cellOf("row 0, column 1")).toBeUndefined();
  });
});
