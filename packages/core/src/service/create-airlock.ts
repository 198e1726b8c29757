import { errAsync, okAsync, type ResultAsync } from "neverthrow";
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
import type { AirlockRequest, FileRecord, Review, Stage, UserAction } from "../model/request.js";
import { NewRequestInput } from "../model/request.js";
import type { Workspace } from "../model/workspace.js";
import {
  containerOf,
  createEngine,
  type Engine,
  fromPortError,
  resolveOptions,
  withStatus,
} from "./engine.js";
import { issuesOf, ListQuery, ReviewInput, RevokeInput, UserListQuery } from "./inputs.js";
import { createProcessor } from "./processor.js";
import type { Airlock, AirlockOptions, AirlockPorts, LinkView, RequestList, RequestView } from "./types.js";

/** Roles that may read a workspace's requests, and its audit trail (not transitions, so not in the machine). */
const READ_ROLES: readonly Role[] = ["WorkspaceResearcher", "WorkspaceOwner", "AirlockManager"];
const AUDIT_ROLES: readonly Role[] = ["WorkspaceOwner", "AirlockManager", "TREAdmin"];

const parse = <S extends z.ZodType>(schema: S, input: unknown): ResultAsync<z.infer<S>, AirlockError> => {
  const parsed = schema.safeParse(input);
  return parsed.success
    ? okAsync(parsed.data)
    : errAsync({ kind: "InvalidInput", message: "the input is not valid", issues: issuesOf(parsed.error) });
};

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

/**
 * Whether the actor's roles could ever allow the action, asked of the machine before the request is
 * read, so a caller without the role learns nothing about which requests exist.
 */
const roleAllows = (action: UserAction, actor: Actor, workspace: Workspace): boolean => {
  const facts = actorFacts(actor);
  return [facts.id, `${facts.id}\u0000someone-else`].some((requesterId) => {
    const context = {
      ...contextOf(
        { createdBy: { id: requesterId, name: "", email: "" }, type: "import", reviews: [] },
        workspace.policy,
        null,
      ),
    };
    const decision = decide("new", context, eventFor(action, facts));
    return decision.allowed || decision.refusal.kind !== "Forbidden";
  });
};

const hasAny = (actor: Actor, roles: readonly Role[]) => actor.roles.some((role) => roles.includes(role));

