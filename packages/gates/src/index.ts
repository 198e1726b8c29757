// The public surface of @airlock/gates. Named exports only, so every addition is a decision.

export { createDisclosureGate, MAX_COLUMNS, MAX_ROW_BYTES } from "./disclosure-gate.js";
export { createFileTypeGate, extensionOf } from "./file-type-gate.js";
export { inProcessGates } from "./in-process.js";
