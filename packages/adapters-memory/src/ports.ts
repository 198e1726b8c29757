import type { AirlockPorts, Clock, IdGenerator, Workspace } from "@airlock/core";
import { createMemoryAuditLog, type MemoryAuditLog } from "./audit-log.js";
import { systemClock } from "./clock.js";
import { createMemoryEventPublisher, type MemoryEventPublisher } from "./event-publisher.js";
import { createRandomIds } from "./ids.js";
import { createMemoryScanner, type MemoryScanner } from "./malware-scanner.js";
import { createMemoryNotifier, type MemoryNotifier } from "./notifier.js";
import { createMemoryRequestRepository, type MemoryRequestRepository } from "./request-repository.js";
import { createMemoryStorage, type LinkSigner, type MemoryStorage } from "./storage.js";
import { createMemoryWorkspaceRegistry, type MemoryWorkspaceRegistry } from "./workspace-registry.js";

export interface MemoryPortsOptions<C extends Clock = Clock, I extends IdGenerator = IdGenerator> {
  /** Default: the system clock. Tests pass `createManualClock()` to move time themselves. */
  readonly clock?: C;
  /** Default: random uuids. Tests pass `createSequentialIds()` for predictable ones. */
  readonly ids?: I;
  readonly linkSigner?: LinkSigner;
  readonly workspaces?: readonly Workspace[];
  /**
   * How many of the latest events and notifications the publisher and notifier keep for inspection.
   * Default: every one, as tests want; a long-running server sets a bound, or they grow for ever.
   */
  readonly keepSent?: number;
}

/** Every port in memory, each keeping its inspection and fault-injection methods. */
export interface MemoryPorts<C extends Clock = Clock, I extends IdGenerator = IdGenerator>
  extends AirlockPorts {
  readonly repository: MemoryRequestRepository;
  readonly storage: MemoryStorage;
  readonly scanner: MemoryScanner;
  readonly notifier: MemoryNotifier;
  readonly events: MemoryEventPublisher;
  readonly audit: MemoryAuditLog;
  readonly workspaces: MemoryWorkspaceRegistry;
  readonly clock: C;
  readonly ids: I;
}

/**
 * The whole set of ports for `createAirlock`, in memory. Time and ids are real unless a test passes
 * its own (`createManualClock()`, `createSequentialIds()`); the clock's and ids' types follow.
 */
export const createMemoryPorts = <C extends Clock = Clock, I extends IdGenerator = IdGenerator>(
  options: MemoryPortsOptions<C, I> = {},
): MemoryPorts<C, I> => {
  const storage = createMemoryStorage(options.linkSigner ? { linkSigner: options.linkSigner } : {});
  const sentWindow = options.keepSent === undefined ? {} : { keep: options.keepSent };
  return {
    repository: createMemoryRequestRepository(),
    storage,
    scanner: createMemoryScanner({ storage }),
    notifier: createMemoryNotifier(sentWindow),
    events: createMemoryEventPublisher(sentWindow),
    audit: createMemoryAuditLog(),
    workspaces: createMemoryWorkspaceRegistry(options.workspaces ?? []),
    clock: options.clock ?? (systemClock as C),
    ids: options.ids ?? (createRandomIds() as I),
  };
};
