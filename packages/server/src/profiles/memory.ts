import { createMemoryPorts, type MemoryPorts } from "@airlock/adapters-memory";
import { createAirlock, type Workspace } from "@airlock/core";
import { inProcessGates } from "@airlock/gates";
import type { Logger } from "pino";
import type { Profile } from "./profile.js";
import { logScannerCheck, type ScannerChoice, scannerOf } from "./scanner-settings.js";

export interface MemoryProfileOptions {
  readonly logger: Logger;
  /** Registered at start, so there is something to try straight away. */
  readonly workspaces?: readonly Workspace[];
  /** ClamAV when configured; otherwise (and by default) the EICAR-only stand-in. */
  readonly scanner?: ScannerChoice;
}

/** Events and notifications the memory profile keeps for inspection; older ones are let go. */
export const EMBEDDED_KEEP_SENT = 1_000;

/** The memory profile, whose ports can also be inspected (what was sent, stored, audited). */
export interface MemoryProfile extends Profile {
  readonly ports: Profile["ports"] & Pick<MemoryPorts, "events" | "notifier">;
}

/**
 * The memory profile: every port in memory, links served by this server, ClamAV when configured or
 * else the memory scanner (it finds the EICAR test signature). What it holds is gone when the
 * process stops.
 */
export const createMemoryProfile = (options: MemoryProfileOptions): MemoryProfile => {
  // The memory ports' own defaults: the system clock and random ids.
  const ports = createMemoryPorts({
    workspaces: options.workspaces ?? [],
    keepSent: EMBEDDED_KEEP_SENT,
  });
  const malware = scannerOf(
    options.scanner?.kind === "clamd" ? options.scanner : { kind: "stand-in" },
    ports.storage,
  );
  // The gates a workspace policy may list run in process, over the files in memory.
  const airlock = createAirlock(
    { ...ports, scanner: malware.scanner ?? ports.scanner, gates: inProcessGates() },
    {
      processing: "inline",
      onBackgroundError: (error) =>
        options.logger.warn({ background: error }, "background step failed; the processor retries it"),
    },
  );
  return {
    name: "memory",
    airlock,
    ports,
    blobEndpoint: "embedded",
    banner: [
      "Storage          in memory (nothing survives a restart); links served by this server",
      malware.banner,
    ],
    prepare: () => logScannerCheck(malware, options.logger),
    close: async () => {},
  };
};
