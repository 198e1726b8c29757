import type { ResultAsync } from "neverthrow";
import type { Finding, GateSettings, GateType, GateVerdict } from "../model/gates.js";
import type { Unavailable } from "./errors.js";

/**
 * A gate could not judge the file. `Unavailable`: a backing service it needs is down, or reading
 * the file broke (storage, a daemon); the engine tries again until its processing deadline.
 * `GateFailed`: the check itself broke (a parser error, content it cannot handle); the engine fails
 * the request at once.
 */
export type GateError = Unavailable | { readonly kind: "GateFailed"; readonly message: string };

/** What a gate found, before the engine adds the turn. */
export type GateFinding = Omit<Finding, "turn">;

export interface GateAnswer {
  readonly verdict: GateVerdict;
  readonly findings: readonly GateFinding[];
}

/** The request a file belongs to, as far as a gate weighs it (the size gate's per-request limit). */
export interface GateRequestFacts {
  readonly files: number;
  readonly bytes: number;
}

export interface GateFile<S extends GateSettings = GateSettings> {
  readonly name: string;
  readonly size: number;
  /**
   * Opens the file's bytes. A gate opens it at most once per check (a format that needs random
   * access reads it once into a temporary copy) and may stop reading early.
   */
  readonly open: () => ResultAsync<AsyncIterable<Uint8Array>, GateError>;
  /** The workspace's settings for this gate. */
  readonly settings: S;
  readonly request: GateRequestFacts;
  /** Aborted when the engine stops waiting (the gate's time limit): stop reading and answer. */
  readonly signal: AbortSignal;
}

/**
 * One security gate: judges one file and answers `pass`, `review` (a person must look) or `fail`,
 * with findings that name the gate and the file and never carry the file's contents.
 *
 * - The same bytes and settings always get the same answer.
 * - Errors are answered as `GateError`, never thrown; the engine fails the request closed on one
 *   (after retries, for `Unavailable`).
 */
export interface Gate<S extends GateSettings = GateSettings> {
  readonly type: GateType;
  check(file: GateFile<S>): ResultAsync<GateAnswer, GateError>;
}

/** The gates a server runs in process, by type; a policy naming a type not here fails closed. */
export type GateSet = Partial<{ readonly [T in GateType]: Gate<Extract<GateSettings, { type: T }>> }>;
