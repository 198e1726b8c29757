/**
 * What the crash tests share: request lifecycles driven against an API that is killed and started
 * again underneath them, and the checks of what a kill may not break (audit entries of every status
 * change). Each profile's test says how a submitted request gets its verdict and how it starts the
 * API again.
 */
import type { AirlockRequest, AirlockStorage, AuditEntry, RequestRepository, Stage } from "@airlock/core";
import { needsProcessing, StageSchema, statusMeta } from "@airlock/core";
import { mintDevToken } from "@airlock/http";
import { API_AUDIENCE, TEST_SECRET } from "../../../http/test/support/server.js";

/** mulberry32: a small seeded generator, so a failing run can be replayed. */
export const seeded = (seed: number) => {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
};

export const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export type Plan = {
  readonly verdict: "clean" | "threat";
  readonly decision: "approve" | "reject" | "cancel" | "cancel-draft";
};

export const planFor = (random: () => number): Plan => {
  const roll = random();
  return {
    verdict: random() < 0.1 ? "threat" : "clean",
    decision: roll < 0.05 ? "cancel-draft" : roll < 0.2 ? "cancel" : roll < 0.45 ? "reject" : "approve",
  };
};

export interface CrashStats {
  restarts: number;
  retriedCalls: number;
  readonly unexpected: string[];
}

export type Answer = { status: number; body: Record<string, unknown> };

