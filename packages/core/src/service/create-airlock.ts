import { err, ok, type Result, ResultAsync } from "neverthrow";
import type { z } from "zod";
import { type AirlockError, refusalError } from "../errors.js";
import type { ActorFacts, AirlockEvent as MachineEvent } from "../machine/airlock-machine.js";
import {
  actorFacts,
  allowedUserActions,
  contextOf,
  decide,
  linkDecision,
  statusMeta,
} from "../machine/decide.js";
import type { Actor, Role } from "../model/actor.js";
import { userRef } from "../model/actor.js";
import { FileName } from "../model/primitives.js";
import type { AirlockRequest, Review, Stage, UserAction } from "../model/request.js";
import { NewRequestInput } from "../model/request.js";
import type { Workspace } from "../model/workspace.js";
import {
  containerOf,
  createEngine,
  type Engine,
  fromPort,
  type Outcome,
  resolveOptions,
  withStatus,
} from "./engine.js";
import { issuesOf, ListQuery, ReviewInput, RevokeInput, UserListQuery } from "./inputs.js";
import { createProcessor } from "./processor.js";
import type {
  Airlock,
  AirlockOptions,
  AirlockPorts,
  BlobOperation,
  LinkView,
  ListRequestsInput,
  RequestList,
  RequestView,
} from "./types.js";

/** Roles that may read a workspace's requests, and its audit trail (not transitions, so not in the machine). */
const READ_ROLES: readonly Role[] = ["WorkspaceResearcher", "WorkspaceOwner", "AirlockManager"];
const AUDIT_ROLES: readonly Role[] = ["WorkspaceOwner", "AirlockManager", "TREAdmin"];

/** Input checked against its schema; a failure names every issue. */
const parse = <S extends z.ZodType>(schema: S, input: unknown): Result<z.infer<S>, AirlockError> => {
  const parsed = schema.safeParse(input);
  return parsed.success
    ? ok(parsed.data)
    : err({ kind: "InvalidInput", message: "the input is not valid", issues: issuesOf(parsed.error) });
};

/** The public face of an engine step: a `ResultAsync`, as every port and caller expects. */
const answer = <T>(outcome: Outcome<T>): ResultAsync<T, AirlockError> => new ResultAsync(outcome);

const eventFor = (action: UserAction, actor: ActorFacts, approve = true): MachineEvent => {
  switch (action) {
    case "submit":
      return { type: "SUBMIT", actor };
    case "cancel":
      return { type: "CANCEL", actor };
    case "review":
      return { type: "REVIEW", actor, approve };
    case "revoke":
      return { type: "REVOKE", actor };
  }
};

const ROLE_MEMO_LIMIT = 1_000;
const roleMemo = new Map<string, boolean>();

/**
 * Whether the actor's roles could ever allow the action, asked of the machine before the request is
 * read, so a caller without the role learns nothing about which requests exist. The answer depends
 * on the roles and the policy only, so it is remembered under them.
 */
const roleAllows = (action: UserAction, actor: Actor, workspace: Workspace): boolean => {
  const { policy } = workspace;
  const key = `${action}|${[...actor.roles].sort().join(",")}|${policy.enabled}|${policy.scanning}|${policy.requiredApprovals}|${policy.maxFiles}`;
  const known = roleMemo.get(key);
  if (known !== undefined) return known;
  const facts = actorFacts(actor);
  const allowed = [facts.id, `${facts.id}\u0000someone-else`].some((requesterId) => {
    const context = contextOf(
      { createdBy: { id: requesterId, name: "", email: "" }, type: "import", reviews: [] },
      policy,
      null,
    );
    const decision = decide("new", context, eventFor(action, facts));
    return decision.allowed || decision.refusal.kind !== "Forbidden";
  });
  if (roleMemo.size >= ROLE_MEMO_LIMIT) roleMemo.clear();
  roleMemo.set(key, allowed);
  return allowed;
};

const hasAny = (actor: Actor, roles: readonly Role[]) => actor.roles.some((role) => roles.includes(role));

/** What a request command does once the machine has been asked: the event, and how to build the result. */
interface Plan {
  readonly event: MachineEvent;
  readonly fileCount: number | null;
  readonly build: (to: AirlockRequest["status"]) => Outcome<AirlockRequest>;
}

