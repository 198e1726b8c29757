import type {
  AuditEntry,
  AuditLog,
  AuditLogError,
  AuditPage,
  AuditPageRequest,
  AuditRecord,
  AuditSealing,
  AuditStreamPageRequest,
} from "@airlock/core";
import {
  checkpointEntry,
  GENESIS_HASH,
  hashAuditEntry,
  MAX_AUDIT_PAGE,
  unavailable,
  unhashedAuditEntry,
  verifyAuditStream,
} from "@airlock/core";
import type { Container } from "@azure/cosmos";
import { err, ok, type Result, ResultAsync } from "neverthrow";
import { type CosmosConnection, lazyContainer } from "./cosmos-connection.js";
import { classifyAzureError, toAuditLogError } from "./errors.js";

export type CosmosAuditLogOptions = CosmosConnection & {
  readonly databaseId: string;
  /** Default `audit`. */
  readonly containerId?: string;
  /** How many times an append retries after another append took its `seq`. Default 100. */
  readonly maxAttempts?: number;
  /** The chain key, checkpoint signing key and checkpoint store (kept outside this database). */
  readonly sealing: AuditSealing;
};

type StoredEntry = AuditEntry & { readonly id: string };

/** Claims a record's key in its stream; created in one batch with the entry, so a key lands once. */
type KeyClaim = { readonly id: string; readonly stream: string; readonly kind: "key"; readonly key: string };

/** Twelve digits keep ids sortable as text; a stream will not see 10^12 entries. */
const SEQ_DIGITS = 12;

