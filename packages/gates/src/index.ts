// The public surface of @airlock/gates. Named exports only, so every addition is a decision.

export { type ArchiveGateOptions, createArchiveGate } from "./archive-gate.js";
export { type ClamdAddress, formatClamdAddress, parseClamdAddress } from "./clamd/clamd-address.js";
export {
  type ClamdScanner,
  type ClamdScannerOptions,
  createClamdScanner,
  TOO_LARGE_DETAIL,
} from "./clamd/clamd-scanner.js";
export { createDisclosureGate, MAX_COLUMNS, MAX_ROW_BYTES } from "./disclosure-gate.js";
export { createFileTypeGate } from "./file-type-gate.js";
export { inProcessGates } from "./in-process.js";