export const createAirlock = (ports: AirlockPorts, options: AirlockOptions = {}): Airlock => {
  const engine: Engine = createEngine(ports, resolveOptions(options));
  const processor = createProcessor(engine);
  const { nowSeconds, workspaceOf, requestOf, deny, commit } = engine;

  const view = (request: AirlockRequest, workspace: Workspace, actor: Actor): RequestView => ({
    airlockRequest: request,
    allowedUserActions: allowedUserActions(request, workspace.policy, actor),
  });

  const kick = (request: AirlockRequest) => {
    if (engine.options.processing === "inline") processor.schedule(request.id);
  };

  const requireRead = async (
    actor: Actor,
    workspaceId: string,
    roles: readonly Role[],
    action: string,
  ): Outcome<Workspace> => {
    const workspace = await workspaceOf(workspaceId);
    if (workspace.isErr() || hasAny(actor, roles)) return workspace;
    return err({ kind: "Forbidden", message: `${action} needs one of the roles ${roles.join(", ")}` });
  };

  /** The shape every request command shares: role, request, input, then the machine decides. */
  const command = async <I>(
    actor: Actor,
    workspaceId: string,
    requestId: string,
    action: UserAction,
    readInput: () => Result<I, AirlockError>,
    plan: (context: { workspace: Workspace; request: AirlockRequest; input: I }) => Outcome<Plan>,
    after?: (stored: AirlockRequest, workspace: Workspace) => void,
  ): Outcome<RequestView> => {
    const workspace = await workspaceOf(workspaceId);
    if (workspace.isErr()) return err(workspace.error);
    const who = { workspaceId, requestId, actor, action };
    if (!roleAllows(action, actor, workspace.value)) {
      return deny(
        { kind: "Forbidden", message: `your roles do not allow you to ${action} a request` },
        { ...who, requestId: null },
      );
    }
    const found = await requestOf(workspaceId, requestId);
    if (found.isErr()) return err(found.error);
    const request = found.value;
    const input = readInput();
    if (input.isErr()) return deny(input.error, { ...who, request });
    const planned = await plan({ workspace: workspace.value, request, input: input.value });
    if (planned.isErr()) return err(planned.error);
    const { event, fileCount, build } = planned.value;
    const decision = decide(request.status, contextOf(request, workspace.value.policy, fileCount), event);
    if (!decision.allowed) {
      return deny(refusalError(decision.refusal.kind, decision.refusal.message), { ...who, request });
    }
    const next = await build(decision.to);
    const stored = next.isOk() ? await commit(request, next.value, actor, action, workspace.value) : next;
    if (stored.isErr()) {
      return stored.error.kind === "Conflict" ? deny(stored.error, { ...who, request }) : err(stored.error);
    }
    after?.(stored.value, workspace.value);
    kick(stored.value);
    return ok(view(stored.value, workspace.value, actor));
  };

  const noInput = () => ok<undefined, AirlockError>(undefined);

  /** Review and revoke both record a decision in `reviews` and announce it. */
  const decision = <S extends z.ZodType>(
    actor: Actor,
    workspaceId: string,
    requestId: string,
    action: "review" | "revoke",
    schema: S,
    input: unknown,
    read: (body: z.infer<S>) => {
      approve: boolean;
      reviewDecision: Review["reviewDecision"];
      explanation: string;
      statusMessage: string | null;
    },
  ): ResultAsync<RequestView, AirlockError> => {
    let review: Review | null = null;
    return answer(
      command(
        actor,
        workspaceId,
        requestId,
        action,
        () => parse(schema, input),
        async ({ request, input: body }) => {
          const decided = read(body);
          return ok({
            event: eventFor(action, actorFacts(actor), decided.approve),
            fileCount: null,
            build: async (to: AirlockRequest["status"]) => {
              const at = nowSeconds();
              review = {
                id: ports.ids.next(),
                reviewer: userRef(actor),
                reviewDecision: decided.reviewDecision,
                decisionExplanation: decided.explanation,
                dateCreated: at,
              };
              return ok(
                withStatus(request, to, actor, at, {
                  reviews: [...request.reviews, review],
                  ...(decided.statusMessage === null ? {} : { statusMessage: decided.statusMessage }),
                }),
              );
            },
          });
        },
        (stored, workspace) => {
          if (review) engine.announceReview(stored, review, workspace.policy.requiredApprovals);
        },
      ),
    );
  };

  const create = async (actor: Actor, workspaceId: string, input: unknown): Outcome<RequestView> => {
    const workspace = await workspaceOf(workspaceId);
    if (workspace.isErr()) return err(workspace.error);
    const who = { workspaceId, requestId: null, actor, action: "create" };
    const context = contextOf(
      { createdBy: userRef(actor), type: "import", reviews: [] },
      workspace.value.policy,
      null,
    );
    const decision = decide("new", context, { type: "CREATE", actor: actorFacts(actor) });
    if (!decision.allowed) {
      return deny(refusalError(decision.refusal.kind, decision.refusal.message), who);
    }
    const fields = parse(NewRequestInput, input);
    if (fields.isErr()) return deny(fields.error, who);
    const at = nowSeconds();
    const creator = userRef(actor);
    const draft: Omit<AirlockRequest, "etag"> = {
      id: ports.ids.next(),
      workspaceId,
      type: fields.value.type,
      title: fields.value.title,
      businessJustification: fields.value.businessJustification,
      status: "draft",
      statusMessage: null,
      files: [],
      reviews: [],
      createdBy: creator,
      createdWhen: at,
      updatedBy: creator,
      updatedWhen: at,
      history: [{ previousStatus: null, status: "draft", updatedBy: creator, updatedWhen: at }],
      dataStage: "draft",
      scanRequestedWhen: null,
      cleanFiles: [],
      revision: 1,
      pendingAudit: [],
    };
    const created = engine.auditRecord({
      stream: draft.id,
      workspaceId,
      requestId: draft.id,
      actor,
      action: "create",
      outcome: "transition",
      fromStatus: null,
      toStatus: "draft",
      key: "revision-1",
    });
    const provisioned = await fromPort(ports.storage.provision(containerOf(draft), "draft"));
    if (provisioned.isErr()) return err(provisioned.error);
    const stored = await fromPort(ports.repository.create({ ...draft, pendingAudit: [created] }));
    if (stored.isErr()) return err(stored.error);
    const appended = await engine.append(created);
    if (appended.isErr()) return err(appended.error);
    engine.announce(stored.value, null, workspace.value);
    return ok(view(stored.value, workspace.value, actor));
  };

  const get = async (actor: Actor, workspaceId: string, requestId: string): Outcome<RequestView> => {
    const workspace = await requireRead(actor, workspaceId, READ_ROLES, "reading requests");
    if (workspace.isErr()) return err(workspace.error);
    const request = await requestOf(workspaceId, requestId);
    return request.isErr() ? err(request.error) : ok(view(request.value, workspace.value, actor));
  };

  const list = async (actor: Actor, workspaceId: string, query: ListRequestsInput): Outcome<RequestList> => {
    const workspace = await requireRead(actor, workspaceId, READ_ROLES, "listing requests");
    if (workspace.isErr()) return err(workspace.error);
    const parsed = parse(ListQuery, query);
    if (parsed.isErr()) return err(parsed.error);
    const q = parsed.value;
    const page = await fromPort(
      ports.repository.list({
        workspaceIds: [workspaceId],
        ...(q.creator_user_id ? { creator: q.creator_user_id } : {}),
        ...(q.type ? { type: q.type } : {}),
        ...(q.status ? { statuses: [q.status] } : {}),
        ...(q.order_by ? { orderBy: q.order_by } : {}),
        ...(q.order_ascending !== undefined ? { ascending: q.order_ascending } : {}),
        pageSize: q.page_size,
        ...(q.continuation ? { continuation: q.continuation } : {}),
      }),
    );
    if (page.isErr()) return err(page.error);
    return ok({
      items: page.value.items.map((request) => view(request, workspace.value, actor)),
      continuation: page.value.continuation,
    });
  };

  const listForUser = async (
    actor: Actor,
    query: Parameters<Airlock["listForUser"]>[1],
  ): Outcome<RequestList> => {
    const parsed = parse(UserListQuery, query);
    if (parsed.isErr()) return err(parsed.error);
    const q = parsed.value;
    const workspaces = await fromPort(ports.workspaces.list());
    if (workspaces.isErr()) return err(workspaces.error);
    const byId = new Map(workspaces.value.map((w) => [w.id, w]));
    // Roles across workspaces come from the directory, as the token holds only TRE roles here.
    const actorIn = (workspace: Workspace): Actor => {
      const member = workspace.members.find((m) => m.id === actor.id);
      return { ...actor, roles: [...actor.roles, ...(member?.roles ?? [])] };
    };
    const managed = workspaces.value
      .filter((w) => actorIn(w).roles.includes("AirlockManager"))
      .map((w) => w.id);
    if (q.airlockManager && managed.length === 0) return ok({ items: [], continuation: null });
    const page = await fromPort(
      ports.repository.list({
        ...(q.airlockManager ? { workspaceIds: managed, statuses: ["in_review"] } : { creator: actor.id }),
        pageSize: q.page_size,
        ...(q.continuation ? { continuation: q.continuation } : {}),
      }),
    );
    if (page.isErr()) return err(page.error);
    const items = page.value.items.flatMap((request) => {
      const workspace = byId.get(request.workspaceId);
      if (!workspace) return [];
      const shown = view(request, workspace, actorIn(workspace));
      return !q.airlockManager || shown.allowedUserActions.includes("review") ? [shown] : [];
    });
    return ok({ items, continuation: page.value.continuation });
  };

  const link = async (actor: Actor, workspaceId: string, requestId: string): Outcome<LinkView> => {
    const workspace = await requireRead(actor, workspaceId, READ_ROLES, "getting a link");
    if (workspace.isErr()) return err(workspace.error);
    const found = await requestOf(workspaceId, requestId);
    if (found.isErr()) return err(found.error);
    const request = found.value;
    const decision = linkDecision(request, actor);
    if (decision.kind === "refused") {
      const error: AirlockError =
        decision.reason === "Forbidden"
          ? { kind: "Forbidden", message: decision.message }
          : { kind: "NoLink", message: decision.message };
      return deny(error, { workspaceId, requestId, actor, action: "link", request });
    }
    const stage = statusMeta(request.status).stage as Stage;
    const expiresAt = new Date(ports.clock.now() + engine.options.linkTtlSeconds * 1000);
    const ref = containerOf(request);
    const provisioned = await fromPort(ports.storage.provision(ref, stage));
    if (provisioned.isErr()) return err(provisioned.error);
    const granted = await fromPort(ports.storage.link(ref, stage, decision.access, expiresAt));
    if (granted.isErr()) return err(granted.error);
    const audited = await engine.audit({
      stream: request.id,
      workspaceId,
      requestId,
      actor,
      action: "link",
      outcome: "allowed",
      reason: `${decision.access.join(",")} on ${stage}`,
      fromStatus: request.status,
      toStatus: request.status,
    });
    if (audited.isErr()) return err(audited.error);
    return ok({
      containerUrl: granted.value.containerUrl,
      expiresAt: granted.value.expiresAt,
      stage,
      access: decision.access,
    });
  };

  const auditTrail = async (actor: Actor, workspaceId: string, requestId: string) => {
    const workspace = await requireRead(actor, workspaceId, AUDIT_ROLES, "reading the audit trail");
    if (workspace.isErr()) return err(workspace.error);
    const request = await requestOf(workspaceId, requestId);
    if (request.isErr()) return err(request.error);
    const entries = await fromPort(ports.audit.list(request.value.id));
    if (entries.isErr()) return err(entries.error);
    const verification = await fromPort(ports.audit.verify(request.value.id));
    if (verification.isErr()) return err(verification.error);
    return ok({ entries: entries.value, verification: verification.value });
  };

  const authorizeBlobCall = async (
    requestId: string,
    stage: Stage,
    operation: BlobOperation,
  ): Outcome<AirlockRequest> => {
    const request = await requestOf(null, requestId);
    if (request.isErr()) return request;
    const { status } = request.value;
    const meta = statusMeta(status);
    if (meta.link.kind !== "grant") {
      return err(
        meta.link.kind === "processing"
          ? { kind: "NoLink", message: "the request is being processed, try again later" }
          : { kind: "Forbidden", message: `the request is ${status}: its links no longer work` },
      );
    }
    if (meta.stage !== stage || !meta.link.access.includes(operation)) {
      return err({
        kind: "Forbidden",
        message: `a ${operation} in the ${stage} stage is not allowed while the request is ${status}`,
      });
    }
    return request;
  };

  const upload = async (
    requestId: string,
    name: string,
    content: AsyncIterable<Uint8Array>,
  ): Outcome<{ name: string; size: number }> => {
    const request = await authorizeBlobCall(requestId, "draft", "write");
    if (request.isErr()) return err(request.error);
    const valid = FileName.safeParse(name);
    if (!valid.success) {
      return err({
        kind: "InvalidInput",
        message: "the file name is not valid",
        issues: issuesOf(valid.error),
      });
    }
    const workspace = await workspaceOf(request.value.workspaceId);
    if (workspace.isErr()) return err(workspace.error);
    const { policy } = workspace.value;
    const ref = containerOf(request.value);
    const files = await fromPort(ports.storage.listFiles(ref, "draft"));
    if (files.isErr()) return err(files.error);
    const replacing = files.value.some((file) => file.name === name);
    if (!replacing && files.value.length >= policy.maxFiles) {
      return err({
        kind: "PolicyViolation",
        message: `the workspace allows at most ${policy.maxFiles} file(s) per request`,
      });
    }
    return fromPort(ports.storage.upload(ref, "draft", name, content, { maxBytes: policy.maxFileSize }));
  };

  const validFileName = (name: string): Result<string, AirlockError> => {
    const valid = FileName.safeParse(name);
    return valid.success
      ? ok(valid.data)
      : err({ kind: "InvalidInput", message: "the file name is not valid", issues: issuesOf(valid.error) });
  };

  const readFile = async (requestId: string, stage: Stage, name: string) => {
    const request = await authorizeBlobCall(requestId, stage, "read");
    if (request.isErr()) return err(request.error);
    const valid = validFileName(name);
    if (valid.isErr()) return err(valid.error);
    return fromPort(ports.storage.openRead(containerOf(request.value), stage, name));
  };

  const deleteFile = async (requestId: string, stage: Stage, name: string) => {
    const request = await authorizeBlobCall(requestId, stage, "delete");
    if (request.isErr()) return err(request.error);
    const valid = validFileName(name);
    if (valid.isErr()) return err(valid.error);
    return fromPort(ports.storage.deleteFile(containerOf(request.value), stage, name));
  };

  const listFiles = async (requestId: string, stage: Stage) => {
    const request = await authorizeBlobCall(requestId, stage, "list");
    if (request.isErr()) return err(request.error);
    return fromPort(ports.storage.listFiles(containerOf(request.value), stage));
  };

  const airlock: Airlock = {
    create: (actor, workspaceId, input) => answer(create(actor, workspaceId, input)),
    get: (actor, workspaceId, requestId) => answer(get(actor, workspaceId, requestId)),
    list: (actor, workspaceId, query) => answer(list(actor, workspaceId, query)),
    listForUser: (actor, query) => answer(listForUser(actor, query)),
    link: (actor, workspaceId, requestId) => answer(link(actor, workspaceId, requestId)),

    submit: (actor, workspaceId, requestId) =>
      answer(
        command(actor, workspaceId, requestId, "submit", noInput, async ({ request }) => {
          const files = await fromPort(ports.storage.listFiles(containerOf(request), "draft"));
          if (files.isErr()) return err(files.error);
          return ok({
            event: eventFor("submit", actorFacts(actor)),
            fileCount: files.value.length,
            // The hashes recorded here are what every later move is checked against.
            build: async (to: AirlockRequest["status"]) => {
              const described = await fromPort(ports.storage.describe(containerOf(request), "draft"));
              if (described.isErr()) return err(described.error);
              return ok(
                withStatus(request, to, actor, nowSeconds(), {
                  files: [...described.value],
                  statusMessage: null,
                }),
              );
            },
          });
        }),
      ),

    cancel: (actor, workspaceId, requestId) =>
      answer(
        command(actor, workspaceId, requestId, "cancel", noInput, async ({ request }) =>
          ok({
            event: eventFor("cancel", actorFacts(actor)),
            fileCount: null,
            build: async (to: AirlockRequest["status"]) => ok(withStatus(request, to, actor, nowSeconds())),
          }),
        ),
      ),

    review: (actor, workspaceId, requestId, input) =>
      decision(actor, workspaceId, requestId, "review", ReviewInput, input, (body) => ({
        approve: body.approval,
        reviewDecision: body.approval ? "approved" : "rejected",
        explanation: body.decisionExplanation,
        statusMessage: null,
      })),

    revoke: (actor, workspaceId, requestId, input) =>
      decision(actor, workspaceId, requestId, "revoke", RevokeInput, input, (body) => ({
        approve: false,
        reviewDecision: "revoked",
        explanation: body.reason,
        statusMessage: body.reason,
      })),

    recordScanResult: (requestId, outcome, file) =>
      processor.applyScanVerdict(requestId, outcome, file).map((request) => {
        kick(request);
        return request;
      }),

    auditTrail: (actor, workspaceId, requestId) => answer(auditTrail(actor, workspaceId, requestId)),
    authorizeBlobCall: (requestId, stage, operation) =>
      answer(authorizeBlobCall(requestId, stage, operation)),
    upload: (requestId, name, content) => answer(upload(requestId, name, content)),
    readFile: (requestId, stage, name) => answer(readFile(requestId, stage, name)),
    deleteFile: (requestId, stage, name) => answer(deleteFile(requestId, stage, name)),
    listFiles: (requestId, stage) => answer(listFiles(requestId, stage)),

    processor: {
      process: processor.process,
      resume: processor.resume,
      recover: processor.recover,
      idle: engine.idle,
    },
  };
  return airlock;
};
