import {
  type AuditCheckpoint,
  AuditCheckpointSchema,
  type AuditCheckpoints,
  type AuditCheckpointsError,
  type AuditStreamPage,
  MAX_AUDIT_PAGE,
  unavailable,
} from "@airlock/core";
import { BlobServiceClient, type ContainerClient } from "@azure/storage-blob";
import { err, ok, type Result, ResultAsync } from "neverthrow";
import type { BlobCredential } from "./blob-storage.js";
import { classifyAzureError, describe } from "./errors.js";

export interface BlobAuditCheckpointsOptions {
  /**
   * The container checkpoints are appended to. Keep it away from the audit store's writers: another
   * storage account, with a time-based immutability policy that allows protected append writes, so
   * blobs can be appended to but neither rewritten nor deleted.
   */
  readonly container: ContainerClient;
  /** Checkpoints per append blob before the next one starts (an append blob takes 50,000 blocks). Default 10,000. */
  readonly segmentSize?: number;
  /** How much of a segment's end `latest` reads. Default 16 KiB (about 60 checkpoints). */
  readonly tailBytes?: number;
}

export interface BlobAuditCheckpoints extends AuditCheckpoints {
  /** Creates the container when missing. */
  ensure(): ResultAsync<void, AuditCheckpointsError>;
}

/** Hex of the UTF-8 name: any stream name makes a valid blob name, and name order is kept. */
const folderOf = (stream: string) => Buffer.from(stream, "utf8").toString("hex");
const streamOf = (folder: string) => Buffer.from(folder.replace(/\/$/, ""), "hex").toString("utf8");

const SEGMENT_DIGITS = 8;
const segmentName = (stream: string, segment: number) =>
  `${folderOf(stream)}/${segment.toString().padStart(SEGMENT_DIGITS, "0")}.jsonl`;

/** The checkpoints in a piece of a segment; a first line cut by the range start is skipped. */
const checkpointsIn = (text: string, cutAtStart: boolean): AuditCheckpoint[] => {
  const lines = text.split("\n");
  if (cutAtStart) lines.shift();
  return lines.flatMap((line) => {
    if (line.trim() === "") return [];
    try {
      const parsed = AuditCheckpointSchema.safeParse(JSON.parse(line));
      return parsed.success ? [parsed.data] : [];
    } catch {
      return [];
    }
  });
};

const readText = async (body: NodeJS.ReadableStream | undefined): Promise<string> => {
  if (body === undefined) return "";
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks).toString("utf8");
};

/**
 * `AuditCheckpoints` on Blob Storage: one line of JSON per checkpoint, appended to append blobs
 * `{hex of stream}/{segment}.jsonl`, a segment per `segmentSize` seqs. Appends are never rewritten,
 * so a checkpoint arriving late is only a line further down: `latest` takes the highest seq among
 * the last lines of the stream's last segment.
 */
export const createBlobAuditCheckpoints = (options: BlobAuditCheckpointsOptions): BlobAuditCheckpoints => {
  const { container } = options;
  const segmentSize = options.segmentSize ?? 10_000;
  const tailBytes = options.tailBytes ?? 16 * 1024;

  const run = <T>(what: string, body: () => Promise<Result<T, AuditCheckpointsError>>) =>
    new ResultAsync(
      body().catch((error: unknown) =>
        err<T, AuditCheckpointsError>(unavailable(describe(what, error), error)),
      ),
    );

  const segmentsOf = async (stream: string) => {
    const segments: { name: string; size: number }[] = [];
    for await (const blob of container.listBlobsFlat({ prefix: `${folderOf(stream)}/` })) {
      segments.push({ name: blob.name, size: blob.properties.contentLength ?? 0 });
    }
    return segments.sort((a, b) => (a.name < b.name ? -1 : 1));
  };

  const highestIn = async (segment: { name: string; size: number }): Promise<AuditCheckpoint | null> => {
    if (segment.size === 0) return null;
    const offset = Math.max(0, segment.size - tailBytes);
    const download = await container.getBlobClient(segment.name).download(offset, segment.size - offset);
    const checkpoints = checkpointsIn(await readText(download.readableStreamBody), offset > 0);
    return checkpoints.reduce<AuditCheckpoint | null>(
      (highest, checkpoint) => (highest === null || checkpoint.seq > highest.seq ? checkpoint : highest),
      null,
    );
  };

  return {
    put: (checkpoint) =>
      run(`store checkpoint ${checkpoint.seq} of audit stream ${checkpoint.stream}`, async () => {
        const blob = container.getAppendBlobClient(
          segmentName(checkpoint.stream, Math.floor(checkpoint.seq / segmentSize)),
        );
        const line = `${JSON.stringify(checkpoint)}\n`;
        try {
          await blob.appendBlock(line, Buffer.byteLength(line));
        } catch (error) {
          if (classifyAzureError(error) !== "NotFound") throw error;
          await blob.createIfNotExists();
          await blob.appendBlock(line, Buffer.byteLength(line));
        }
        return ok(undefined);
      }),

    latest: (stream) =>
      run(`read the latest checkpoint of audit stream ${stream}`, async () => {
        const segments = await segmentsOf(stream);
        // The last segment may have been created by an append that then failed: look further back.
        for (const segment of segments.reverse()) {
          const highest = await highestIn(segment);
          if (highest !== null) return ok(highest);
        }
        return ok(null);
      }),

    streams: (page) =>
      run("list audit checkpoint streams", async () => {
        const limit = Math.max(1, Math.min(Math.floor(page.limit), MAX_AUDIT_PAGE));
        const pages = container
          .listBlobsByHierarchy("/")
          .byPage({ maxPageSize: limit, ...(page.after === null ? {} : { continuationToken: page.after }) });
        const { value } = await pages.next();
        const prefixes = value?.segment.blobPrefixes ?? [];
        const answer: AuditStreamPage = {
          streams: prefixes.map((prefix: { name: string }) => streamOf(prefix.name)),
          next: value?.continuationToken ? value.continuationToken : null,
        };
        return ok(answer);
      }),

    ensure: () =>
      run("create the audit checkpoint container", async () => {
        await container.createIfNotExists();
        return ok(undefined);
      }),
  };
};

/** The checkpoint container `name` of the account at `blobEndpoint`. */
export const auditCheckpointContainer = (
  blobEndpoint: string,
  credential: BlobCredential,
  name: string,
): ContainerClient => new BlobServiceClient(blobEndpoint, credential).getContainerClient(name);
