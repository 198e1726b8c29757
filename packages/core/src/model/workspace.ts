import { z } from "zod";
import { UserRef, WorkspaceRole } from "./actor.js";
import { GateSettings } from "./gates.js";
import { boundedText, Id } from "./primitives.js";

export const GIB = 1024 ** 3;

export const WorkspacePolicy = z.object({
  enabled: z.boolean().default(true),
  scanning: z.boolean().default(true),
  requiredApprovals: z.number().int().min(1).max(10).default(1),
  maxFiles: z.number().int().min(1).max(1000).default(1),
  maxFileSize: z
    .number()
    .int()
    .min(1)
    .max(5 * 1024 * GIB)
    .default(GIB),
  /** Drafts one person may hold open in the workspace at once; a create beyond it is refused. */
  maxOpenDrafts: z.number().int().min(1).max(1000).default(10),
  /**
   * Bytes being uploaded into the workspace's requests through the engine at once (each upload
   * counts its declared length, or `maxFileSize` when it declares none). One upload always goes
   * through when nothing else is in flight, so a file of `maxFileSize` can always be uploaded.
   */
  maxBytesInFlight: z
    .number()
    .int()
    .min(1)
    .max(5 * 1024 * GIB)
    .default(4 * GIB),
  /** A submit is refused while an active file lacks its description or its disclosure controls. */
  requireFileContext: z.boolean().default(false),
  /**
   * A reviewer sees no other reviewer's votes or reviewer-only comments of the current turn until
   * they have voted on every active file themselves.
   */
  independentReview: z.boolean().default(false),
  /**
   * The security gates every active file passes after a submit, in order. `scanning: true` (the
   * default) adds a `malware` gate when the list names none.
   */
  gates: z
    .array(GateSettings)
    .max(10)
    .default([])
    .refine((gates) => new Set(gates.map((gate) => gate.type)).size === gates.length, {
      message: "each gate type may be listed once",
    }),
});
export type WorkspacePolicy = z.infer<typeof WorkspacePolicy>;
export type WorkspacePolicyInput = z.input<typeof WorkspacePolicy>;

/** Whether a malware verdict is asked for: `scanning: true`, or a `malware` gate in the list. */
export const wantsMalwareScan = (
  policy: Pick<WorkspacePolicy, "scanning"> & { readonly gates?: readonly GateSettings[] },
) => policy.scanning || (policy.gates ?? []).some((gate) => gate.type === "malware");

/** The gates that read the files in process, in the policy's order (the malware verdict is the scanner's). */
export const contentGates = (policy: { readonly gates?: readonly GateSettings[] }): GateSettings[] =>
  (policy.gates ?? []).filter((gate) => gate.type !== "malware");

export const DEFAULT_POLICY: WorkspacePolicy = WorkspacePolicy.parse({});

export const WorkspaceMember = UserRef.extend({
  roles: z.array(WorkspaceRole).min(1).max(3),
});
export type WorkspaceMember = z.infer<typeof WorkspaceMember>;

export const Workspace = z.object({
  id: Id,
  displayName: boundedText(200),
  /** The audience of workspace tokens (the workspace's app registration); defaults to the id. */
  clientId: z.string().min(1).max(200),
  policy: WorkspacePolicy,
  members: z.array(WorkspaceMember).max(1000),
});
export type Workspace = z.infer<typeof Workspace>;

/** A registered workspace as the API shows it to TRE admins, its policy under the registration's name. */
export interface WorkspaceView {
  readonly id: string;
  readonly displayName: string;
  readonly clientId: string;
  readonly airlock: WorkspacePolicy;
  readonly members: WorkspaceMember[];
}

export const workspaceViewOf = (workspace: Workspace): WorkspaceView => ({
  id: workspace.id,
  displayName: workspace.displayName,
  clientId: workspace.clientId,
  airlock: workspace.policy,
  members: workspace.members,
});

/**
 * A workspace as a TRE admin registers it (the API's body, a command line's workspace file): the id
 * comes from the path, `clientId` defaults to it, and the policy's missing fields take the defaults.
 */
export const WorkspaceRegistration = z.object({
  displayName: Workspace.shape.displayName,
  clientId: Workspace.shape.clientId.optional(),
  airlock: WorkspacePolicy.optional(),
  members: Workspace.shape.members,
});