export interface CallInit {
  readonly method?: string;
  readonly token?: string;
  readonly json?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

/**
 * Calls that are repeated while the API is down or restarting (a refused or reset connection, a
 * 503); any other 5xx is counted as unexpected.
 */
export const retryingCall =
  (base: string, stats: CrashStats) =>
  async (path: string, init: CallInit = {}): Promise<Answer> => {
    for (;;) {
      try {
        const response = await fetch(path.startsWith("http") ? path : `${base}${path}`, {
          method: init.method ?? "GET",
          headers: {
            ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
            ...(init.json === undefined ? {} : { "content-type": "application/json" }),
            ...init.headers,
          },
          ...(init.json === undefined ? {} : { body: JSON.stringify(init.json) }),
        });
        const text = await response.text();
        if (response.status === 503) {
          stats.retriedCalls += 1;
          await pause(50);
          continue;
        }
        if (response.status >= 500)
          stats.unexpected.push(`${init.method ?? "GET"} ${path}: ${response.status} ${text}`);
        let body: Record<string, unknown> = {};
        try {
          body = text === "" ? {} : (JSON.parse(text) as Record<string, unknown>);
        } catch (_notJson) {
          body = { text };
        }
        return { status: response.status, body };
      } catch (_down) {
        // The process is gone (killed) or not listening yet: try again shortly.
        stats.retriedCalls += 1;
        await pause(100);
      }
    }
  };

export interface People {
  readonly admin: string;
  readonly alice: string;
  readonly bob: string;
}

export const peopleOf = async (workspaceId: string): Promise<People> => {
  const token = (user: string, roles: string[], audience: string) =>
    mintDevToken({ secret: TEST_SECRET, userId: user, roles, audience });
  return {
    admin: await token("root", ["TREAdmin"], API_AUDIENCE),
    alice: await token("alice", ["WorkspaceResearcher"], workspaceId),
    bob: await token("bob", ["AirlockManager"], workspaceId),
  };
};

/** Registers the test's workspace: Alice researches, Bob manages the airlock. */
export const registerWorkspace = async (
  call: (path: string, init?: CallInit) => Promise<Answer>,
  people: People,
  workspaceId: string,
  airlock: Record<string, unknown>,
) =>
  call(`/api/workspaces/${workspaceId}`, {
    method: "PUT",
    token: people.admin,
    json: {
      displayName: "Crash",
      airlock,
      members: [
        { id: "alice", name: "Alice", email: "alice@example.org", roles: ["WorkspaceResearcher"] },
        { id: "bob", name: "Bob", email: "bob@example.org", roles: ["AirlockManager"] },
      ],
    },
  });

export interface LifecycleOptions {
  readonly call: (path: string, init?: CallInit) => Promise<Answer>;
  readonly people: People;
  readonly workspaceId: string;
  /** Puts the request's one file through its draft link; resolves once it is stored. */
  readonly upload: (containerUrl: string, index: number, plan: Plan) => Promise<void>;
  /** What the test does while the request is `submitted` (deliver a verdict, or wait). */
  readonly whileSubmitted: (id: string, plan: Plan) => Promise<void>;
}

/**
 * One request from creation to a final status as its plan says; answers its id. A create whose
 * answer was lost to a kill leaves an orphan draft; the one answered is this lifecycle's.
 */
export const driveLifecycle = async (
  options: LifecycleOptions,
  index: number,
  plan: Plan,
  onCreated: (id: string) => void,
): Promise<string> => {
  const { call, people, workspaceId } = options;
  const created = await call(`/api/workspaces/${workspaceId}/requests`, {
    method: "POST",
    token: people.alice,
    json: { type: "import", title: `Lifecycle ${index}`, businessJustification: "Crash test" },
  });
  if (created.status !== 201) throw new Error(`create answered ${created.status}`);
  const id = (created.body.airlockRequest as { id: string }).id;
  onCreated(id);
  const path = `/api/workspaces/${workspaceId}/requests/${id}`;
  let uploaded = false;
  for (let step = 0; step < 500; step++) {
    const read = await call(path, { token: people.alice });
    const request = read.body.airlockRequest as AirlockRequest;
    switch (request.status) {
      case "draft":
        if (plan.decision === "cancel-draft") {
          await call(`${path}/cancel`, { method: "POST", token: people.alice });
          break;
        }
        if (!uploaded) {
          const link = await call(`${path}/link`, { token: people.alice });
          await options.upload(String(link.body.containerUrl ?? ""), index, plan);
          uploaded = true;
        }
        await call(`${path}/submit`, { method: "POST", token: people.alice });
        break;
      case "submitted":
        await options.whileSubmitted(id, plan);
        break;
      case "in_review":
        if (plan.decision === "cancel" || plan.decision === "cancel-draft") {
          await call(`${path}/cancel`, { method: "POST", token: people.alice });
        } else {
          await call(`${path}/review`, {
            method: "POST",
            token: people.bob,
            json: { approval: plan.decision === "approve", decisionExplanation: "Looked at it" },
          });
        }
        break;
      default:
        if (statusMeta(request.status).final) return id;
        // Data moving: the processor (or the sweep after a restart) finishes it.
        await pause(50);
    }
  }
  throw new Error(`request ${id} did not finish`);
};

/**
 * Runs `count` lifecycles with `concurrency` at once while `kill` is called after chosen numbers of
 * them finished (seeded), each after a seeded delay. Answers the ids created and when the kills came.
 */
export const runWithKills = async (options: {
  readonly lifecycle: LifecycleOptions;
  readonly random: () => number;
  readonly count: number;
  readonly concurrency: number;
  readonly kills: number;
  readonly maxDelayMs: number;
  readonly kill: () => Promise<void>;
}) => {
  const { random, count } = options;
  const plans = Array.from({ length: count }, () => planFor(random));
  const killAt = Array.from({ length: options.kills }, () => Math.floor(15 + random() * (count - 40))).sort(
    (a, b) => a - b,
  );
  const delays = killAt.map(() => Math.floor(random() * options.maxDelayMs));
  const ids: string[] = [];
  let finished = 0;
  const began = Date.now();
  const killedAt: number[] = [];
  const killer = (async () => {
    for (const [index, threshold] of killAt.entries()) {
      while (finished < threshold) await pause(10);
      await pause(delays[index] ?? 0);
      await options.kill();
      killedAt.push(Date.now() - began);
    }
  })();
  let next = 0;
  const workers = Array.from({ length: options.concurrency }, async () => {
    while (next < count) {
      const index = next++;
      await driveLifecycle(options.lifecycle, index, plans[index] as Plan, (id) => ids.push(id));
      finished += 1;
    }
  });
  await Promise.all(workers);
  await killer;
  return { ids, finished, killAt, killedAt, drove: Date.now() - began };
};

/**
 * Matches a request's status history against the transitions its audit trail records. Each write
 * carries its audit record under a key; the log should hold every key once (`duplicateKeys` counts
 * those it holds more often).
 */
export const auditAgainstHistory = (request: AirlockRequest, entries: readonly AuditEntry[]) => {
  let duplicateKeys = 0;
  const seen = new Set<string>();
  const unique = entries.filter((entry) => {
    if (entry.key === null) return true;
    if (seen.has(entry.key)) {
      duplicateKeys += 1;
      return false;
    }
    seen.add(entry.key);
    return true;
  });
  const remaining = unique.filter((entry) => entry.outcome === "transition").map((entry) => entry.toStatus);
  let missing = 0;
  for (const { status } of request.history) {
    const at = remaining.indexOf(status);
    if (at >= 0) remaining.splice(at, 1);
    else missing += 1;
  }
  const problem =
    remaining.length === 0
      ? null
      : `${request.id}: audit transitions without a status change: ${remaining} (history ${request.history.map((h) => h.status)}; audit ${entries.map((e) => `${e.seq}:${e.key}:${e.action}:${e.outcome}:${e.fromStatus}->${e.toStatus}`)})`;
  return { missing, duplicateKeys, problem };
};

/** Requests by status, for the test's summary line. */
export const countByStatus = (requests: readonly AirlockRequest[]) =>
  Object.fromEntries(
    [...new Set(requests.map((r) => r.status))].map((status) => [
      status,
      requests.filter((r) => r.status === status).length,
    ]),
  );

/** Every request the repository holds, a page at a time. */
export const listAllRequests = async (repository: RequestRepository): Promise<AirlockRequest[]> => {
  const found: AirlockRequest[] = [];
  let continuation: string | undefined;
  do {
    const page = (
      await repository.list({ pageSize: 100, ...(continuation ? { continuation } : {}) })
    )._unsafeUnwrap();
    found.push(...page.items);
    continuation = page.continuation ?? undefined;
  } while (continuation);
  return found;
};

/**
 * Every request, once none is left to process or after a deadline far beyond the sweep's interval.
 * A final status can still leave data to delete or move (a cancel in review): the API does it after
 * answering, and after a kill the restarted API's sweep does; the client may have seen the final
 * status before either finished.
 */
export const settledRequests = async (repository: RequestRepository, withinMs = 30_000) => {
  const settleBy = Date.now() + withinMs;
  let all = await listAllRequests(repository);
  while (all.some(needsProcessing) && Date.now() < settleBy) {
    await pause(250);
    all = await listAllRequests(repository);
  }
  return all;
};

const STAGES: readonly Stage[] = StageSchema.options;

/**
 * What is wrong with where a request's files are: a request the test drove that did not end, one
 * still in progress, files in a stage other than its status's (or in two), or bytes other than
 * those recorded at submit.
 */
export const storedFileProblems = async (
  request: AirlockRequest,
  storage: AirlockStorage,
  drivenByTest: boolean,
): Promise<string[]> => {
  const problems: string[] = [];
  const meta = statusMeta(request.status);
  if (drivenByTest && !meta.final) problems.push(`${request.id} ended ${request.status}`);
  if (meta.inProgress) problems.push(`${request.id} is still ${request.status}`);
  const ref = { requestId: request.id, workspaceId: request.workspaceId, type: request.type };
  const holding: Stage[] = [];
  for (const stage of STAGES) {
    if ((await storage.listFiles(ref, stage))._unsafeUnwrap().length > 0) holding.push(stage);
  }
  const expected = meta.stage === "keep" ? request.dataStage : meta.stage;
  if (request.dataStage !== expected)
    problems.push(`${request.id} (${request.status}) has dataStage ${request.dataStage}`);
  const want =
    expected === null || (request.status === "draft" && request.files.length === 0) ? [] : [expected];
  if (request.status !== "draft" && JSON.stringify(holding) !== JSON.stringify(want)) {
    problems.push(`${request.id} (${request.status}) has files in [${holding}], expected [${want}]`);
  }
  if (expected !== null && request.files.length > 0 && request.status !== "draft") {
    const described = (await storage.describe(ref, expected))._unsafeUnwrap();
    const recorded = request.files.map((file) => `${file.name}:${file.sha256}`).sort();
    if (
      JSON.stringify(described.map((file) => `${file.name}:${file.sha256}`).sort()) !==
      JSON.stringify(recorded)
    ) {
      problems.push(`${request.id}: the files in ${expected} are not those recorded at submit`);
    }
  }
  return problems;
};
