import type {
  AirlockRequest,
  AuditEntry,
  Comment,
  CommentVisibility,
  FileChange,
  RequestType,
  UserAction,
  VoteValue,
  Workspace,
  WorkspaceMember,
  WorkspaceView,
} from "@airlock/core";
import { API, type Audience, type TokenSource, workspaceAudience } from "./auth/tokens.js";
import { CliError, EXIT, type ProblemBody, problemError, unreachable } from "./errors.js";

/** A request as the API shows it to one caller, with what they may do now. */
export interface RequestView {
  readonly airlockRequest: AirlockRequest;
  readonly allowedUserActions: readonly UserAction[];
}
export interface RequestList {
  readonly airlockRequests: readonly RequestView[];
  readonly continuation: string | null;
}
export interface TurnChanges {
  readonly turn: number;
  readonly files: readonly { readonly file: string; readonly change: FileChange }[];
}
export interface AuditPage {
  readonly entries: readonly AuditEntry[];
  readonly continuation: string | null;
}
export type AuditVerification =
  | { readonly ok: true; readonly entries: number; readonly checkpointSeq: number | null }
  | { readonly ok: false; readonly firstTampered: number; readonly reason: string };
export type { WorkspaceView };
export interface WorkspaceRegistration {
  readonly displayName: string;
  readonly clientId?: string | undefined;
  readonly airlock?: unknown;
  readonly members: readonly WorkspaceMember[];
}

/** A request named by its workspace and id. */
export interface RequestRef {
  readonly workspaceId: string;
  readonly id: string;
}

const segment = encodeURIComponent;
const requestPath = (ref: RequestRef) =>
  `/api/workspaces/${segment(ref.workspaceId)}/requests/${segment(ref.id)}`;

/**
 * The airlock API as typed calls. Every answer that is not ok becomes a CliError carrying the
 * problem's one line and the exit code of its kind.
 */
export class AirlockClient {
  constructor(
    readonly server: string,
    private readonly tokens: TokenSource,
  ) {}

