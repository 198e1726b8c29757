import {
  AuditEntrySchema,
  AuditTrailQuerySchema,
  CommentInputSchema,
  CommentSchema,
  WorkspaceRegistrationSchema as CoreWorkspaceRegistrationSchema,
  type FileChange,
  FileContextInputSchema,
  FileNameInput,
  ListQuerySchema,
  NewRequestInputSchema,
  PublicRequestSchema,
  ReturnInputSchema,
  ReviewInputSchema,
  RevokeInputSchema,
  StageSchema,
  UserActionSchema,
  UserListQuerySchema,
  VoteInputSchema,
  WorkspaceMemberSchema,
  WorkspacePolicySchema,
  WorkspaceRoleSchema,
  WorkspaceSchema,
} from "@airlock/core";
import { z } from "zod";

/**
 * Names for the OpenAPI document's components. A registry of our own rather than zod's global
 * one, so building several servers (or loading this module twice) never registers an id twice.
 */
export const openApiRegistry = z.registry<{ id?: string | undefined; [key: string]: unknown }>();

/**
 * The document without the component schemas no operation reaches. Every registered schema is
 * written twice, as an input and as an output; most are only ever one of them.
 */
export const withoutUnusedSchemas = <D extends object>(document: D): D => {
  const { components, ...rest } = document as {
    readonly components?: { readonly schemas?: Record<string, unknown> };
  };
  const schemas = components?.schemas;
  if (schemas === undefined) return document;
  const refsIn = (value: unknown): string[] =>
    [...JSON.stringify(value).matchAll(/"#\/components\/schemas\/([^"]+)"/g)].map((match) => match[1] ?? "");
  const used = new Set<string>();
  const pending = refsIn(rest);
  for (let name = pending.pop(); name !== undefined; name = pending.pop()) {
    if (used.has(name)) continue;
    used.add(name);
    pending.push(...refsIn(schemas[name]));
  }
  return {
    ...document,
    components: {
      ...components,
      schemas: Object.fromEntries(Object.entries(schemas).filter(([name]) => used.has(name))),
    },
  };
};

const named = <S extends z.ZodType>(schema: S, id: string, description?: string): S => {
  openApiRegistry.add(schema, description === undefined ? { id } : { id, description });
  return schema;
};

/**
 * A copy of `schema` that the document describes. zod's own `.describe()` writes to its global
 * registry, which the document (built from ours) does not read.
 */
const described = <S extends z.ZodType>(
  schema: S,
  meta: { readonly description: string; format?: string },
): S => {
  const copy = schema.clone() as S;
  openApiRegistry.add(copy, { ...meta });
  return copy;
};

/**
 * Schemas the transport shows in the OpenAPI document but does not enforce: the service checks
 * these inputs itself (with these same schemas, core's), after the role and the request, so the
 * order of checks stays the documented one.
 */
const documentedOnly = new WeakSet<object>();
export const documented = <S extends z.ZodType>(schema: S): S => {
  documentedOnly.add(schema);
  return schema;
};
export const isDocumentedOnly = (schema: unknown): boolean =>
  typeof schema === "object" && schema !== null && documentedOnly.has(schema);

export const ProblemSchema = named(
  z.object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    code: z.string(),
    instance: z.string().optional(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  }),
  "Problem",
  "RFC 9457 problem details; `code` is the stable error kind.",
);

const problemContent = (description: string) => ({
  description,
  content: { "application/problem+json": { schema: ProblemSchema } },
});

export const problemResponses = {
  "4xx": problemContent("The request cannot be done: `code` says why"),
  "5xx": problemContent("A backing service is unavailable (503), or the server failed (500)"),
} as const;

/**
 * A request as the API shows it (core's public schema): the engine's own bookkeeping (the audit
 * outbox, the write counter, scan progress) stays inside, as the serializer leaves out every key a
 * schema does not name.
 */
const RequestSchema = named(PublicRequestSchema, "AirlockRequest");

export const RequestViewSchema = named(
  z.object({
    airlockRequest: RequestSchema,
    allowedUserActions: z.array(UserActionSchema),
  }),
  "RequestView",
);

export const RequestListSchema = named(
  z.object({
    airlockRequests: z.array(RequestViewSchema),
    continuation: z.string().nullable(),
  }),
  "RequestList",
);

