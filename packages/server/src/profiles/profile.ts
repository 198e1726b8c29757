import type { Airlock, AirlockStorage, Clock, WorkspaceRegistry } from "@airlock/core";
import type { ScanEventsOptions } from "@airlock/http";

/** A server's wiring: the engine, the ports the transport reads, and how links and verdicts reach it. */
export interface Profile {
  readonly name: string;
  readonly airlock: Airlock;
  /** The ports the transport reads, and the storage (for operators' tools and tests). */
  readonly ports: {
    readonly storage: AirlockStorage;
    readonly workspaces: WorkspaceRegistry;
    /** The clock links and tokens are checked against; the system clock when absent. */
    readonly clock?: Clock;
  };
  /** `embedded`: this server answers links; `storage`: links are the storage's own (Azure SAS). */
  readonly blobEndpoint: "embedded" | "storage";
  /** The secret embedded links are signed with, when the profile keeps one (AIRLOCK_LINK_SECRET wins). */
  readonly linkSecret?: Uint8Array;
  /** Set when verdicts arrive asynchronously through `POST /api/events`. */
  readonly scanEvents?: ScanEventsOptions;
  /** What the start banner says about this wiring: which service is real and what stands in for one. */
  readonly banner: readonly string[];
  /** Creates what the backing services need (database, containers) and checks they answer. */
  prepare(): Promise<void>;
  /** Releases clients and timers; the engine's own work is awaited by the caller first. */
  close(): Promise<void>;
}
