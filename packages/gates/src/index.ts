// The public surface of @airlock/gates. Named exports only, so every addition is a decision.

export { type ArchiveGateOptions, createArchiveGate } from "./archive-gate.js";
export { createFileTypeGate, extensionOf } from "./file-type-gate.js";
export { inProcessGates } from "./in-process.js";
