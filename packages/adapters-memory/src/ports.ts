import type { AirlockPorts, Clock, IdGenerator, Workspace } from "@airlock/core";
import { createMemoryAuditLog, type MemoryAuditLog } from "./audit-log.js";
import { createManualClock, type ManualClock } from "./clock.js";
import { createMemoryEventPublisher, type MemoryEventPublisher } from "./event-publisher.js";
import { createSequentialIds, type SequentialIds } from "./ids.js";
import { createMemoryScanner, type MemoryScanner } from "./malware-scanner.js";
import { createMemoryNotifier, type MemoryNotifier } from "./notifier.js";
import { createMemoryRequestRepository, type MemoryRequestRepository } from "./request-repository.js";
import { createMemoryStorage, type LinkSigner, type MemoryStorage } from "./storage.js";
import { createMemoryWorkspaceRegistry, type MemoryWorkspaceRegistry } from "./workspace-registry.js";

export interface MemoryPortsOptions<C extends Clock = ManualClock, I extends IdGenerator = SequentialIds> {
  /** Default: a manual clock starting at 2026-01-01T00:00:00Z. */
  readonly clock?: C;
  /** Default: sequential uuid-shaped ids. */
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
export interface MemoryPorts<C extends Clock = ManualClock, I extends IdGenerator = SequentialIds>
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

/** The whole set of ports for `createAirlock`, in memory and deterministic by default. */
export function createMemoryPorts(options?: MemoryPortsOptions<ManualClock, SequentialIds>): MemoryPorts;
export function createMemoryPorts<C extends Clock>(
  options: MemoryPortsOptions<C, SequentialIds> & { readonly clock: C },
): MemoryPorts<C, SequentialIds>;
export function createMemoryPorts<I extends IdGenerator>(
  options: MemoryPortsOptions<ManualClock, I> & { readonly ids: I },
): MemoryPorts<ManualClock, I>;
export function createMemoryPorts<C extends Clock, I extends IdGenerator>(
  options: MemoryPortsOptions<C, I> & { readonly clock: C; readonly ids: I },
): MemoryPorts<C, I>;
export function createMemoryPorts(
  options: MemoryPortsOptions<Clock, IdGenerator> = {},
): MemoryPorts<Clock, IdGenerator> {
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
    clock: options.clock ?? createManualClock(),
    ids: options.ids ?? createSequentialIds(),
  } satisfies MemoryPorts<Clock, IdGenerator>;
}
