import { createHash, randomBytes, randomUUID } from "node:crypto";
import { Readable } from "node:stream";
import type {
  AirlockStorage,
  ByteRange,
  ContainerRef,
  FileRecord,
  LinkAccess,
  Stage,
  StorageError,
  StorageLink,
  StoredFile,
} from "@airlock/core";
import { invalidInput, notFound, tooLarge, unavailable } from "@airlock/core";
import { isTokenCredential, type TokenCredential } from "@azure/core-auth";
import {
  type BlobClient,
  type BlobItem,
  BlobSASPermissions,
  type BlobSASSignatureValues,
  BlobServiceClient,
  type BlockBlobClient,
  type ContainerClient,
  ContainerSASPermissions,
  generateBlobSASQueryParameters,
  SASProtocol,
  StorageSharedKeyCredential,
} from "@azure/storage-blob";
import { err, ok, type Result, ResultAsync } from "neverthrow";
import { type Logger, pino } from "pino";
import { classifyAzureError, errorCodeOf, toStorageError } from "./errors.js";
import {
  isValidAccountName,
  isValidContainerName,
  type StorageAccount,
  type StorageAccountResolver,
} from "./storage-accounts.js";

/** An account key (SAS signed with the key) or an Entra ID credential (user-delegation SAS). */
export type BlobCredential = StorageSharedKeyCredential | TokenCredential;

const MIB = 1024 * 1024;
/** Upstream starts links 15 minutes in the past so clocks that run behind still accept them. */
const SAS_START_SKEW_MS = 15 * 60 * 1000;
/** Copy Blob From URL (synchronous) accepts sources up to 256 MiB. */
const SYNC_COPY_LIMIT = 256 * MIB;
/** A block blob holds at most 50,000 blocks. */
const MAX_BLOCKS = 50_000;
const SHA256_KEY = "sha256";
const SHA256_HEX = /^[0-9a-f]{64}$/;

/** Settings shared by both layouts. */
export interface BlobStorageCommonOptions {
  /** Which account holds a request's data in a stage. */
  readonly accounts: StorageAccountResolver;
  /** Sources up to this size are copied synchronously, larger ones by an asynchronous copy. Default 256 MiB. */
  readonly syncCopyMaxBytes?: number;
  /** How often an asynchronous copy is polled. Default 2 s. */
  readonly copyPollIntervalMs?: number;
  /**
   * Stages whose `sha256` metadata `describe` trusts. Default: every stage but `draft`, because
   * draft links grant write and a writer can replace bytes (and metadata) behind our back; in the
   * other stages only this adapter writes, and `move` stores the hash it verified.
   */
  readonly trustHashMetadataIn?: readonly Stage[];
  /** Blocks staged in parallel per upload. Default 4. */
  readonly uploadConcurrency?: number;
  /** Smallest block staged per upload; grown for large limits to stay under 50,000 blocks. Default 4 MiB. */
  readonly blockSize?: number;
  readonly logger?: Logger;
  /** Milliseconds since the epoch; default `Date.now`. */
  readonly now?: () => number;
}

/** Every stage account is a real storage account (production). Containers are named by request id. */
export interface AccountsLayoutOptions extends BlobStorageCommonOptions {
  readonly layout?: "accounts";
  /** One credential for all accounts (managed identity), or one per account (account keys). */
  readonly credential: BlobCredential | ((account: StorageAccount) => BlobCredential);
}

/**
 * Every stage "account" is a container-name prefix in one real account: the container is
 * `{accountName}-{requestId}`. Made for Azurite, which serves a single account, and for small
 * deployments; the stages then share one network boundary, so it is not upstream's isolation.
 */
export interface PrefixLayoutOptions extends BlobStorageCommonOptions {
  readonly layout: "single-account-prefixes";
  readonly account: StorageAccount;
  readonly credential: BlobCredential;
}

export type BlobStorageOptions = AccountsLayoutOptions | PrefixLayoutOptions;

