import { createSizeGate, type GateSet } from "@airlock/core";
import { createArchiveGate } from "./archive-gate.js";
import { createDisclosureGate } from "./disclosure-gate.js";
import { createFileTypeGate } from "./file-type-gate.js";

/** Every gate this package runs in process, ready for `AirlockPorts.gates`. */
export const inProcessGates = (): GateSet => ({
  size: createSizeGate(),
  "file-type": createFileTypeGate(),
  disclosure: createDisclosureGate(),
  archive: createArchiveGate(),
});
