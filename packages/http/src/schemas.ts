import {
  AuditEntrySchema,
  PublicRequestSchema as CorePublicRequestSchema,
  JUSTIFICATION_MAX,
  NewRequestInputSchema,
  RequestStatusSchema,
  RequestTypeSchema,
  UserActionSchema,
  WorkspaceMemberSchema,
  WorkspacePolicySchema,
  WorkspaceSchema,
} from "@airlock/core";
import { z } from "zod";

/**
 * Names for the OpenAPI document's components. A registry of our own rather than zod's global
 * one, so building several servers (or loading this module twice) never registers an id twice.
 */
export const openApiRegistry = z.registry<{ id?: string | undefined; [key: string]: unknown }>();

const named = <S extends z.ZodType>(schema: S, id: string, description?: string): S => {
  openApiRegistry.add(schema, description === undefined ? { id } : { id, description });
  return schema;
};

/**
 * Schemas the transport shows in the OpenAPI document but does not enforce: the service checks
 * these inputs itself, after the role and the request, so the order of checks stays the spec's.
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
 * A request as the API shows it: the engine's own bookkeeping stays inside (core's public shape).
 * The serializer leaves out every key a schema does not name.
 */
const PublicRequestSchema = named(CorePublicRequestSchema, "AirlockRequest");

export const RequestViewSchema = named(
  z.object({
    airlockRequest: PublicRequestSchema,
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
  z.object({ containerUrl: z.string().describe("An absolute container URL carrying its signed token.") }),
  "ContainerLink",
);

export const AuditTrailSchema = named(
  z.object({
    entries: z.array(AuditEntrySchema),
    verification: z.object({
      ok: z.boolean(),
      entries: z.number().int(),
      firstTampered: z.number().int().optional(),
      reason: z.string().optional(),
    }),
  }),
  "AuditTrail",
);

export const WorkspaceParams = z.object({ ws: z.string() });
export const RequestParams = z.object({ ws: z.string(), id: z.string() });

export const NewRequestBody = documented(named(NewRequestInputSchema, "NewRequest"));

export const ReviewBody = documented(
  named(
    z.object({ approval: z.boolean(), decisionExplanation: z.string().min(1).max(JUSTIFICATION_MAX) }),
    "ReviewDecision",
  ),
);

export const RevokeBody = documented(named(z.object({ reason: z.string().min(1).max(4000) }), "Revocation"));

export const ListRequestsQuery = documented(
  z.object({
    creator_user_id: z.string().optional(),
    type: RequestTypeSchema.optional(),
    status: RequestStatusSchema.optional(),
    order_by: z.enum(["createdWhen", "updatedWhen", "status", "type", "title"]).optional(),
    order_ascending: z.enum(["true", "false"]).optional(),
    page_size: z.string().optional().describe("1–100, default 25"),
    continuation: z.string().optional(),
  }),
);

export const UserRequestsQuery = z.object({
  airlock_manager: z.enum(["true", "false"]).optional(),
  page_size: z.string().optional().describe("1–100, default 25"),
  continuation: z.string().optional(),
});

/** Registering a workspace (TRE admins); the policy's missing fields take core's defaults. */
export const WorkspaceRegistrationSchema = named(
  z.object({
    displayName: WorkspaceSchema.shape.displayName,
    clientId: WorkspaceSchema.shape.clientId.optional(),
    airlock: WorkspacePolicySchema.optional(),
    members: z.array(WorkspaceMemberSchema).max(1000),
  }),
  "WorkspaceRegistration",
);
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

export const HealthSchema = z.object({ status: z.string() });