interface Location {
  readonly account: StorageAccount;
  readonly credential: BlobCredential;
  readonly containerName: string;
}

interface SourceBlob {
  readonly name: string;
  readonly size: number;
  readonly etag: string | undefined;
  readonly metadata: Readonly<Record<string, string>>;
}

const PERMISSION_FLAGS: Readonly<
  Record<LinkAccess, readonly ("read" | "write" | "create" | "list" | "delete")[]>
> = {
  read: ["read"],
  write: ["write", "create"],
  list: ["list"],
  delete: ["delete"],
};

/**
 * A missing blob or container, or a container Azure is still deleting (it answers 409
 * ContainerBeingDeleted for a while after a delete): for reading, listing and deleting, all gone.
 */
const isGone = (error: unknown) =>
  classifyAzureError(error) === "NotFound" || errorCodeOf(error) === "ContainerBeingDeleted";

const sha256Of = (metadata: Readonly<Record<string, string>> | undefined): string | undefined => {
  const value = metadata?.[SHA256_KEY];
  return value !== undefined && SHA256_HEX.test(value) ? value : undefined;
};

const byName = <T extends { readonly name: string }>(a: T, b: T) =>
  a.name < b.name ? -1 : a.name > b.name ? 1 : 0;

/** Sequential block ids of equal length, unique per upload so concurrent uploads of one name never mix. */
const blockId = (prefix: string, index: number) =>
  Buffer.from(`${prefix}-${index.toString().padStart(6, "0")}`).toString("base64");

/**
 * The content of one staged block as a stream that fails unless it holds exactly `size` bytes: the
 * request then ends in error instead of waiting for bytes that never come, or sending a part.
 */
const exactly = (content: AsyncIterable<Uint8Array>, size: number, what: string): Readable =>
  Readable.from(
    (async function* () {
      let seen = 0;
      for await (const chunk of content) {
        seen += chunk.byteLength;
        if (seen > size) throw new Error(`${what} holds more than the ${size} bytes declared`);
        yield chunk;
      }
      if (seen !== size) throw new Error(`${what} holds ${seen} bytes, not the ${size} declared`);
    })(),
    { objectMode: false },
  );

/**
 * `AirlockStorage` on Azure Blob storage: one container per request and stage, in the account
 * the stage maps to. Clients are created on first use; building the adapter does no I/O.
 */
