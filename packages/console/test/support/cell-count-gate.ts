import type { Gate, GateFinding } from "@airlock/core";
import { okAsync, ResultAsync } from "neverthrow";
import { parseCsv } from "../../src/preview/csv.js";

/**
 * A stand-in for the disclosure gate in the browser tests: in a CSV, each whole-number cell under
 * the policy's threshold is a finding at "row R, column C" (counted from 1) asking a person to look.
 */
export const cellCountGate: Gate<{ type: "disclosure"; threshold: number }> = {
  type: "disclosure",
  check: (file) => {
    if (!file.name.endsWith(".csv")) return okAsync({ verdict: "pass", findings: [] });
    return file.open().andThen((chunks) =>
      ResultAsync.fromSafePromise(
        (async () => {
          const parts: Uint8Array[] = [];
          for await (const chunk of chunks) parts.push(chunk);
          const rows = parseCsv(Buffer.concat(parts).toString("utf8"));
          const findings: GateFinding[] = rows.flatMap((cells, row) =>
            cells.flatMap((cell, column) =>
              /^\d+$/.test(cell) && Number(cell) < file.settings.threshold
                ? [
                    {
                      gate: "disclosure" as const,
                      file: file.name,
                      verdict: "review" as const,
                      message: `a count under ${file.settings.threshold}`,
                      location: `row ${row + 1}, column ${column + 1}`,
                    },
                  ]
                : [],
            ),
          );
          return { verdict: findings.length > 0 ? ("review" as const) : ("pass" as const), findings };
        })(),
      ),
    );
  },
};
