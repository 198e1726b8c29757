import { createHash } from "node:crypto";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { createMemoryPorts, createMemoryScanner } from "@airlock/adapters-memory";
import {
  type Actor,
  type AirlockRequest,
  createAirlock,
  type Stage,
  statusMeta,
  type Workspace,
  WorkspaceSchema,
} from "@airlock/core";
import type { Result } from "neverthrow";
import {
  createFileStorage,
  createSqliteRequestRepository,
  createSqliteWorkspaceRegistry,
  DATABASE_FILE,
  FILES_DIR,
  openAirlockDatabase,
} from "../src/index.js";

export const WORKSPACE_ID = "ws1";

export const people = {
  rita: { id: "rita", name: "Rita Researcher", email: "rita@example.org", roles: ["WorkspaceResearcher"] },
  mo: { id: "mo", name: "Mo Manager", email: "mo@example.org", roles: ["AirlockManager"] },
} satisfies Record<string, Actor>;

const workspace: Workspace = WorkspaceSchema.parse({
  id: WORKSPACE_ID,
  displayName: "Backup workspace",
  clientId: WORKSPACE_ID,
  policy: { maxFiles: 5, maxOpenDrafts: 1000, maxFileSize: 1024 * 1024 },
  members: Object.values(people).map(({ id, name, email, roles }) => ({ id, name, email, roles })),
});

export const unwrap = async <T, E>(result: PromiseLike<Result<T, E>>): Promise<T> => {
  const settled = await result;
  if (settled.isErr()) throw new Error(`expected ok, got ${JSON.stringify(settled.error)}`);
  return settled.value;
};

export async function* chunks(text: string): AsyncIterable<Uint8Array> {
  yield new TextEncoder().encode(text);
}

export const sha256Of = (text: string) => createHash("sha256").update(text).digest("hex");

/**
 * The engine on a local data directory, as the local profile lays it out: the database and the
 * file storage on disk, the other ports in memory. Processing is run by the caller, one request at
 * a time, so a test decides when files move.
 */
export const localAirlock = async (dataDir: string) => {
  await mkdir(dataDir, { recursive: true });
  const db = openAirlockDatabase(join(dataDir, DATABASE_FILE));
  const storage = createFileStorage({ root: join(dataDir, FILES_DIR) });
  const workspaces = createSqliteWorkspaceRegistry(db);
  await unwrap(workspaces.put(workspace));
  const ports = {
    ...createMemoryPorts(),
    repository: createSqliteRequestRepository(db),
    workspaces,
    storage,
    scanner: createMemoryScanner({ storage }),
  };
  const airlock = createAirlock(ports, { processing: "manual" });

  const create = async (title = "Cohort table") =>
    (
      await unwrap(
        airlock.create(people.rita, WORKSPACE_ID, {
          type: "import",
          title,
          businessJustification: "Analysis",
        }),
      )
    ).airlockRequest;
  const upload = (id: string, name: string, text: string) => unwrap(airlock.upload(id, name, chunks(text)));
  const submit = async (id: string) => {
    await unwrap(airlock.submit(people.rita, WORKSPACE_ID, id));
    return unwrap(airlock.processor.process(id));
  };
  const review = async (id: string, approval: boolean) => {
    await unwrap(airlock.review(people.mo, WORKSPACE_ID, id, { approval, decisionExplanation: "checked" }));
    return unwrap(airlock.processor.process(id));
  };
  const cancel = async (id: string) => {
    await unwrap(airlock.cancel(people.rita, WORKSPACE_ID, id));
    return unwrap(airlock.processor.process(id));
  };

  /** Every request, oldest first. */
  const requests = async (): Promise<AirlockRequest[]> => {
    const all: AirlockRequest[] = [];
    let continuation: string | undefined;
    do {
      const page = await unwrap(
        ports.repository.list({
          pageSize: 100,
          orderBy: "createdWhen",
          ascending: true,
          ...(continuation === undefined ? {} : { continuation }),
        }),
      );
      all.push(...page.items);
      continuation = page.continuation ?? undefined;
    } while (continuation !== undefined);
    return all;
  };

  /** The stage a request's data rests in when it keeps data; null when none is kept. */
  const restingStage = (request: AirlockRequest): Stage | null =>
    statusMeta(request.status).stage === null ? null : request.dataStage;

  return { db, ports, storage, airlock, create, upload, submit, review, cancel, requests, restingStage };
};

export type LocalAirlock = Awaited<ReturnType<typeof localAirlock>>;