export const LinkSchema = named(
  z.object({
    containerUrl: described(z.string(), {
      description:
        "An absolute container URL carrying its signed token, used like an Azure container SAS URL.",
    }),
  }),
  "ContainerLink",
);

export const AuditTrailSchema = named(
  z.object({
    entries: z.array(AuditEntrySchema),
    continuation: described(z.string().nullable(), {
      description: "Pass as `continuation` to read the next page; null on the last page.",
    }),
  }),
  "AuditTrailPage",
);

export const AuditVerificationSchema = named(
  z.object({
    ok: z.boolean(),
    entries: described(z.number().int().optional(), { description: "Entries verified (when ok)." }),
    checkpointSeq: described(z.number().int().nullable().optional(), {
      description:
        "The seq of the signed checkpoint the trail was checked against; null when it has none (when ok).",
    }),
    firstTampered: described(z.number().int().optional(), {
      description: "The first seq that is missing or does not verify (when not ok).",
    }),
    reason: described(
      z
        .enum([
          "sequence gap",
          "broken link",
          "content changed",
          "truncated",
          "checkpoint mismatch",
          "checkpoint forged",
        ])
        .optional(),
      { description: "Why the trail does not verify (when not ok)." },
    ),
  }),
  "AuditVerification",
);

export const AuditTrailQuery = documented(AuditTrailQuerySchema);

export const WorkspaceParams = z.object({ ws: z.string() });
export const RequestParams = z.object({ ws: z.string(), id: z.string() });

/**
 * A file of a request, named in the path as the link routes name one: percent-decoded, one path
 * segment, normalised to NFC and held to the file name rules (422 `InvalidInput` on `name`
 * otherwise). The name says nothing about any request, so it is checked before the engine is asked.
 */
export const RequestFileParams = RequestParams.extend({
  name: described(FileNameInput, { description: "The file name, percent-encoded" }),
});

export const NewRequestBody = documented(named(NewRequestInputSchema, "NewRequest"));
export const ReviewBody = documented(named(ReviewInputSchema, "ReviewDecision"));
export const RevokeBody = documented(named(RevokeInputSchema, "Revocation"));
export const VoteBody = documented(named(VoteInputSchema, "FileVote"));
export const ReturnBody = documented(named(ReturnInputSchema, "ReturnForChanges"));
export const CommentBody = documented(named(CommentInputSchema, "NewComment"));
export const FileContextBody = documented(named(FileContextInputSchema, "FileContextChange"));

export const CommentViewSchema = named(CommentSchema, "Comment");
export const CommentListSchema = named(
  z.object({
    comments: described(z.array(CommentViewSchema), {
      description: "The comments the caller may read, oldest first",
    }),
  }),
  "CommentList",
);

/** Every change core's `FileChange` names: a change added there fails to compile here until listed. */
const FILE_CHANGES: { readonly [C in FileChange]: C } = {
  added: "added",
  changed: "changed",
  unchanged: "unchanged",
  withdrawn: "withdrawn",
};
export const TurnChangesSchema = named(
  z.object({
    turn: described(z.number().int().nonnegative(), { description: "The turn the files belong to" }),
    files: z.array(z.object({ file: z.string(), change: z.enum(FILE_CHANGES) })),
  }),
  "TurnChanges",
  "Each file recorded at the last submit against the files of the returned turn before it",
);

/**
 * The list's query as the document shows it: core's schema, except that `order_ascending` is text
 * in a query string, where core also takes the boolean a program passes.
 */
export const ListRequestsQuery = documented(
  ListQuerySchema.extend({ order_ascending: z.enum(["true", "false"]).optional() }),
);

/**
 * The review queue's query as a query string carries it: `airlock_manager` is the text "true" or
 * "false" where the service takes `airlockManager`, a boolean. Enforced here (the route converts
 * it), while the paging fields are core's own.
 */
export const UserRequestsQuery = UserListQuerySchema.omit({ airlockManager: true }).extend({
  airlock_manager: z.enum(["true", "false"]).optional(),
});

/** Registering a workspace (TRE admins); the policy's missing fields take core's defaults. */
export const WorkspaceRegistrationSchema = named(CoreWorkspaceRegistrationSchema, "WorkspaceRegistration");
export const WorkspaceRegistrationBody = documented(WorkspaceRegistrationSchema);

export const WorkspaceViewSchema = named(
  z.object({
    id: WorkspaceSchema.shape.id,
    displayName: z.string(),
    clientId: z.string(),
    airlock: WorkspacePolicySchema,
    members: z.array(WorkspaceMemberSchema),
  }),
  "Workspace",
);

