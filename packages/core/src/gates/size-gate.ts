import { okAsync } from "neverthrow";
import type { GateSettingsOf } from "../model/gates.js";
import type { Gate, GateFinding } from "../ports/gate.js";

/**
 * The `size` gate: a file over `maxFileBytes`, or a request whose active files together are over
 * `maxRequestBytes`, fails. It judges the sizes recorded at submit (checked against the bytes when
 * the files moved), so it never reads a file.
 */
export const createSizeGate = (): Gate<GateSettingsOf<"size">> => ({
  type: "size",
  check: ({ name, size, settings, request }) => {
    const findings: GateFinding[] = [];
    if (settings.maxFileBytes !== undefined && size > settings.maxFileBytes) {
      findings.push({
        gate: "size",
        file: name,
        verdict: "fail",
        message: `is ${size} bytes, over the limit of ${settings.maxFileBytes} bytes per file`,
      });
    }
    if (settings.maxRequestBytes !== undefined && request.bytes > settings.maxRequestBytes) {
      findings.push({
        gate: "size",
        file: name,
        verdict: "fail",
        message: `the request's files are ${request.bytes} bytes together, over the limit of ${settings.maxRequestBytes} bytes per request`,
      });
    }
    return okAsync({ verdict: findings.length > 0 ? "fail" : "pass", findings });
  },
});