export const createAirlock = (ports: AirlockPorts, options: AirlockOptions = {}): Airlock => {
  const engine: Engine = createEngine(ports, resolveOptions(options));
  const processor = createProcessor(engine);
  const { nowSeconds, loadWorkspace, loadRequest, deny, commit } = engine;

  const view = (request: AirlockRequest, workspace: Workspace, actor: Actor): RequestView => ({
    airlockRequest: request,
    allowedUserActions: allowedUserActions(request, workspace.policy, actor),
  });

  const kick = (request: AirlockRequest) => {
    if (engine.options.processing === "inline") processor.schedule(request.id);
  };

  const requireRead = (actor: Actor, workspaceId: string, roles: readonly Role[], action: string) =>
    loadWorkspace(workspaceId).andThen((workspace) =>
      hasAny(actor, roles)
        ? okAsync(workspace)
        : errAsync<Workspace, AirlockError>({
            kind: "Forbidden",
            message: `${action} needs one of the roles ${roles.join(", ")}`,
          }),
    );

  /** The shape every request command shares: role, request, input, then the machine decides. */
  const command = <I>(
    actor: Actor,
    workspaceId: string,
    requestId: string,
    action: UserAction,
    readInput: () => ResultAsync<I, AirlockError>,
    apply: (context: { workspace: Workspace; request: AirlockRequest; input: I }) => ResultAsync<
      {
        event: MachineEvent;
        fileCount: number | null;
        build: (to: AirlockRequest["status"]) => ResultAsync<AirlockRequest, AirlockError>;
      },
      AirlockError
    >,
    after?: (stored: AirlockRequest, workspace: Workspace) => void,
  ): ResultAsync<RequestView, AirlockError> =>
    loadWorkspace(workspaceId).andThen((workspace) => {
      const who = { workspaceId, requestId, actor, action };
      if (!roleAllows(action, actor, workspace)) {
        return deny<RequestView>(
          { kind: "Forbidden", message: `your roles do not allow you to ${action} a request` },
          { ...who, requestId: null },
        );
      }
      return loadRequest(workspaceId, requestId).andThen((request) =>
        readInput()
          .orElse((error) => deny<I>(error, { ...who, request }))
          .andThen((input) => apply({ workspace, request, input }))
          .andThen(({ event, fileCount, build }) => {
            const decision = decide(request.status, contextOf(request, workspace.policy, fileCount), event);
            if (!decision.allowed) {
              return deny<RequestView>(refusalError(decision.refusal.kind, decision.refusal.message), {
                ...who,
                request,
              });
            }
            return build(decision.to)
              .andThen((next) => commit(request, next, actor, action, workspace))
              .orElse((error) =>
                error.kind === "Conflict"
                  ? deny<AirlockRequest>(error, { ...who, request })
                  : errAsync(error),
              )
              .map((stored) => {
                after?.(stored, workspace);
                kick(stored);
                return view(stored, workspace, actor);
              });
          }),
      );
    });

  const noInput = () => okAsync<undefined, AirlockError>(undefined);

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
    return command(
      actor,
      workspaceId,
      requestId,
      action,
      () => parse(schema, input),
      ({ request, input: body }) => {
        const decided = read(body);
        return okAsync({
          event: eventFor(action, actorFacts(actor), decided.approve),
          fileCount: null,
          build: (to: AirlockRequest["status"]) => {
            const at = nowSeconds();
            review = {
              id: ports.ids.next(),
              reviewer: userRef(actor),
              reviewDecision: decided.reviewDecision,
              decisionExplanation: decided.explanation,
              dateCreated: at,
            };
            return okAsync(
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
    );
  };

  const airlock: Airlock = {
    create: (actor, workspaceId, input) =>
      loadWorkspace(workspaceId).andThen((workspace) => {
        const who = { workspaceId, requestId: null, actor, action: "create" };
        const context = contextOf(
          { createdBy: userRef(actor), type: "import", reviews: [] },
          workspace.policy,
          null,
        );
        const decision = decide("new", context, { type: "CREATE", actor: actorFacts(actor) });
        if (!decision.allowed) {
          return deny<RequestView>(refusalError(decision.refusal.kind, decision.refusal.message), who);
        }
        return parse(NewRequestInput, input)
          .orElse((error) => deny<z.infer<typeof NewRequestInput>>(error, who))
          .andThen((fields) => {
            const at = nowSeconds();
            const creator = userRef(actor);
            const draft: Omit<AirlockRequest, "etag"> = {
              id: ports.ids.next(),
              workspaceId,
              type: fields.type,
              title: fields.title,
              businessJustification: fields.businessJustification,
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
            return ports.storage
              .provision(containerOf(draft), "draft")
              .mapErr(fromPortError)
              .andThen(() =>
                ports.repository.create({ ...draft, pendingAudit: [created] }).mapErr(fromPortError),
              )
              .andThen((stored) =>
                engine.append(created).map(() => {
                  engine.announce(stored, null, workspace);
                  return view(stored, workspace, actor);
                }),
              );
          });
      }),

    get: (actor, workspaceId, requestId) =>
      requireRead(actor, workspaceId, READ_ROLES, "reading requests").andThen((workspace) =>
        loadRequest(workspaceId, requestId).map((request) => view(request, workspace, actor)),
      ),

    list: (actor, workspaceId, query) =>
      requireRead(actor, workspaceId, READ_ROLES, "listing requests").andThen((workspace) =>
        parse(ListQuery, query).andThen((q) =>
          ports.repository
            .list({
              workspaceIds: [workspaceId],
              ...(q.creator_user_id ? { creator: q.creator_user_id } : {}),
              ...(q.type ? { type: q.type } : {}),
              ...(q.status ? { statuses: [q.status] } : {}),
              ...(q.order_by ? { orderBy: q.order_by } : {}),
              ...(q.order_ascending !== undefined ? { ascending: q.order_ascending } : {}),
              pageSize: q.page_size,
              ...(q.continuation ? { continuation: q.continuation } : {}),
            })
            .mapErr(fromPortError)
            .map(
              (page): RequestList => ({
                items: page.items.map((request) => view(request, workspace, actor)),
                continuation: page.continuation,
              }),
            ),
        ),
      ),

    listForUser: (actor, query) =>
      parse(UserListQuery, query).andThen((q) =>
        ports.workspaces
          .list()
          .mapErr(fromPortError)
          .andThen((workspaces) => {
            const byId = new Map(workspaces.map((w) => [w.id, w]));
            // Roles across workspaces come from the directory, as the token holds only TRE roles here.
            const actorIn = (workspace: Workspace): Actor => {
              const member = workspace.members.find((m) => m.id === actor.id);
              return { ...actor, roles: [...actor.roles, ...(member?.roles ?? [])] };
            };
            const managed = workspaces
              .filter((w) => actorIn(w).roles.includes("AirlockManager"))
              .map((w) => w.id);
            if (q.airlockManager && managed.length === 0)
              return okAsync<RequestList, AirlockError>({ items: [], continuation: null });
            return ports.repository
              .list({
                ...(q.airlockManager
                  ? { workspaceIds: managed, statuses: ["in_review"] }
                  : { creator: actor.id }),
                pageSize: q.page_size,
                ...(q.continuation ? { continuation: q.continuation } : {}),
              })
              .mapErr(fromPortError)
              .map((page): RequestList => {
                const items = page.items.flatMap((request) => {
                  const workspace = byId.get(request.workspaceId);
                  if (!workspace) return [];
                  const shown = view(request, workspace, actorIn(workspace));
                  return !q.airlockManager || shown.allowedUserActions.includes("review") ? [shown] : [];
                });
                return { items, continuation: page.continuation };
              });
          }),
      ),

    link: (actor, workspaceId, requestId) =>
      requireRead(actor, workspaceId, READ_ROLES, "getting a link").andThen(() =>
        loadRequest(workspaceId, requestId).andThen((request) => {
          const who = { workspaceId, requestId, actor, action: "link", request };
          const decision = linkDecision(request, actor);
          if (decision.kind === "refused") {
            const error: AirlockError =
              decision.reason === "Forbidden"
                ? { kind: "Forbidden", message: decision.message }
                : { kind: "NoLink", message: decision.message };
            return deny<LinkView>(error, who);
          }
          const stage = statusMeta(request.status).stage as Stage;
          const expiresAt = new Date(ports.clock.now() + engine.options.linkTtlSeconds * 1000);
          const ref = containerOf(request);
          return ports.storage
            .provision(ref, stage)
            .andThen(() => ports.storage.link(ref, stage, decision.access, expiresAt))
            .mapErr(fromPortError)
            .andThen((link) =>
              engine
                .audit({
                  stream: request.id,
                  workspaceId,
                  requestId,
                  actor,
                  action: "link",
                  outcome: "allowed",
                  reason: `${decision.access.join(",")} on ${stage}`,
                  fromStatus: request.status,
                  toStatus: request.status,
                })
                .map(
                  (): LinkView => ({
                    containerUrl: link.containerUrl,
                    expiresAt: link.expiresAt,
                    stage,
                    access: decision.access,
                  }),
                ),
            );
        }),
      ),

    submit: (actor, workspaceId, requestId) =>
      command(actor, workspaceId, requestId, "submit", noInput, ({ request }) =>
        ports.storage
          .listFiles(containerOf(request), "draft")
          .mapErr(fromPortError)
          .map((files) => ({
            event: eventFor("submit", actorFacts(actor)),
            fileCount: files.length,
            // The hashes recorded here are what every later move is checked against.
            build: (to: AirlockRequest["status"]) =>
              ports.storage
                .describe(containerOf(request), "draft")
                .mapErr(fromPortError)
                .map((described: readonly FileRecord[]) =>
                  withStatus(request, to, actor, nowSeconds(), {
                    files: [...described],
                    statusMessage: null,
                  }),
                ),
          })),
      ),

    cancel: (actor, workspaceId, requestId) =>
      command(actor, workspaceId, requestId, "cancel", noInput, ({ request }) =>
        okAsync({
          event: eventFor("cancel", actorFacts(actor)),
          fileCount: null,
          build: (to: AirlockRequest["status"]) => okAsync(withStatus(request, to, actor, nowSeconds())),
        }),
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

    auditTrail: (actor, workspaceId, requestId) =>
      requireRead(actor, workspaceId, AUDIT_ROLES, "reading the audit trail").andThen(() =>
        loadRequest(workspaceId, requestId).andThen((request) =>
          ports.audit
            .list(request.id)
            .andThen((entries) =>
              ports.audit.verify(request.id).map((verification) => ({ entries, verification })),
            )
            .mapErr(fromPortError),
        ),
      ),

    authorizeBlobCall: (requestId, stage, operation) =>
      loadRequest(null, requestId).andThen((request) => {
        const meta = statusMeta(request.status);
        if (meta.link.kind !== "grant") {
          return errAsync<AirlockRequest, AirlockError>({
            kind: meta.link.kind === "processing" ? "NoLink" : "Forbidden",
            message:
              meta.link.kind === "processing"
                ? "the request is being processed, try again later"
                : `the request is ${request.status}: its links no longer work`,
          });
        }
        if (meta.stage !== stage || !meta.link.access.includes(operation)) {
          return errAsync<AirlockRequest, AirlockError>({
            kind: "Forbidden",
            message: `a ${operation} in the ${stage} stage is not allowed while the request is ${request.status}`,
          });
        }
        return okAsync(request);
      }),

    upload: (requestId, name, content) =>
      airlock.authorizeBlobCall(requestId, "draft", "write").andThen((request) => {
        const valid = FileName.safeParse(name);
        if (!valid.success) {
          return errAsync<{ name: string; size: number }, AirlockError>({
            kind: "InvalidInput",
            message: "the file name is not valid",
            issues: issuesOf(valid.error),
          });
        }
        return loadWorkspace(request.workspaceId).andThen((workspace) =>
          ports.storage
            .listFiles(containerOf(request), "draft")
            .mapErr(fromPortError)
            .andThen((files) => {
              const replacing = files.some((file) => file.name === name);
              if (!replacing && files.length >= workspace.policy.maxFiles) {
                return errAsync<{ name: string; size: number }, AirlockError>({
                  kind: "PolicyViolation",
                  message: `the workspace allows at most ${workspace.policy.maxFiles} file(s) per request`,
                });
              }
              return ports.storage
                .upload(containerOf(request), "draft", name, content, {
                  maxBytes: workspace.policy.maxFileSize,
                })
                .mapErr(fromPortError);
            }),
        );
      }),

    processor: {
      process: processor.process,
      resume: processor.resume,
      recover: processor.recover,
      idle: engine.idle,
    },
  };
  return airlock;
};
