import { finished } from "node:stream/promises";
import {
  extensionOf,
  FINDINGS_PER_FILE_MAX,
  type Gate,
  type GateAnswer,
  type GateError,
  type GateFile,
  type GateFinding,
  type GateSettingsOf,
} from "@airlock/core";
import { type Parser, parse } from "csv-parse";
import { err, ok, type Result, ResultAsync } from "neverthrow";
import { cellOf } from "./table-cell.js";

type DisclosureSettings = GateSettingsOf<"disclosure">;

/** A row longer than this is not checked: a table's row never is, a hostile file's may be endless. */
export const MAX_ROW_BYTES = 1024 * 1024;
/** Columns a table may have and still be checked; cells are tallied per column. */
export const MAX_COLUMNS = 1000;
/** Findings per file: what the engine records, the last one counting those left out. */
const MAX_FINDINGS = FINDINGS_PER_FILE_MAX;
/** Characters of a column's header a finding quotes. */
const HEADER_QUOTED = 60;
/** Bytes parsed in one go: a piece of this size takes a few milliseconds. */
const PIECE_BYTES = 16 * 1024;
/** Parsing time after which the event loop gets a turn. */
const TURN_MS = 10;

/** A cell that asks a person to look, if its column turns out to hold counts. */
type Problem =
  | { readonly row: number; readonly kind: "small" | "zero" | "negative"; readonly value: number }
  | { readonly row: number; readonly kind: "missing" };

/** What one column held, tallied as the rows stream past. */
interface Column {
  text: number;
  integers: number;
  decimals: number;
  problems: Problem[];
  problemCount: number;
}

const newColumn = (): Column => ({ text: 0, integers: 0, decimals: 0, problems: [], problemCount: 0 });

class NotText extends Error {}
class Stopped extends Error {}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * The file's bytes as UTF-8 text in pieces of at most `PIECE_BYTES`, refused at the first byte that
 * is not text (NUL included). Parsing a piece is synchronous work: the event loop gets a turn
 * whenever `TURN_MS` of it has passed, however large the chunks storage hands out.
 */
async function* textOf(chunks: AsyncIterable<Uint8Array>, signal: AbortSignal): AsyncGenerator<string> {
  const decoder = new TextDecoder("utf-8", { fatal: true });
  let turnAt = performance.now();
  const decode = (bytes?: Uint8Array) => {
    let text: string;
    try {
      text = bytes === undefined ? decoder.decode() : decoder.decode(bytes, { stream: true });
    } catch {
      throw new NotText();
    }
    if (text.includes("\0")) throw new NotText();
    return text;
  };
  for await (const chunk of chunks) {
    for (let at = 0; at < chunk.length; at += PIECE_BYTES) {
      if (signal.aborted) throw new Stopped();
      yield decode(chunk.subarray(at, at + PIECE_BYTES));
      if (performance.now() - turnAt >= TURN_MS) {
        await nextTurn();
        turnAt = performance.now();
      }
    }
  }
  yield decode();
}

/**
 * The delimiter of a `.csv`: the one of `,` `;` and tab the header line holds most of (a comma on a
 * tie), so a table written with semicolons is read as a table, not as one column of text.
 */
const delimiterOf = (firstText: string): string => {
  const line = firstText.split("\n", 1)[0] ?? "";
  const counts = [",", ";", "\t"].map((candidate) => [candidate, line.split(candidate).length - 1] as const);
  const [best] = [...counts].sort((a, b) => b[1] - a[1]);
  return best !== undefined && best[1] > 0 ? best[0] : ",";
};

const PARSE_REASONS: Readonly<Record<string, string>> = {
  CSV_MAX_RECORD_SIZE: `a row is longer than ${MAX_ROW_BYTES / 1024 / 1024} MiB`,
  CSV_QUOTE_NOT_CLOSED: "a quoted field is never closed",
  CSV_INVALID_CLOSING_QUOTE: "a quoted field is followed by more than a delimiter",
  CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE: "a quoted field is followed by more than a delimiter",
};

/** The line a csv-parse error points at, and why it stopped, in words that never quote the file. */
const parseProblem = (cause: unknown): { line?: number; reason: string } | undefined => {
  if (typeof cause !== "object" || cause === null || !("code" in cause)) return undefined;
  const code = String(cause.code);
  if (!code.startsWith("CSV_")) return undefined;
  const lines = "lines" in cause && typeof cause.lines === "number" ? cause.lines : undefined;
  return {
    ...(lines === undefined ? {} : { line: lines }),
    reason: PARSE_REASONS[code] ?? "the CSV is malformed",
  };
};