export const WorkspaceSummarySchema = named(
  z.object({
    id: WorkspaceSchema.shape.id,
    displayName: z.string(),
    clientId: z.string().describe("The audience of the workspace's tokens"),
    roles: z.array(WorkspaceRoleSchema).describe("The workspace roles the caller holds there"),
  }),
  "WorkspaceSummary",
);

export const WorkspaceListSchema = named(
  z.object({ workspaces: z.array(WorkspaceSummarySchema) }),
  "WorkspaceList",
);

export const UploadRulesSchema = named(
  z.object({
    maxFiles: z.number().int().describe("Active files a request may hold"),
    maxFileSize: z
      .number()
      .int()
      .describe("Bytes one file may hold: the policy's upload limit or the size gate's, whichever is lower"),
    maxRequestBytes: z
      .number()
      .int()
      .nullable()
      .describe("Bytes a request's files may hold together, or no limit"),
    allowedExtensions: z
      .array(z.string())
      .nullable()
      .describe("Extensions a file may carry (lower case, no dot), or any"),
    requireFileContext: z.boolean().describe("Whether a submit needs each file's description and controls"),
  }),
  "UploadRules",
);

export const HealthSchema = z.object({ status: z.string() });

// --- links (the embedded blob endpoint) ----------------------------------------------------------

export const BlobParams = z.object({
  requestId: z.string(),
  name: described(z.string(), { description: "The file name, percent-encoded" }),
});
export const ContainerParams = z.object({ requestId: z.string() });

/**
 * The link's token, as `GET …/link` hands it out in `containerUrl`. Documented, not enforced: the
 * link signer reads it and answers 401 or 403 for a token that is missing, malformed or not enough.
 */
const linkToken = {
  sv: described(z.string(), { description: "The token's version" }),
  sr: described(z.literal("c"), { description: "What the token grants access to: a container" }),
  sp: described(z.string().regex(/^r?w?d?l?$/), {
    description: "Permissions, in Azure's letters and order: r(ead), w(rite), d(elete), l(ist)",
  }),
  stg: described(StageSchema, { description: "The stage whose container the link addresses" }),
  se: described(z.string().regex(/^\d+$/), { description: "Expiry, in seconds since the epoch" }),
  sig: described(z.string(), { description: "HMAC-SHA256 of the above, base64url" }),
};
export const LinkQuery = documented(z.object(linkToken));
/** A file's PUT: Put Blob without `comp`, Put Block with `comp=block&blockid=…`, Put Block List with `comp=blocklist`. */
export const PutFileQuery = documented(
  z.object({
    ...linkToken,
    comp: described(z.enum(["block", "blocklist"]).optional(), {
      description: "`block` stages one block (Put Block), `blocklist` commits staged blocks (Put Block List)",
    }),
    blockid: described(z.string().optional(), {
      description: "With `comp=block`: the block's id, base64 of at most 64 bytes",
    }),
  }),
);
export const ContainerListQuery = documented(
  z.object({
    ...linkToken,
    restype: z.literal("container"),
    comp: z.literal("list"),
    prefix: described(z.string().optional(), { description: "Only the files whose names start with it" }),
  }),
);

export const UploadedFileSchema = named(
  z.object({ name: z.string(), size: z.number().int().nonnegative() }),
  "UploadedFile",
);

/** An answer without a body. */
export const NoContent = (description: string) => described(z.null(), { description });

/** An answer whose body is not JSON: a file, or Azure's XML listing. */
export const rawContent = (type: string, description: string, format?: string) => ({
  description,
  content: {
    [type]: {
      schema: described(z.string(), { description, ...(format === undefined ? {} : { format }) }),
    },
  },
});

// --- scan results -----------------------------------------------------------------------------

export const ScanSummarySchema = named(
  z.object({
    received: z.number().int(),
    applied: z.number().int(),
    ignored: z.number().int(),
    unknown: z.number().int(),
  }),
  "ScanResultsSummary",
  "How many events the batch held, how many verdicts were applied, and how many were acknowledged without effect",
);

/** What the delivery service's subscription handshake expects back (Event Grid: `validationResponse`). */
export const HandshakeAnswerSchema = described(z.record(z.string(), z.unknown()), {
  description: "The answer the delivery service's subscription validation expects",
});
