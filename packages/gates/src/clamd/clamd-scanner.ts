import {
  type AirlockStorage,
  type ContainerRef,
  type MalwareScanner,
  type ScannerError,
  type ScanOutcome,
  type Stage,
  type Unavailable,
  unavailable,
} from "@airlock/core";
import { err, ok, type Result, ResultAsync } from "neverthrow";
import { type ClamdAddress, formatClamdAddress, parseClamdAddress } from "./clamd-address.js";
import { type ExchangeFailure, type ExchangeTimeouts, exchange } from "./clamd-exchange.js";

export interface ClamdScannerOptions {
  /** The storage whose files are scanned (it is only listed and read). */
  readonly storage: Pick<AirlockStorage, "listFiles" | "openRead">;
  /** Where clamd listens: `tcp://host:port`, `unix:/path/to/clamd.sock`, or the address parsed. */
  readonly address: ClamdAddress | string;
  /**
   * clamd's `StreamMaxLength`, when known: a larger file is answered as not scannable at once,
   * without sending it. Unset, clamd itself refuses it part way (answered the same, but a refusal
   * that races the upload can reach the scanner as a dropped connection: `Unavailable`).
   */
  readonly streamMaxBytes?: number;
  /** How long reaching clamd may take. Default 5 s. */
  readonly connectTimeoutMs?: number;
  /**
   * How long clamd may stay silent: not taking bytes, or not answering once the file was sent (it
   * scans then). Default 150 s, above clamd's own `MaxScanTime` default (120 s).
   */
  readonly idleTimeoutMs?: number;
}

export interface ClamdScanner extends MalwareScanner {
  /** Where clamd is asked, as written in the settings. */
  readonly address: string;
  /** clamd's version line (`ClamAV 1.4.3/…`): it answers, and says which engine and database run. */
  version(): ResultAsync<string, Unavailable>;
}

/** What clamd answered for one stream, in the airlock's terms. */
type StreamVerdict =
  | { readonly kind: "clean" }
  | { readonly kind: "found"; readonly signature: string }
  | { readonly kind: "too-large" }
  | { readonly kind: "error"; readonly reply: string };

const FOUND = /^stream: (.+) FOUND$/;

/** Reads clamd's reply to `zINSTREAM`. */
export const streamVerdictOf = (reply: string): StreamVerdict => {
  if (reply === "stream: OK") return { kind: "clean" };
  const found = FOUND.exec(reply);
  if (found?.[1] !== undefined) return { kind: "found", signature: found[1] };
  if (/size limit exceeded/i.test(reply)) return { kind: "too-large" };
  return { kind: "error", reply: reply.slice(0, 200) };
};

/**
 * A file bigger than clamd's `StreamMaxLength` is never scanned: it is answered as a threat, so the
 * request is blocked with this reason rather than let through unscanned or retried in vain.
 */
export const TOO_LARGE_DETAIL =
  "not scanned: the file is larger than the malware scanner accepts (clamd's StreamMaxLength), and an unscanned file is not let through";

const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;
const DEFAULT_IDLE_TIMEOUT_MS = 150_000;

const toUnavailable = (failure: ExchangeFailure, what: string): Unavailable =>
  unavailable(`${what}: ${failure.message}`, failure);

/**
 * A `MalwareScanner` that sends each file of the container to clamd over its `INSTREAM` protocol
 * (TCP or a unix socket), one connection per file, streamed from the storage with backpressure, and
 * stops at the first threat.
 *
 * - `stream: OK` for every file: `clean`.
 * - `stream: <signature> FOUND`: `threat` naming the file and the signature.
 * - A file over clamd's `StreamMaxLength`: `threat` with `TOO_LARGE_DETAIL` (never clean).
 * - clamd unreachable, silent, closing without an answer, or answering another error:
 *   `Unavailable`; the engine asks again until its scan deadline, then fails the request.
 */
export const createClamdScanner = (options: ClamdScannerOptions): ClamdScanner => {
  const address =
    typeof options.address === "string"
      ? parseClamdAddress(options.address).match(
          (parsed) => parsed,
          (problem) => {
            throw new Error(`the clamd address is not valid: ${problem}`);
          },
        )
      : options.address;
  const timeouts: ExchangeTimeouts = {
    connectTimeoutMs: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    idleTimeoutMs: options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS,
  };
  const { storage } = options;

  const scanFile = async (
    ref: ContainerRef,
    stage: Stage,
    name: string,
  ): Promise<Result<StreamVerdict, ScannerError>> => {
    const content = await storage.openRead(ref, stage, name);
    if (content.isErr()) {
      return err(unavailable(`cannot read ${name} to scan it: ${content.error.message}`, content.error));
    }
    const reply = await exchange(address, "zINSTREAM", content.value, timeouts);
    if (reply.isErr()) return err(toUnavailable(reply.error, `clamd could not scan ${name}`));
    const verdict = streamVerdictOf(reply.value.text);
    // clamd answers early only to refuse; an early `OK` did not see the whole file.
    if (verdict.kind === "clean" && !reply.value.afterWholeBody) {
      return err(unavailable(`clamd could not scan ${name}: it answered OK before the whole file was sent`));
    }
    return ok(verdict);
  };

  const scan = async (ref: ContainerRef, stage: Stage): Promise<Result<ScanOutcome, ScannerError>> => {
    const files = await storage.listFiles(ref, stage);
    if (files.isErr()) {
      return err(unavailable(`cannot list the files to scan: ${files.error.message}`, files.error));
    }
    for (const file of files.value) {
      if (options.streamMaxBytes !== undefined && file.size > options.streamMaxBytes) {
        return ok({ verdict: "threat", file: file.name, detail: TOO_LARGE_DETAIL });
      }
      const verdict = await scanFile(ref, stage, file.name);
      if (verdict.isErr()) return err(verdict.error);
      switch (verdict.value.kind) {
        case "clean":
          continue;
        case "found":
          return ok({ verdict: "threat", file: file.name, detail: verdict.value.signature });
        case "too-large":
          return ok({ verdict: "threat", file: file.name, detail: TOO_LARGE_DETAIL });
        case "error":
          return err(unavailable(`clamd could not scan ${file.name}: it answered "${verdict.value.reply}"`));
      }
    }
    return ok({ verdict: "clean" });
  };

  const version = async (): Promise<Result<string, Unavailable>> => {
    const reply = await exchange(address, "zVERSION", null, timeouts);
    return reply.isErr()
      ? err(toUnavailable(reply.error, "clamd did not tell its version"))
      : ok(reply.value.text);
  };

  return {
    address: formatClamdAddress(address),
    scan: (ref, stage) => new ResultAsync(scan(ref, stage)),
    version: () => new ResultAsync(version()),
  };
};
