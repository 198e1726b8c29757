// The command line as a library: its program (for embedding or documentation) and its API client.
export type { RequestRef, RequestView } from "./client.js";
export { AirlockClient } from "./client.js";
export { EXIT } from "./errors.js";
export { createProgram, run } from "./program.js";