/** Cosmos refuses `/ \ ? #` in ids; streams are ids of ours, but a stream name must never break a write. */
const escapeId = (text: string) =>
  text.replace(/[/\\?#%]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, "0")}`);

const documentId = (stream: string, seq: number) =>
  `${escapeId(stream)}:${seq.toString().padStart(SEQ_DIGITS, "0")}`;

const keyClaimId = (stream: string, key: string) => `${escapeId(stream)}:key:${escapeId(key)}`;

const toEntry = (stored: StoredEntry): AuditEntry => ({
  ...unhashedAuditEntry(stored, stored.seq, stored.prevHash),
  hash: stored.hash,
});

const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * `AuditLog` on Cosmos DB, partitioned by `/stream`. The document id is `{stream}:{seq}`, so two
 * appends that read the same last entry both try to create the same id: Cosmos lets one in and
 * answers 409 to the other, which reads the new last entry and tries again. The chain therefore
 * never forks, and nothing is ever replaced.
 */
/** An audit log that can also be asked to create its container up front. */
export interface CosmosAuditLog extends AuditLog {
  /** Creates the database and container when missing; every other method calls it first. */
  ensure(): ResultAsync<void, AuditLogError>;
}

export const createCosmosAuditLog = (options: CosmosAuditLogOptions): CosmosAuditLog => {
  const container = lazyContainer(options, options.databaseId, {
    id: options.containerId ?? "audit",
    partitionKey: { paths: ["/stream"] },
  });
  const maxAttempts = options.maxAttempts ?? 100;

  const run = <T>(what: string, body: (c: Container) => Promise<Result<T, AuditLogError>>) =>
    new ResultAsync(
      container()
        .then(body)
        .catch((error: unknown) => err<T, AuditLogError>(toAuditLogError(error, what))),
    );

  const lastEntry = async (c: Container, stream: string): Promise<StoredEntry | undefined> => {
    const { resources } = await c.items
      .query<StoredEntry>({
        query:
          "SELECT TOP 1 * FROM c WHERE c.stream = @stream AND NOT IS_DEFINED(c.kind) ORDER BY c.seq DESC",
        parameters: [{ name: "@stream", value: stream }],
      })
      .fetchAll();
    return resources[0];
  };

  /** One page by keyset on `seq`; one entry more than the page tells whether another follows. */
  const page = async (c: Container, stream: string, request: AuditPageRequest): Promise<AuditPage> => {
    const limit = Math.max(1, Math.min(Math.floor(request.limit), MAX_AUDIT_PAGE));
    const { resources } = await c.items
      .query<StoredEntry>(
        {
          query:
            "SELECT TOP @top * FROM c WHERE c.stream = @stream AND c.seq >= @from AND NOT IS_DEFINED(c.kind) ORDER BY c.seq ASC",
          parameters: [
            { name: "@top", value: limit + 1 },
            { name: "@stream", value: stream },
            { name: "@from", value: request.fromSeq },
          ],
        },
        { partitionKey: stream },
      )
      .fetchAll();
    const entries = resources.slice(0, limit).map(toEntry);
    return { entries, nextSeq: resources.length > limit ? (entries.at(-1) as AuditEntry).seq + 1 : null };
  };

  /** Streams by their first entry (seq 0), in name order across partitions. */
  const streamPage = async (c: Container, request: AuditStreamPageRequest) => {
    const limit = Math.max(1, Math.min(Math.floor(request.limit), MAX_AUDIT_PAGE));
    const { resources } = await c.items
      .query<string>({
        query:
          "SELECT TOP @top VALUE c.stream FROM c WHERE c.seq = 0 AND NOT IS_DEFINED(c.kind) AND c.stream > @after ORDER BY c.stream ASC",
        parameters: [
          { name: "@top", value: limit + 1 },
          { name: "@after", value: request.after ?? "" },
        ],
      })
      .fetchAll();
    const streams = resources.slice(0, limit);
    return { streams, next: resources.length > limit ? (streams.at(-1) ?? null) : null };
  };

  const entryWithKey = async (
    c: Container,
    stream: string,
    key: string,
  ): Promise<StoredEntry | undefined> => {
    const { resources } = await c.items
      .query<StoredEntry>({
        query: "SELECT * FROM c WHERE c.stream = @stream AND c.key = @key AND NOT IS_DEFINED(c.kind)",
        parameters: [
          { name: "@stream", value: stream },
          { name: "@key", value: key },
        ],
      })
      .fetchAll();
    return resources[0];
  };

  /** Creates the entry and its key claim together; answers which of the two was already taken. */
  const createClaimed = async (
    c: Container,
    entry: AuditEntry,
    key: string,
  ): Promise<"created" | "key" | "seq"> => {
    const claim: KeyClaim = { id: keyClaimId(entry.stream, key), stream: entry.stream, kind: "key", key };
    const response = await c.items.batch(
      [
        { operationType: "Create", resourceBody: { ...entry, id: documentId(entry.stream, entry.seq) } },
        { operationType: "Create", resourceBody: claim },
      ],
      entry.stream,
    );
    const [entryResult, claimResult] = response.result ?? [];
    if (entryResult?.statusCode === 201 && claimResult?.statusCode === 201) return "created";
    if (claimResult?.statusCode === 409) return "key";
    if (entryResult?.statusCode === 409) return "seq";
    throw new Error(`audit batch answered ${entryResult?.statusCode} and ${claimResult?.statusCode}`);
  };

  /** The entry once its signed checkpoint is stored: an append answers only then. */
  const checkpointed = async (entry: AuditEntry): Promise<Result<AuditEntry, AuditLogError>> =>
    (await checkpointEntry(options.sealing, entry)).map(() => entry);

  const listPage = (stream: string, request: AuditPageRequest) =>
    run(`list audit stream ${stream}`, async (c) => ok(await page(c, stream, request)));

  const log = {
    append: (record: AuditRecord) =>
      run(`append to audit stream ${record.stream}`, async (c) => {
        const key = record.key ?? null;
        for (let attempt = 0; attempt < maxAttempts; attempt++) {
          if (key !== null) {
            const existing = await entryWithKey(c, record.stream, key);
            if (existing) return checkpointed(toEntry(existing));
          }
          const last = await lastEntry(c, record.stream);
          const unhashed =
            last === undefined
              ? unhashedAuditEntry(record, 0, GENESIS_HASH)
              : unhashedAuditEntry(record, last.seq + 1, last.hash);
          const entry: AuditEntry = {
            ...unhashed,
            hash: await hashAuditEntry(unhashed, options.sealing.keys.chainKey),
          };
          if (key !== null) {
            const outcome = await createClaimed(c, entry, key);
            if (outcome === "created") return checkpointed(entry);
            // "key": a racing append of the same record won; the loop answers its entry.
            await pause(Math.random() * Math.min(50, 2 ** attempt));
            continue;
          }
          try {
            await c.items.create<StoredEntry>({ ...entry, id: documentId(entry.stream, entry.seq) });
            return checkpointed(entry);
          } catch (error) {
            if (classifyAzureError(error) !== "Conflict") throw error;
            // Another append took this seq. Jittered backoff so racing writers spread out.
            await pause(Math.random() * Math.min(50, 2 ** attempt));
          }
        }
        return err(
          unavailable(`audit stream ${record.stream}: gave up after ${maxAttempts} contended appends`),
        );
      }),

    has: (stream: string, key: string) =>
      run(`look up key ${key} in audit stream ${stream}`, async (c) =>
        ok((await entryWithKey(c, stream, key)) !== undefined),
      ),

    list: listPage,

    streams: (request: AuditStreamPageRequest) =>
      run("list audit streams", async (c) => ok(await streamPage(c, request))),

    verify: (stream: string) => verifyAuditStream(options.sealing, listPage, stream),

    ensure: (): ResultAsync<void, AuditLogError> => run("ensure audit container", async () => ok(undefined)),
  } satisfies CosmosAuditLog;

  return log;
};
