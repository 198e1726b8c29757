import { createMemoryScanner } from "@airlock/adapters-memory";
import type { AirlockStorage, MalwareScanner } from "@airlock/core";
import { createClamdScanner, parseClamdAddress } from "@airlock/gates";
import { err, ok, type Result } from "neverthrow";
import type { Logger } from "pino";

type Env = Readonly<Record<string, string | undefined>>;

/** clamd's own default `StreamMaxLength` (Debian's clamd.conf says 25M). */
export const DEFAULT_CLAMD_STREAM_MAX_BYTES = 25 * 1024 * 1024;

/** Where clamd listens and the largest stream it takes. */
export interface ClamdSettings {
  /** `tcp://host:port` or `unix:/path/to/clamd.sock` */
  readonly url: string;
  readonly streamMaxBytes: number;
}

/**
 * The malware scanner a profile runs: ClamAV when configured; otherwise, outside production, the
 * EICAR-only stand-in; in production, none (a workspace that asks for a scan is then refused).
 */
export type ScannerChoice =
  | { readonly kind: "clamd"; readonly clamd: ClamdSettings }
  | { readonly kind: "stand-in" }
  | { readonly kind: "none" };

export const SCANNER_VARIABLES: Readonly<Record<string, string>> = {
  AIRLOCK_CLAMD_URL:
    "the ClamAV daemon that scans every file: tcp://host:port or unix:/path/to/clamd.sock; unset: the EICAR-only stand-in outside production, no scanner in production (workspaces that ask for a scan are refused)",
  AIRLOCK_CLAMD_STREAM_MAX_BYTES: `clamd's StreamMaxLength in bytes: a larger file is blocked as not scannable without being sent (default ${DEFAULT_CLAMD_STREAM_MAX_BYTES}, clamd's default)`,
};

/** The scanner the environment asks for, or one line per problem, each naming its variable. */
export const scannerChoiceFromEnv = (env: Env): Result<ScannerChoice, string[]> => {
  const problems: string[] = [];
  const url = env.AIRLOCK_CLAMD_URL?.trim() || undefined;
  const maxText = env.AIRLOCK_CLAMD_STREAM_MAX_BYTES?.trim() || undefined;
  if (url !== undefined) {
    parseClamdAddress(url).mapErr((problem) => problems.push(`AIRLOCK_CLAMD_URL: ${problem}`));
  }
  if (maxText !== undefined && !/^[1-9]\d{0,15}$/.test(maxText)) {
    problems.push(`AIRLOCK_CLAMD_STREAM_MAX_BYTES: must be a whole number of bytes, not "${maxText}"`);
  }
  if (maxText !== undefined && url === undefined) {
    problems.push("AIRLOCK_CLAMD_STREAM_MAX_BYTES: goes with AIRLOCK_CLAMD_URL, which is not set");
  }
  if (problems.length > 0) return err(problems);
  if (url !== undefined) {
    return ok({
      kind: "clamd",
      clamd: {
        url,
        streamMaxBytes: maxText === undefined ? DEFAULT_CLAMD_STREAM_MAX_BYTES : Number(maxText),
      },
    });
  }
  return ok(env.NODE_ENV === "production" ? { kind: "none" } : { kind: "stand-in" });
};

export interface ChosenScanner {
  readonly scanner?: MalwareScanner;
  /** The start banner's line about it. */
  readonly banner: string;
  /** Asks the scanner whether it answers (ClamAV's version), for the log at start. */
  readonly check?: () => Promise<Result<string, { readonly message: string }>>;
}

/** The scanner chosen, over the profile's storage. */
export const scannerOf = (choice: ScannerChoice, storage: AirlockStorage): ChosenScanner => {
  switch (choice.kind) {
    case "clamd": {
      const scanner = createClamdScanner({
        storage,
        address: choice.clamd.url,
        streamMaxBytes: choice.clamd.streamMaxBytes,
      });
      return {
        scanner,
        check: async () => scanner.version(),
        banner: `Malware scan     ClamAV at ${scanner.address} (files over ${choice.clamd.streamMaxBytes} bytes are blocked unscanned)`,
      };
    }
    case "stand-in":
      return {
        scanner: createMemoryScanner({ storage }),
        banner:
          "Malware scan     the built-in test-signature matcher (finds the EICAR test file only; set AIRLOCK_CLAMD_URL for ClamAV)",
      };
    case "none":
      return {
        banner:
          "Malware scan     none (NODE_ENV=production without AIRLOCK_CLAMD_URL): workspaces whose policy asks for a scan are refused",
      };
  }
};

/**
 * Logs whether the scanner answers. A scanner that does not answer yet does not stop the start:
 * scans wait for it (the engine asks again) and nothing passes unscanned meanwhile.
 */
export const logScannerCheck = async (chosen: ChosenScanner, logger: Logger): Promise<void> => {
  if (chosen.check === undefined) return;
  const answered = await chosen.check();
  answered.match(
    (version) => logger.info({ scanner: version }, "the malware scanner answers"),
    (problem) =>
      logger.warn(
        { scanner: problem.message },
        "the malware scanner does not answer yet; scans wait for it and nothing passes unscanned",
      ),
  );
};