  private async call<T>(method: string, path: string, audience: Audience, body?: unknown): Promise<T> {
    const token = await this.tokens(audience);
    const response = await fetch(`${this.server}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        accept: "application/json, application/problem+json",
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    }).catch((error: unknown) => {
      throw unreachable(this.server, error);
    });
    const text = await response.text();
    if (!response.ok) throw problemError(response.status, parseProblem(text));
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new CliError(
        `${method} ${path} answered ${response.status} with a body that is not JSON`,
        EXIT.unavailable,
      );
    }
  }

  createRequest(
    workspaceId: string,
    input: { type: RequestType; title: string; businessJustification: string },
  ) {
    return this.call<RequestView>(
      "POST",
      `/api/workspaces/${segment(workspaceId)}/requests`,
      workspaceAudience(workspaceId),
      input,
    );
  }
  getRequest(ref: RequestRef) {
    return this.call<RequestView>("GET", requestPath(ref), workspaceAudience(ref.workspaceId));
  }
  /** The caller's own requests in every workspace (one page). */
  myRequests(continuation?: string) {
    const query = new URLSearchParams({ page_size: "100", ...(continuation ? { continuation } : {}) });
    return this.call<RequestList>("GET", `/api/requests?${query}`, API);
  }
  /** Requests awaiting the caller's review, across workspaces (one page). */
  reviewQueue(continuation?: string) {
    const query = new URLSearchParams({
      airlock_manager: "true",
      page_size: "100",
      ...(continuation ? { continuation } : {}),
    });
    return this.call<RequestList>("GET", `/api/requests?${query}`, API);
  }
  link(ref: RequestRef) {
    return this.call<{ containerUrl: string }>(
      "GET",
      `${requestPath(ref)}/link`,
      workspaceAudience(ref.workspaceId),
    );
  }
  submit(ref: RequestRef) {
    return this.call<RequestView>("POST", `${requestPath(ref)}/submit`, workspaceAudience(ref.workspaceId));
  }
  cancel(ref: RequestRef) {
    return this.call<RequestView>("POST", `${requestPath(ref)}/cancel`, workspaceAudience(ref.workspaceId));
  }
  review(ref: RequestRef, approval: boolean, decisionExplanation: string) {
    return this.call<RequestView>("POST", `${requestPath(ref)}/review`, workspaceAudience(ref.workspaceId), {
      approval,
      decisionExplanation,
    });
  }
  revoke(ref: RequestRef, reason: string) {
    return this.call<RequestView>("POST", `${requestPath(ref)}/revoke`, workspaceAudience(ref.workspaceId), {
      reason,
    });
  }
  vote(ref: RequestRef, file: string, vote: VoteValue, comment?: string) {
    return this.call<RequestView>(
      "PUT",
      `${requestPath(ref)}/files/${segment(file)}/vote`,
      workspaceAudience(ref.workspaceId),
      { vote, ...(comment ? { comment } : {}) },
    );
  }
  returnForChanges(
    ref: RequestRef,
    comments: readonly { text: string; file?: string; visibility?: CommentVisibility }[],
  ) {
    return this.call<RequestView>("POST", `${requestPath(ref)}/return`, workspaceAudience(ref.workspaceId), {
      comments,
    });
  }
  comments(ref: RequestRef) {
    return this.call<{ comments: Comment[] }>(
      "GET",
      `${requestPath(ref)}/comments`,
      workspaceAudience(ref.workspaceId),
    );
  }
  addComment(ref: RequestRef, input: { text: string; file?: string; visibility: CommentVisibility }) {
    return this.call<Comment>(
      "POST",
      `${requestPath(ref)}/comments`,
      workspaceAudience(ref.workspaceId),
      input,
    );
  }
  withdraw(ref: RequestRef, file: string) {
    return this.call<RequestView>(
      "POST",
      `${requestPath(ref)}/files/${segment(file)}/withdraw`,
      workspaceAudience(ref.workspaceId),
    );
  }
  changes(ref: RequestRef) {
    return this.call<TurnChanges>("GET", `${requestPath(ref)}/changes`, workspaceAudience(ref.workspaceId));
  }
  requestAudit(ref: RequestRef, continuation?: string) {
    const query = new URLSearchParams({ pageSize: "1000", ...(continuation ? { continuation } : {}) });
    return this.call<AuditPage>(
      "GET",
      `${requestPath(ref)}/audit?${query}`,
      workspaceAudience(ref.workspaceId),
    );
  }
  verifyRequestAudit(ref: RequestRef) {
    return this.call<AuditVerification>(
      "GET",
      `${requestPath(ref)}/audit/verification`,
      workspaceAudience(ref.workspaceId),
    );
  }
  workspaceAudit(workspaceId: string, continuation?: string) {
    const query = new URLSearchParams({ pageSize: "1000", ...(continuation ? { continuation } : {}) });
    return this.call<AuditPage>("GET", `/api/workspaces/${segment(workspaceId)}/audit?${query}`, API);
  }
  verifyWorkspaceAudit(workspaceId: string) {
    return this.call<AuditVerification>(
      "GET",
      `/api/workspaces/${segment(workspaceId)}/audit/verification`,
      API,
    );
  }
  putWorkspace(workspaceId: string, registration: WorkspaceRegistration) {
    return this.call<WorkspaceView>("PUT", `/api/workspaces/${segment(workspaceId)}`, API, registration);
  }
  getWorkspace(workspaceId: string) {
    return this.call<WorkspaceView>("GET", `/api/workspaces/${segment(workspaceId)}`, API);
  }
}

/** The problem in a body, or what can be said of a body that is not one (a proxy's HTML page). */
export const parseProblem = (text: string): ProblemBody => {
  try {
    const value = JSON.parse(text) as unknown;
    if (value && typeof value === "object") return value as ProblemBody;
  } catch {
    // An Azure Blob error is XML: <Error><Code>…</Code><Message>…</Message></Error>.
    const code = /<Code>([^<]*)<\/Code>/.exec(text)?.[1];
    const message = /<Message>([^<]*)<\/Message>/.exec(text)?.[1]?.split("\n")[0];
    if (code) return { code, ...(message ? { title: message } : {}) };
  }
  return {};
};

export type { Workspace };
