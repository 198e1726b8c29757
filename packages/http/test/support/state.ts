import { createHash } from "node:crypto";
import type { AirlockRequest, AuditEntry, Stage, Workspace } from "@airlock/core";
import { linkCallAction } from "@airlock/core";
import type { TestServer } from "./server.js";

const STAGES: readonly Stage[] = ["draft", "in_progress", "approved", "rejected", "blocked"];

/**
 * Everything a refused call must leave as it was: every stored request (etag included), the bytes
 * in every stage, the events and notifications sent, the audit entries other than denials (a
 * refusal is itself audited) and calls through a link (each is recorded before storage answers,
 * even when it then finds no file), and the registered workspaces.
 */
export interface StateSnapshot {
  readonly requests: readonly AirlockRequest[];
  /** request id → stage → file name → sha256 of its bytes. */
  readonly storage: Readonly<Record<string, Partial<Record<Stage, Readonly<Record<string, string>>>>>>;
  readonly events: number;
  readonly notifications: number;
  /** stream → its entries that are neither denials nor calls through a link. */
  readonly audit: Readonly<Record<string, readonly AuditEntry[]>>;
  readonly workspaces: readonly Workspace[];
}

const LINK_CALLS: ReadonlySet<string> = new Set(
  (["read", "write", "list", "delete"] as const).map(linkCallAction),
);

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

/** Reads the memory ports once the work that commands started in the background has finished. */
export const snapshotState = async (server: TestServer): Promise<StateSnapshot> => {
  await server.idle();
  const { ports } = server;
  const requests = ports.repository.inspect();
  const workspaces = (await ports.workspaces.list())._unsafeUnwrap();

  const storage: Record<string, Partial<Record<Stage, Record<string, string>>>> = {};
  for (const request of requests) {
    const stages: Partial<Record<Stage, Record<string, string>>> = {};
    for (const stage of STAGES) {
      const files = ports.storage.contents(stage, request.id);
      if (files.size === 0) continue;
      stages[stage] = Object.fromEntries([...files].map(([name, bytes]) => [name, sha256(bytes)]));
    }
    storage[request.id] = stages;
  }

  const streams = [
    ...requests.map((request) => request.id),
    ...workspaces.map((workspace) => `workspace:${workspace.id}`),
  ];
  const audit: Record<string, readonly AuditEntry[]> = {};
  for (const stream of streams) {
    const entries = (await ports.audit.listAll(stream))._unsafeUnwrap();
    audit[stream] = entries.filter((entry) => entry.outcome !== "denied" && !LINK_CALLS.has(entry.action));
  }

  return {
    requests,
    storage,
    events: ports.events.published().length,
    notifications: ports.notifier.sent().length,
    audit,
    workspaces,
  };
};
