import type {
  AuditEntry,
  AuditVerification,
  Comment,
  CommentVisibility,
  NewRequestInput,
  PublicRequest,
  RequestStatus,
  RequestType,
  ReturnInputSchema,
  ReviewInputSchema,
  RevokeInputSchema,
  UploadRules,
  UserAction,
  VoteInputSchema,
  WorkspaceRegistrationSchema,
  WorkspaceSummary,
  WorkspaceView,
} from "@airlock/core";
import type { z } from "zod";
import type { Audience } from "../auth/session";
import { networkProblem, ProblemError, problemOf } from "./problem";

// The command bodies as the API's schemas take them (defaults optional).
export type VoteInput = z.input<typeof VoteInputSchema>;
export type ReturnInput = z.input<typeof ReturnInputSchema>;
export type ReviewInput = z.input<typeof ReviewInputSchema>;
export type RevokeInput = z.input<typeof RevokeInputSchema>;

/** A request as the API shows it to the caller, with what the caller may do now. */
export interface RequestView {
  readonly airlockRequest: PublicRequest;
  readonly allowedUserActions: readonly UserAction[];
}

export interface RequestPage {
  readonly airlockRequests: readonly RequestView[];
  readonly continuation: string | null;
}

export type { WorkspaceView };

/** A workspace's registration as the API takes it (the policy's missing fields take core's defaults). */
export type WorkspaceRegistrationInput = z.input<typeof WorkspaceRegistrationSchema>;

export interface AuditTrailPage {
  readonly entries: readonly AuditEntry[];
  readonly continuation: string | null;
}

export type TokenSource = (audience: Audience) => Promise<string>;

export interface RequestFilters {
  readonly status?: RequestStatus | undefined;
  readonly type?: RequestType | undefined;
}

const queryOf = (entries: Record<string, string | undefined | null>): string => {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(entries)) if (value) params.set(key, value);
  const text = params.toString();
  return text ? `?${text}` : "";
};

const segment = encodeURIComponent;

/**
 * The API's routes the console uses, each with the token its route takes: a workspace's routes a
 * token for that workspace, the TRE-wide ones a token for the API. Failures throw `ProblemError`
 * carrying the API's problem detail.
 */
export const createApiClient = (tokenFor: TokenSource) => {
  const call = async <T>(audience: Audience, method: string, path: string, body?: unknown): Promise<T> => {
    const token = await tokenFor(audience);
    let response: Response;
    try {
      response = await fetch(path, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          accept: "application/json",
          ...(body === undefined ? {} : { "content-type": "application/json" }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch {
      throw new ProblemError(networkProblem());
    }
    if (!response.ok) throw new ProblemError(await problemOf(response));
    return (await response.json()) as T;
  };
  const ws = (workspace: string): Audience => ({ kind: "workspace", workspace });
  const requestPath = (workspace: string, id: string) =>
    `/api/workspaces/${segment(workspace)}/requests/${segment(id)}`;
  const auditPath = (workspace: string, id: string | null) =>
    id === null ? `/api/workspaces/${segment(workspace)}/audit` : `${requestPath(workspace, id)}/audit`;

  return {
    myRequests: (continuation?: string | null) =>
      call<RequestPage>({ kind: "api" }, "GET", `/api/requests${queryOf({ continuation })}`),
    awaitingReview: (continuation?: string | null) =>
      call<RequestPage>(
        { kind: "api" },
        "GET",
        `/api/requests${queryOf({ airlock_manager: "true", continuation })}`,
      ),
    listRequests: (workspace: string, filters: RequestFilters, continuation?: string | null) =>
      call<RequestPage>(
        ws(workspace),
        "GET",
        `/api/workspaces/${segment(workspace)}/requests${queryOf({
          status: filters.status,
          type: filters.type,
          page_size: "20",
          continuation,
        })}`,
      ),
    myWorkspaces: () =>
      call<{ workspaces: readonly WorkspaceSummary[] }>({ kind: "api" }, "GET", "/api/workspaces"),
    uploadRules: (workspace: string) =>
      call<UploadRules>(ws(workspace), "GET", `/api/workspaces/${segment(workspace)}/upload-rules`),
    getRequest: (workspace: string, id: string) =>
      call<RequestView>(ws(workspace), "GET", requestPath(workspace, id)),
    createRequest: (workspace: string, input: NewRequestInput) =>
      call<RequestView>(ws(workspace), "POST", `/api/workspaces/${segment(workspace)}/requests`, input),
    command: (workspace: string, id: string, command: "submit" | "cancel") =>
      call<RequestView>(ws(workspace), "POST", `${requestPath(workspace, id)}/${command}`),
    link: (workspace: string, id: string) =>
      call<{ containerUrl: string }>(ws(workspace), "GET", `${requestPath(workspace, id)}/link`),
    withdraw: (workspace: string, id: string, file: string) =>
      call<RequestView>(
        ws(workspace),
        "POST",
        `${requestPath(workspace, id)}/files/${segment(file)}/withdraw`,
      ),
    comments: (workspace: string, id: string) =>
      call<{ comments: readonly Comment[] }>(ws(workspace), "GET", `${requestPath(workspace, id)}/comments`),
    vote: (workspace: string, id: string, file: string, vote: VoteInput) =>
      call<RequestView>(
        ws(workspace),
        "PUT",
        `${requestPath(workspace, id)}/files/${segment(file)}/vote`,
        vote,
      ),
    returnForChanges: (workspace: string, id: string, input: ReturnInput) =>
      call<RequestView>(ws(workspace), "POST", `${requestPath(workspace, id)}/return`, input),
    review: (workspace: string, id: string, input: ReviewInput) =>
      call<RequestView>(ws(workspace), "POST", `${requestPath(workspace, id)}/review`, input),
    revoke: (workspace: string, id: string, input: RevokeInput) =>
      call<RequestView>(ws(workspace), "POST", `${requestPath(workspace, id)}/revoke`, input),
    addComment: (
      workspace: string,
      id: string,
      comment: { text: string; visibility: CommentVisibility; file?: string },
    ) => call<Comment>(ws(workspace), "POST", `${requestPath(workspace, id)}/comments`, comment),
    workspace: (workspace: string) =>
      call<WorkspaceView>({ kind: "api" }, "GET", `/api/workspaces/${segment(workspace)}`),
    registerWorkspace: (workspace: string, registration: WorkspaceRegistrationInput) =>
      call<WorkspaceView>({ kind: "api" }, "PUT", `/api/workspaces/${segment(workspace)}`, registration),
    /**
     * A page of an audit trail: a request's, or with `id` null the workspace's own. Members read a
     * request's with a workspace token; TRE admins read either with a token for the API.
     */
    auditTrail: (
      audience: Audience,
      workspace: string,
      id: string | null,
      page: { readonly pageSize: number; readonly continuation: string | null },
    ) =>
      call<AuditTrailPage>(
        audience,
        "GET",
        `${auditPath(workspace, id)}${queryOf({ pageSize: String(page.pageSize), continuation: page.continuation })}`,
      ),
    auditVerification: (audience: Audience, workspace: string, id: string | null) =>
      call<AuditVerification>(audience, "GET", `${auditPath(workspace, id)}/verification`),
  };
};

export type ApiClient = ReturnType<typeof createApiClient>;