export const createBlobStorage = (options: BlobStorageOptions): AirlockStorage => {
  const logger = options.logger ?? pino({ enabled: false });
  const now = options.now ?? Date.now;
  const syncCopyMaxBytes = options.syncCopyMaxBytes ?? SYNC_COPY_LIMIT;
  const pollIntervalMs = options.copyPollIntervalMs ?? 2000;
  const trusted = new Set<Stage>(
    options.trustHashMetadataIn ?? ["in_progress", "approved", "rejected", "blocked"],
  );
  const uploadConcurrency = Math.max(1, options.uploadConcurrency ?? 4);
  const minBlockSize = options.blockSize ?? 4 * MIB;
  const services = new Map<string, BlobServiceClient>();
  const singleTryServices = new Map<string, BlobServiceClient>();

  const locate = (ref: ContainerRef, stage: Stage): Result<Location, StorageError> => {
    const logical = options.accounts(ref.type, stage, ref.workspaceId);
    if (!isValidAccountName(logical.accountName)) {
      return err(invalidInput(`"${logical.accountName}" is not a valid storage account name`));
    }
    const location: Location =
      options.layout === "single-account-prefixes"
        ? {
            account: options.account,
            credential: options.credential,
            containerName: `${logical.accountName}-${ref.requestId}`,
          }
        : {
            account: logical,
            credential:
              typeof options.credential === "function" ? options.credential(logical) : options.credential,
            containerName: ref.requestId,
          };
    return isValidContainerName(location.containerName)
      ? ok(location)
      : err(invalidInput(`"${location.containerName}" is not a valid container name`));
  };

  const serviceFor = (location: Location): BlobServiceClient => {
    let service = services.get(location.account.blobEndpoint);
    if (service === undefined) {
      service = new BlobServiceClient(location.account.blobEndpoint, location.credential);
      services.set(location.account.blobEndpoint, service);
    }
    return service;
  };

  const containerFor = (location: Location): ContainerClient =>
    serviceFor(location).getContainerClient(location.containerName);

  /**
   * A container client that sends each request once: a body streamed from a caller cannot be sent
   * again, so a retry could only fail later (the caller, a Blob client itself, retries instead).
   */
  const singleTryContainerFor = (location: Location): ContainerClient => {
    let service = singleTryServices.get(location.account.blobEndpoint);
    if (service === undefined) {
      service = new BlobServiceClient(location.account.blobEndpoint, location.credential, {
        retryOptions: { maxTries: 1 },
      });
      singleTryServices.set(location.account.blobEndpoint, service);
    }
    return service.getContainerClient(location.containerName);
  };

  /** Runs one storage operation: expected failures come back as `err`, SDK throws are mapped. */
  const attempt = <T>(
    ref: ContainerRef,
    stage: Stage,
    what: string,
    run: (location: Location) => Promise<Result<T, StorageError>>,
  ): ResultAsync<T, StorageError> =>
    new ResultAsync(
      (async (): Promise<Result<T, StorageError>> => {
        const location = locate(ref, stage);
        if (location.isErr()) return err(location.error);
        try {
          return await run(location.value);
        } catch (error) {
          return err(toStorageError(error, `${what} ${location.value.containerName}`));
        }
      })(),
    );

  const sign = async (
    location: Location,
    values: Omit<BlobSASSignatureValues, "startsOn" | "protocol" | "expiresOn"> & {
      readonly expiresOn: Date;
    },
  ): Promise<string> => {
    const signed: BlobSASSignatureValues = {
      ...values,
      startsOn: new Date(now() - SAS_START_SKEW_MS),
      protocol: location.account.blobEndpoint.startsWith("https:")
        ? SASProtocol.Https
        : SASProtocol.HttpsAndHttp,
    };
    const { credential } = location;
    if (credential instanceof StorageSharedKeyCredential) {
      return generateBlobSASQueryParameters(signed, credential).toString();
    }
    if (!isTokenCredential(credential))
      throw new Error("blob credential is neither an account key nor a token");
    // Azure caps a delegation key at 7 days; the signed start/expiry must fall inside it.
    const key = await serviceFor(location).getUserDelegationKey(signed.startsOn as Date, values.expiresOn);
    return generateBlobSASQueryParameters(signed, key, location.account.accountName).toString();
  };

  /** Lists a container's blobs; a missing container has none. */
  const listBlobs = async (container: ContainerClient): Promise<SourceBlob[]> => {
    const blobs: SourceBlob[] = [];
    try {
      for await (const item of container.listBlobsFlat({
        includeMetadata: true,
      }) as AsyncIterable<BlobItem>) {
        blobs.push({
          name: item.name,
          size: item.properties.contentLength ?? 0,
          etag: item.properties.etag,
          metadata: item.metadata ?? {},
        });
      }
    } catch (error) {
      if (isGone(error)) return [];
      throw error;
    }
    return blobs.sort(byName);
  };

  const deleteContainerIfExists = async (container: ContainerClient) => {
    try {
      await container.deleteIfExists();
    } catch (error) {
      if (!isGone(error)) throw error;
    }
  };

  /** Hashes a blob from its bytes, as the service returns them now, chunk by chunk as they stream in. */
  const hashBlob = async (blob: BlobClient): Promise<{ readonly size: number; readonly sha256: string }> => {
    const download = await blob.download(0, undefined, { maxRetryRequests: 3 });
    const body = download.readableStreamBody;
    const hash = createHash("sha256");
    let size = 0;
    if (body !== undefined) {
      for await (const chunk of body as AsyncIterable<Uint8Array>) {
        hash.update(chunk);
        size += chunk.byteLength;
      }
    }
    // A whole pass over the bytes: worth seeing when a move or describe takes long.
    logger.debug({ container: blob.containerName, blob: blob.name, size }, "hashed a blob from its bytes");
    return { size, sha256: hash.digest("hex") };
  };

  const describeBlobs = async (
    container: ContainerClient,
    blobs: readonly SourceBlob[],
    trustMetadata: boolean,
  ): Promise<FileRecord[]> => {
    const records: FileRecord[] = [];
    for (const blob of blobs) {
      const cached = trustMetadata ? sha256Of(blob.metadata) : undefined;
      if (cached !== undefined) {
        records.push({ name: blob.name, size: blob.size, sha256: cached });
      } else {
        const { size, sha256 } = await hashBlob(container.getBlobClient(blob.name));
        records.push({ name: blob.name, size, sha256 });
      }
    }
    return records;
  };

  /**
   * A prefix unique to one upload for its block ids. Azure refuses block ids of different lengths
   * on one blob, so when a client left blocks uncommitted under the name (the commit drops them),
   * the ids take their length.
   */
  const blockIdPrefix = async (blob: BlockBlobClient): Promise<string> => {
    const [staged] = (await uncommittedBlocks(blob)).keys();
    const idBytes = staged === undefined ? 0 : Buffer.from(staged, "base64").length;
    // An id is the prefix, "-" and six digits.
    const prefixLength = idBytes - 7;
    return prefixLength < 1 ? randomUUID() : randomBytes(prefixLength).toString("hex").slice(0, prefixLength);
  };

  /**
   * Stages the stream as blocks and commits them with the sha256 in the metadata. Until the
   * commit nothing is visible under the name, so an oversized or failing stream leaves no file,
   * and an earlier file of that name stays as it was: there is nothing to delete. (Deleting the
   * name after a failure would remove a concurrent upload's file.) Staged blocks that are never
   * committed are discarded by the service.
   */
  const putBlob = async (
    blob: BlockBlobClient,
    content: AsyncIterable<Uint8Array>,
    maxBytes: number,
  ): Promise<Result<StoredFile, StorageError>> => {
    const blockSize = Math.max(minBlockSize, Math.ceil(maxBytes / MAX_BLOCKS));
    const prefix = await blockIdPrefix(blob);
    const hash = createHash("sha256");
    const blockIds: string[] = [];
    const inFlight = new Set<Promise<void>>();
    let failure: { readonly error: unknown } | undefined;
    let pending: Uint8Array[] = [];
    let pendingBytes = 0;
    let size = 0;

    const stage = async () => {
      const body = Buffer.concat(pending, pendingBytes);
      pending = [];
      pendingBytes = 0;
      const id = blockId(prefix, blockIds.length);
      blockIds.push(id);
      const staged: Promise<void> = blob.stageBlock(id, body, body.length).then(
        () => {
          inFlight.delete(staged);
        },
        (error: unknown) => {
          inFlight.delete(staged);
          failure ??= { error };
        },
      );
      inFlight.add(staged);
      while (inFlight.size >= uploadConcurrency) await Promise.race(inFlight);
    };

    const fail = async (error: StorageError): Promise<Result<StoredFile, StorageError>> => {
      await Promise.all(inFlight);
      return err(error);
    };

    try {
      for await (const chunk of content) {
        size += chunk.byteLength;
        if (size > maxBytes) {
          // Leaving the loop calls the iterator's return(): the producer is told to stop.
          return await fail(tooLarge(`"${blob.name}" is larger than ${maxBytes} bytes`, maxBytes));
        }
        hash.update(chunk);
        pending.push(chunk);
        pendingBytes += chunk.byteLength;
        if (pendingBytes >= blockSize) await stage();
        if (failure !== undefined) return await fail(toStorageError(failure.error, `upload ${blob.name}`));
      }
    } catch (error) {
      return await fail(unavailable(`upload ${blob.name}: the content stream failed`, error));
    }
    if (pendingBytes > 0) await stage();
    await Promise.all(inFlight);
    if (failure !== undefined) return await fail(toStorageError(failure.error, `upload ${blob.name}`));
    const sha256 = hash.digest("hex");
    await blob.commitBlockList(blockIds, {
      metadata: { [SHA256_KEY]: sha256 },
      blobHTTPHeaders: { blobContentType: "application/octet-stream" },
    });
    return ok({ name: blob.name, size });
  };

  /** Copies one blob server-side, pinned to the version we listed. */
  const copyBlob = async (from: Location, to: ContainerClient, source: SourceBlob) => {
    const sourceUrl = containerFor(from).getBlobClient(source.name).url;
    const large = source.size > syncCopyMaxBytes;
    const sas = await sign(from, {
      containerName: from.containerName,
      blobName: source.name,
      permissions: BlobSASPermissions.parse("r"),
      // Long enough for a slow asynchronous copy between accounts; the link is never shown to anyone.
      expiresOn: new Date(now() + (large ? 24 * 60 : 60) * 60 * 1000),
    });
    const copySource = `${sourceUrl}?${sas}`;
    const target = to.getBlobClient(source.name);
    const copyOptions = {
      metadata: { ...source.metadata },
      ...(source.etag === undefined ? {} : { sourceConditions: { ifMatch: source.etag } }),
    };
    if (!large) {
      await target.syncCopyFromURL(copySource, copyOptions);
      return;
    }
    const poller = await target.beginCopyFromURL(copySource, {
      ...copyOptions,
      intervalInMs: pollIntervalMs,
    });
    const done = await poller.pollUntilDone();
    if (done.copyStatus !== "success") {
      throw new Error(`asynchronous copy of ${source.name} ended ${done.copyStatus ?? "without a status"}`);
    }
  };

  const matchesReference = (
    found: readonly FileRecord[],
    reference: ReadonlyMap<string, { readonly size?: number; readonly sha256: string }>,
    exactSet: boolean,
  ): boolean => {
    if (exactSet && found.length !== reference.size) return false;
    return found.every((file) => {
      const want = reference.get(file.name);
      return (
        want !== undefined &&
        want.sha256 === file.sha256 &&
        (want.size === undefined || want.size === file.size)
      );
    });
  };

  /** The blob's uncommitted blocks by id, with their sizes; none when there is no such blob or block. */
  const uncommittedBlocks = async (blob: BlockBlobClient): Promise<Map<string, number>> => {
    try {
      const list = await blob.getBlockList("uncommitted");
      return new Map((list.uncommittedBlocks ?? []).map((block) => [block.name, block.size]));
    } catch (error) {
      if (isGone(error)) return new Map();
      throw error;
    }
  };

  const storage = {
    provision: (ref, stage) =>
      attempt(ref, stage, "provision", async (location) => {
        await containerFor(location).createIfNotExists();
        return ok(undefined);
      }),

    link: (ref, stage, access, expiresAt) =>
      attempt(ref, stage, "link", async (location) => {
        if (access.length === 0) return err(invalidInput("a link needs at least one access right"));
        if (Number.isNaN(expiresAt.getTime())) return err(invalidInput("a link needs a valid expiry"));
        const flags = Object.fromEntries(
          access.flatMap((right) => PERMISSION_FLAGS[right]).map((f) => [f, true]),
        );
        const sas = await sign(location, {
          containerName: location.containerName,
          permissions: ContainerSASPermissions.from(flags),
          expiresOn: expiresAt,
        });
        return ok<StorageLink>({ containerUrl: `${containerFor(location).url}?${sas}`, expiresAt });
      }),

    upload: (ref, stage, name, content, { maxBytes }) =>
      attempt(ref, stage, "upload", (location) =>
        putBlob(containerFor(location).getBlockBlobClient(name), content, maxBytes),
      ),

    listFiles: (ref, stage) =>
      attempt(ref, stage, "list", async (location) => {
        const blobs = await listBlobs(containerFor(location));
        return ok(blobs.map(({ name, size }): StoredFile => ({ name, size })));
      }),

    describe: (ref, stage) =>
      attempt(ref, stage, "describe", async (location) => {
        const container = containerFor(location);
        return ok(await describeBlobs(container, await listBlobs(container), trusted.has(stage)));
      }),

    move: (ref, from, to, expected) =>
      attempt(ref, from, "move", async (source) => {
        const destination = locate(ref, to);
        if (destination.isErr()) return err(destination.error);
        const sourceContainer = containerFor(source);
        const targetContainer = containerFor(destination.value);
        const sources = await listBlobs(sourceContainer);
        if (sources.length === 0) {
          // Nothing left to copy: either a retried move whose source is already deleted, or an
          // empty request. The destination holds the answer; its bytes are hashed afresh.
          return ok(await describeBlobs(targetContainer, await listBlobs(targetContainer), false));
        }
        await targetContainer.createIfNotExists();
        for (const blob of sources) await copyBlob(source, targetContainer, blob);

        // Azurite copies by reference and a real copy may still be wrong: hash what landed.
        const found = await describeBlobs(targetContainer, await listBlobs(targetContainer), false);
        for (const record of found) {
          const carried = sources.find((blob) => blob.name === record.name)?.metadata;
          if (carried !== undefined && sha256Of(carried) !== record.sha256) {
            // The carried hash was not the bytes' (draft metadata is writable through a link):
            // store the verified one so later stages may trust it.
            await targetContainer
              .getBlobClient(record.name)
              .setMetadata({ ...carried, [SHA256_KEY]: record.sha256 });
          }
        }

        let verified: boolean;
        if (expected !== undefined) {
          verified = matchesReference(found, new Map(expected.map((file) => [file.name, file])), true);
        } else {
          // No recorded hashes: the copy must equal the source. The hash the source carried (pinned
          // to the listed version with the bytes it came with) settles it when the copy's bytes
          // hash to it: a wrong copy could only match by being exactly the bytes someone claimed
          // before it was made. Only a source whose carried hash does not match is read again.
          const reference = new Map<string, { readonly size: number; readonly sha256: string }>();
          for (const blob of sources) {
            const carried = sha256Of(blob.metadata);
            const copied = found.find((file) => file.name === blob.name);
            reference.set(
              blob.name,
              carried !== undefined && (trusted.has(from) || copied?.sha256 === carried)
                ? { size: blob.size, sha256: carried }
                : await hashBlob(sourceContainer.getBlobClient(blob.name)),
            );
          }
          const copied = found.filter((file) => reference.has(file.name));
          verified = copied.length === sources.length && matchesReference(copied, reference, true);
        }

        if (verified) {
          // Upstream deletes the previous stage's container once its data has moved on.
          await deleteContainerIfExists(sourceContainer);
        } else {
          logger.warn(
            { container: source.containerName, from, to, files: found.length },
            "moved files do not match: source kept",
          );
        }
        return ok(found);
      }),

    openRead: (ref, stage, name, range?: ByteRange) =>
      attempt(ref, stage, "read", async (location) => {
        let download: Awaited<ReturnType<BlobClient["download"]>>;
        const blob = containerFor(location).getBlobClient(name);
        try {
          if (range?.count === 0) {
            // Azure reads a count of 0 as "to the end"; nothing is asked for, but the file must exist.
            await blob.getProperties();
            return ok((async function* () {})());
          }
          download = await blob.download(range?.offset ?? 0, range?.count, { maxRetryRequests: 3 });
        } catch (error) {
          if (isGone(error)) return err(notFound(`file ${name} not found in ${location.containerName}`));
          throw error;
        }
        const body = download.readableStreamBody;
        if (body === undefined) return err(unavailable(`read ${name}: the service returned no body`));
        return ok(body as AsyncIterable<Uint8Array>);
      }).orElse((error) =>
        // A range starting past the end is an empty part of the file, as the other storages answer.
        error.kind === "Unavailable" && errorCodeOf(error.cause) === "InvalidRange"
          ? ok((async function* () {})() as AsyncIterable<Uint8Array>)
          : err(error),
      ),

    properties: (ref, stage, name) =>
      attempt(ref, stage, "properties", async (location) => {
        try {
          const found = await containerFor(location).getBlobClient(name).getProperties();
          return ok({
            name,
            size: found.contentLength ?? 0,
            etag: found.etag ?? "",
            lastModified: found.lastModified ?? new Date(0),
          });
        } catch (error) {
          if (isGone(error)) return err(notFound(`file ${name} not found in ${location.containerName}`));
          throw error;
        }
      }),

    stageBlock: (ref, stage, name, blockId, content, { size, maxStagedBytes }) =>
      attempt(ref, stage, "stage a block of", async (location) => {
        const container = containerFor(location);
        if (!(await container.exists())) {
          return err(notFound(`container ${location.containerName} is not provisioned`));
        }
        const blob = container.getBlockBlobClient(name);
        const others = [...(await uncommittedBlocks(blob))]
          .filter(([id]) => id !== blockId)
          .reduce((total, [, blockSize]) => total + blockSize, 0);
        if (size > maxStagedBytes - others) {
          return err(
            tooLarge(
              `the uncommitted blocks of ${name} would hold more than ${maxStagedBytes} bytes`,
              maxStagedBytes,
            ),
          );
        }
        try {
          await singleTryContainerFor(location)
            .getBlockBlobClient(name)
            .stageBlock(blockId, exactly(content, size, `block of ${name}`), size);
        } catch (error) {
          return err(unavailable(`stage a block of ${name}: the block did not arrive whole`, error));
        }
        return ok(undefined);
      }),

    commitBlocks: (ref, stage, name, blockIds, { maxBytes }) =>
      attempt(ref, stage, "commit the blocks of", async (location) => {
        const blob = containerFor(location).getBlockBlobClient(name);
        // Only blocks staged since the last commit count: the other storages keep no committed blocks.
        const staged = await uncommittedBlocks(blob);
        let size = 0;
        for (const id of blockIds) {
          const blockSize = staged.get(id);
          if (blockSize === undefined) return err(invalidInput(`block ${id} of ${name} is not staged`));
          size += blockSize;
        }
        if (size > maxBytes) return err(tooLarge(`${name} would be larger than ${maxBytes} bytes`, maxBytes));
        await blob.commitBlockList([...blockIds], {
          blobHTTPHeaders: { blobContentType: "application/octet-stream" },
        });
        return ok({ name, size } satisfies StoredFile);
      }),

    deleteFile: (ref, stage, name) =>
      attempt(ref, stage, "delete", async (location) => {
        const blob = containerFor(location).getBlockBlobClient(name);
        try {
          // Blocks staged for a name never committed belong to no blob a delete could reach: an
          // empty commit makes one, and deleting it drops them.
          if ((await uncommittedBlocks(blob)).size > 0) await blob.commitBlockList([]);
          await blob.deleteIfExists({ deleteSnapshots: "include" });
        } catch (error) {
          // deleteIfExists only forgives BlobNotFound; a missing container means the file is gone too.
          if (!isGone(error)) throw error;
        }
        return ok(undefined);
      }),

    deleteContainer: (ref, stage) =>
      attempt(ref, stage, "delete container", async (location) => {
        await deleteContainerIfExists(containerFor(location));
        return ok(undefined);
      }),
  } satisfies AirlockStorage;

  return storage;
};