/** A header as a finding quotes it: capped, every character that does not show itself escaped. */
const quoted = (header: string | undefined, index: number): string => {
  const name = (header ?? "").trim();
  if (name === "") return `column ${index + 1}`;
  const shown = name.length > HEADER_QUOTED ? `${name.slice(0, HEADER_QUOTED)}…` : name;
  const safe = shown.replace(/[^\p{L}\p{M}\p{N}\p{P}\p{S} ]|["\\]/gu, (character) =>
    character === '"' || character === "\\"
      ? `\\${character}`
      : `\\u{${character.codePointAt(0)?.toString(16) ?? "?"}}`,
  );
  return `column ${index + 1} ("${safe}")`;
};

const problemMessage = (problem: Problem, threshold: number): string => {
  switch (problem.kind) {
    case "small":
      return `a count of ${problem.value} is under the threshold of ${threshold}`;
    case "zero":
      return "a zero count, which can reveal that no one in a group shares a trait";
    case "negative":
      return `a negative value (${problem.value}) where counts are expected`;
    case "missing":
      return "a missing value where counts are expected: a person must check what it stands for";
  }
};

/** Tallies the rows, then judges each column once every row has been seen. */
class TableTally {
  readonly columns: Column[] = [];
  header: readonly string[] = [];
  rows = 0;

  constructor(private readonly threshold: number) {}

  add(record: readonly string[]): "ok" | "too-wide" {
    if (this.rows === 0 && this.header.length === 0) {
      if (record.length > MAX_COLUMNS) return "too-wide";
      this.header = record;
      return "ok";
    }
    if (record.length > MAX_COLUMNS) return "too-wide";
    this.rows += 1;
    const width = Math.max(record.length, this.header.length);
    for (let index = 0; index < width; index++) {
      if (this.columns[index] === undefined) this.columns[index] = newColumn();
      const column = this.columns[index] as Column;
      // A short row's absent cells are missing values, as an empty cell is.
      const cell = cellOf(record[index] ?? "");
      switch (cell.kind) {
        case "text":
          column.text += 1;
          break;
        case "decimal":
          column.decimals += 1;
          break;
        case "suppressed":
          break;
        case "missing":
          this.note(column, { row: this.rows, kind: "missing" });
          break;
        case "integer": {
          column.integers += 1;
          const value = cell.value;
          if (value < 0) this.note(column, { row: this.rows, kind: "negative", value });
          else if (value === 0) this.note(column, { row: this.rows, kind: "zero", value });
          else if (value < this.threshold) this.note(column, { row: this.rows, kind: "small", value });
        }
      }
    }
    return "ok";
  }

  private note(column: Column, problem: Problem) {
    column.problemCount += 1;
    if (column.problems.length < MAX_FINDINGS) column.problems.push(problem);
  }

  /**
   * Label columns lead a table up to its last column that holds text (or, with no text at all, its
   * first column); numeric columns after them hold counts, or magnitudes when a value is not whole.
   */
  findings(file: string): GateFinding[] {
    const width = this.columns.length;
    let labels = -1;
    for (let index = 0; index < width; index++) if ((this.columns[index]?.text ?? 0) > 0) labels = index;
    if (labels === -1 && width >= 2) labels = 0;
    const cells: { row: number; column: number; message: string }[] = [];
    const columnFindings: GateFinding[] = [];
    let uncounted = 0;
    for (let index = labels + 1; index < width; index++) {
      const column = this.columns[index];
      if (column === undefined || column.integers + column.decimals === 0) continue;
      const magnitudes = column.decimals > 0;
      if (magnitudes) {
        columnFindings.push({
          gate: "disclosure",
          file,
          verdict: "review",
          message:
            "holds magnitudes (values that are not whole numbers): dominance rules (p%, n-k) need the records behind the table and are not evaluated here",
          location: quoted(this.header[index], index),
        });
      }
      const weighed = magnitudes
        ? column.problems.filter((problem) => problem.kind === "missing")
        : column.problems;
      for (const problem of weighed) {
        cells.push({ row: problem.row, column: index, message: problemMessage(problem, this.threshold) });
      }
      // Cells past those a column keeps are counted, not kept.
      if (!magnitudes) uncounted += column.problemCount - weighed.length;
    }
    cells.sort((a, b) => a.row - b.row || a.column - b.column);
    const all = [
      ...columnFindings,
      ...cells.map(
        (cell): GateFinding => ({
          gate: "disclosure",
          file,
          verdict: "review",
          message: cell.message,
          location: `row ${cell.row}, ${quoted(this.header[cell.column], cell.column)}`,
        }),
      ),
    ];
    const more = all.length + uncounted - MAX_FINDINGS;
    if (more <= 0) return all;
    const shown = all.slice(0, MAX_FINDINGS - 1);
    return [
      ...shown,
      {
        gate: "disclosure",
        file,
        verdict: "review",
        message: `and ${all.length + uncounted - shown.length} more cells like these`,
      },
    ];
  }
}

const answerOf = (findings: GateFinding[]): GateAnswer => ({
  verdict: findings.length > 0 ? "review" : "pass",
  findings,
});

const unreadable = (file: string, why: string, line?: number): GateAnswer =>
  answerOf([
    {
      gate: "disclosure",
      file,
      verdict: "review",
      message: `not a table the gate can check: ${why}`,
      ...(line === undefined ? {} : { location: `line ${line}` }),
    },
  ]);

const TABLE_EXTENSIONS = new Set(["csv", "tsv"]);

class TooWide extends Error {}

/** Writes one piece of text into the parser, settling once the parser has taken it in. */
const feed = (parser: Parser, text: string) =>
  new Promise<void>((resolve, reject) => {
    parser.write(text, (error) => (error ? reject(error) : resolve()));
  });

const checkTable = async (
  file: GateFile<DisclosureSettings>,
  chunks: AsyncIterable<Uint8Array>,
): Promise<Result<GateAnswer, GateError>> => {
  const texts = textOf(chunks, file.signal);
  const tally = new TableTally(file.settings.threshold);
  let parser: Parser | undefined;
  try {
    let delimiter: string | undefined;
    for await (const text of texts) {
      if (parser === undefined) {
        if (text === "") continue;
        delimiter ??= extensionOf(file.name) === "tsv" ? "\t" : delimiterOf(text);
        parser = parse({
          delimiter,
          bom: true,
          relax_column_count: true,
          relax_quotes: true,
          skip_empty_lines: true,
          max_record_size: MAX_ROW_BYTES,
          // Each row is tallied as it is parsed and then dropped: the parser keeps no rows, and the
          // work of one piece of text is done before the next one is read.
          on_record: (record: string[]) => {
            if (tally.add(record) === "too-wide") throw new TooWide();
            return null;
          },
        });
        // Nothing is passed on; a parse error settles the write that met it.
        parser.on("error", () => undefined);
        parser.resume();
      }
      await feed(parser, text);
    }
    if (parser === undefined) return ok(answerOf([]));
    const ended = finished(parser);
    parser.end();
    await ended;
    return ok(answerOf(tally.findings(file.name)));
  } catch (cause) {
    if (cause instanceof NotText) return ok(unreadable(file.name, "the content is not UTF-8 text"));
    if (cause instanceof TooWide)
      return ok(unreadable(file.name, `a row has more than ${MAX_COLUMNS} columns`));
    if (cause instanceof Stopped) return err({ kind: "GateFailed", message: "the check was stopped" });
    const problem = parseProblem(cause);
    if (problem !== undefined) return ok(unreadable(file.name, problem.reason, problem.line));
    const reason = cause instanceof Error ? cause.message : String(cause);
    return err({ kind: "Unavailable", message: `reading the file failed: ${reason}` });
  } finally {
    parser?.destroy();
    await texts.return(undefined).catch(() => undefined);
  }
};

/**
 * The `disclosure` gate: statistical disclosure control on CSV (and TSV) tables, as an output
 * checker does by hand. Counts under the workspace's threshold, zeros, negative and missing values
 * ask a person to look, each with its row and column; columns of magnitudes are reported as not
 * evaluable for dominance, never passed. Other files pass untouched. The table streams: memory
 * holds one row and the findings, never the file.
 */
export const createDisclosureGate = (): Gate<DisclosureSettings> => ({
  type: "disclosure",
  check: (file) =>
    new ResultAsync(
      (async (): Promise<Result<GateAnswer, GateError>> => {
        if (!TABLE_EXTENSIONS.has(extensionOf(file.name))) return ok(answerOf([]));
        const opened = await file.open();
        if (opened.isErr()) return err(opened.error);
        return checkTable(file, opened.value);
      })(),
    ),
});
