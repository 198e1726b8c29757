import { err, ok, type Result, ResultAsync } from "neverthrow";
import type { AirlockError } from "../errors.js";
import type { AirlockEvent as MachineEvent } from "../machine/airlock-machine.js";
import { airlockMachine, type MachineStatus } from "../machine/airlock-machine.js";
import { contextOf, decide, IN_PROGRESS_STATUSES, needsProcessing, statusMeta } from "../machine/decide.js";
import { SYSTEM_ACTOR } from "../model/actor.js";
import {
  type AirlockRequest,
  type FileRecord,
  type RequestStatus,
  STATUS_MESSAGE_MAX,
  type Stage,
} from "../model/request.js";
import { DEFAULT_POLICY, type Workspace } from "../model/workspace.js";
import { containerOf, type Engine, fromPort, fromPortError, type Outcome, withStatus } from "./engine.js";
import type { ProcessSummary } from "./types.js";

/**
 * Statuses a person enters that leave data to move or delete although nothing is "in progress"
 * (cancel, revoke): read off the machine, so the sweep follows it.
 */
const settleAfterUserAction: readonly RequestStatus[] = (() => {
  const found = new Set<RequestStatus>();
  for (const [name, node] of Object.entries(airlockMachine.root.states)) {
    for (const transitions of node.transitions.values()) {
      for (const transition of transitions) {
        for (const target of transition.target ?? []) {
          const to = target.key as RequestStatus;
          const from = name as MachineStatus;
          if (from === "new" || to === from) continue;
          const toMeta = statusMeta(to);
          if (!toMeta.inProgress && toMeta.stage !== "keep" && toMeta.stage !== statusMeta(from).stage)
            found.add(to);
        }
      }
    }
  }
  // Statuses the processor itself reaches get their stage in the same write.
  return [...found].filter(
    (status) => status !== "approved" && status !== "rejected" && status !== "blocked_by_scan",
  );
})();

export const SWEPT_STATUSES: readonly RequestStatus[] = [...IN_PROGRESS_STATUSES, ...settleAfterUserAction];

const sameFiles = (expected: readonly FileRecord[], actual: readonly FileRecord[]) => {
  if (expected.length !== actual.length) return false;
  const byName = new Map(actual.map((file) => [file.name, file]));
  return expected.every((file) => {
    const other = byName.get(file.name);
    return other !== undefined && other.size === file.size && other.sha256 === file.sha256;
  });
};

type Step = { readonly request: AirlockRequest; readonly progressed: boolean };

export const createProcessor = (engine: Engine) => {
  const { ports, options, nowSeconds, commit } = engine;
  const running = new Map<string, Promise<unknown>>();

  const enteredAt = (request: AirlockRequest) => request.history.at(-1)?.updatedWhen ?? request.updatedWhen;

  /** Asks the machine to apply a system event, then stores the result. */
  const fire = async (
    workspace: Workspace,
    request: AirlockRequest,
    event: MachineEvent,
    action: string,
    patch: Partial<AirlockRequest> = {},
  ): Outcome<Step> => {
    const decision = decide(request.status, contextOf(request, workspace.policy, null), event);
    if (!decision.allowed) return err({ kind: "IllegalTransition", message: decision.refusal.message });
    const next = withStatus(request, decision.to, SYSTEM_ACTOR, nowSeconds(), patch);
    const stored = await commit(request, next, SYSTEM_ACTOR, action, workspace);
    return stored.isErr() ? err(stored.error) : ok({ request: stored.value, progressed: true });
  };

  const fail = (workspace: Workspace, request: AirlockRequest, message: string) =>
    fire(workspace, request, { type: "FAIL" }, "fail", {
      statusMessage: message.slice(0, STATUS_MESSAGE_MAX),
    });

  /** A write that records progress on the request without changing its status. */
  const note = async (
    request: AirlockRequest,
    next: AirlockRequest,
    action: string,
    progressed: boolean,
  ): Outcome<Step> => {
    const stored = await commit(request, next, SYSTEM_ACTOR, action, null);
    return stored.isErr() ? err(stored.error) : ok({ request: stored.value, progressed });
  };

  /** What is wrong with the files a move answered, or null when they are the ones recorded at submit. */
  const integrityProblem = (request: AirlockRequest, moved: readonly FileRecord[], to: Stage) => {
    if (moved.length === 0 && request.files.length > 0) {
      return `integrity check failed: no file arrived in the ${to} stage`;
    }
    if (moved.length === 0) return "Request did not contain any files.";
    if (!sameFiles(request.files, moved)) {
      return `integrity check failed: the files in the ${to} stage do not match the sha256 recorded at submit`;
    }
    return null;
  };

  /** Moves the files and checks them against the hashes recorded at submit. */
  const moveVerified = async (
    workspace: Workspace,
    request: AirlockRequest,
    from: Stage,
    to: Stage,
    onMoved: (request: AirlockRequest) => Outcome<Step>,
  ): Outcome<Step> => {
    const moved = await fromPort(ports.storage.move(containerOf(request), from, to, request.files));
    let result: Result<Step, AirlockError>;
    if (moved.isErr()) {
      result = err(moved.error);
    } else {
      const problem = integrityProblem(request, moved.value, to);
      result = problem === null ? await onMoved(request) : await fail(workspace, request, problem);
    }
    if (result.isOk()) return result;
    // A backing service that stays down must not leave the request in progress for ever.
    if (
      statusMeta(request.status).inProgress &&
      nowSeconds() - enteredAt(request) > options.processingDeadlineSeconds
    ) {
      return fail(
        workspace,
        request,
        `processing did not finish within ${options.processingDeadlineSeconds} s: ${result.error.message}`,
      );
    }
    return result;
  };

  const scan = async (workspace: Workspace, request: AirlockRequest): Outcome<Step> => {
    const now = nowSeconds();
    if (now - enteredAt(request) > options.scanDeadlineSeconds) {
      return fail(
        workspace,
        request,
        `no malware scan verdict arrived within ${options.scanDeadlineSeconds} s`,
      );
    }
    if (request.scanRequestedWhen !== null && now - request.scanRequestedWhen < options.scanRetrySeconds) {
      return ok({ request, progressed: false });
    }
    const waitForVerdict = () =>
      note(request, { ...request, scanRequestedWhen: now }, "scan-requested", false);
    const outcome = await ports.scanner.scan(containerOf(request), "in_progress");
    let result: Result<Step, AirlockError>;
    if (outcome.isErr()) {
      result = err(outcome.error);
    } else if (outcome.value.verdict === "clean") {
      result = await fire(workspace, request, { type: "SCAN_CLEAN" }, "scan-clean", {
        scanRequestedWhen: now,
      });
    } else if (outcome.value.verdict === "threat") {
      result = await fire(workspace, request, { type: "SCAN_THREAT" }, "scan-threat", {
        scanRequestedWhen: now,
        statusMessage: `malware scan: ${outcome.value.detail}`.slice(0, STATUS_MESSAGE_MAX),
      });
    } else {
      result = await waitForVerdict();
    }
    if (result.isOk() || result.error.kind !== "Unavailable") return result;
    options.onBackgroundError({ step: "process", requestId: request.id, error: result.error });
    return waitForVerdict();
  };

  /** One step towards where the machine says the request should rest. */
  const step = async (workspace: Workspace, request: AirlockRequest): Outcome<Step> => {
    const meta = statusMeta(request.status);
    if (request.status === "submitted") {
      if (request.dataStage === "draft") {
        if (request.files.length === 0) return fail(workspace, request, "Request did not contain any files.");
        return moveVerified(workspace, request, "draft", "in_progress", (r) =>
          fire(workspace, r, { type: "STAGED" }, "staged", { dataStage: "in_progress" }),
        );
      }
      return workspace.policy.scanning
        ? scan(workspace, request)
        : fire(workspace, request, { type: "STAGED" }, "staged");
    }
    if (meta.inProgress) {
      const moved = decide(request.status, contextOf(request, DEFAULT_POLICY, null), { type: "DATA_MOVED" });
      if (!moved.allowed) return err({ kind: "IllegalTransition", message: moved.refusal.message });
      const target = statusMeta(moved.to).stage as Stage;
      const from = request.dataStage ?? "in_progress";
      return moveVerified(workspace, request, from, target, (r) =>
        fire(workspace, r, { type: "DATA_MOVED" }, "data-moved", { dataStage: target }),
      );
    }
    if (!needsProcessing(request) || request.dataStage === null) return ok({ request, progressed: false });
    const ref = containerOf(request);
    const from = request.dataStage;
    if (meta.stage === null) {
      const deleted = await fromPort(ports.storage.deleteContainer(ref, from));
      if (deleted.isErr()) return err(deleted.error);
      return note(request, { ...request, dataStage: null }, "data-deleted", true);
    }
    const target = meta.stage as Stage;
    const moved = await fromPort(
      ports.storage.move(ref, from, target, request.files.length > 0 ? request.files : undefined),
    );
    if (moved.isErr()) return err(moved.error);
    return note(request, { ...request, dataStage: target }, "data-moved", true);
  };

  const MAX_STEPS = 8;

  const run = async (requestId: string): Promise<Result<AirlockRequest, AirlockError>> => {
    let current = await engine.requestOf(null, requestId);
    if (current.isErr()) return current;
    const workspace = await engine.workspaceOf(current.value.workspaceId);
    if (workspace.isErr()) return err(workspace.error);
    for (let steps = 0; steps < MAX_STEPS && current.isOk(); steps += 1) {
      const result = await step(workspace.value, current.value);
      if (result.isErr()) {
        if (result.error.kind !== "Conflict") return err(result.error);
        // Someone else moved the request on: read it again and carry on from there.
        current = await engine.requestOf(null, requestId);
        continue;
      }
      current = ok(result.value.request);
      if (!result.value.progressed) break;
    }
    return current;
  };

  /** One run per request at a time in this process; the repository's etag guards across processes. */
  const process = (requestId: string): ResultAsync<AirlockRequest, AirlockError> => {
    const previous = running.get(requestId) ?? Promise.resolve();
    const next = previous.then(() => run(requestId));
    running.set(requestId, next);
    void next.finally(() => {
      if (running.get(requestId) === next) running.delete(requestId);
    });
    return new ResultAsync(next);
  };

  const schedule = (requestId: string) =>
    engine.background(async () => {
      const result = await process(requestId);
      if (result.isErr()) {
        options.onBackgroundError({ step: "process", requestId, error: result.error });
      }
    });

  const pendingIds = async (): Promise<Result<string[], AirlockError>> => {
    const ids: string[] = [];
    let continuation: string | undefined;
    do {
      const page = await ports.repository.list({
        statuses: SWEPT_STATUSES,
        pageSize: 100,
        orderBy: "createdWhen",
        ascending: true,
        ...(continuation ? { continuation } : {}),
      });
      if (page.isErr()) return err(fromPortError(page.error));
      for (const request of page.value.items) if (needsProcessing(request)) ids.push(request.id);
      continuation = page.value.continuation ?? undefined;
    } while (continuation);
    return ok(ids);
  };

  const resume = (): ResultAsync<ProcessSummary, AirlockError> =>
    new ResultAsync(pendingIds()).andThen((ids) =>
      ResultAsync.fromSafePromise(
        (async () => {
          const summary = { processed: 0, stillWaiting: 0, failed: 0 };
          for (const id of ids) {
            const result = await process(id);
            if (result.isErr()) summary.failed += 1;
            else if (statusMeta(result.value.status).inProgress) summary.stillWaiting += 1;
            else summary.processed += 1;
          }
          return summary;
        })(),
      ),
    );

  const scanVerdict = async (
    requestId: string,
    outcome: { readonly verdict: "clean" } | { readonly verdict: "threat"; readonly detail: string },
    file?: string,
  ): Outcome<AirlockRequest> => {
    let found = await engine.requestOf(null, requestId);
    if (found.isErr()) return found;
    // Scans look at the in-progress stage: stage the files first if the verdict came early.
    if (found.value.status === "submitted" && found.value.dataStage === "draft") {
      found = await process(requestId);
      if (found.isErr()) return found;
    }
    const request = found.value;
    const workspace = await engine.workspaceOf(request.workspaceId);
    if (workspace.isErr()) return err(workspace.error);
    // A verdict for a request that moved on (late, or delivered twice) changes nothing.
    if (request.status !== "submitted") return ok(request);
    const settled = (step: Result<Step, AirlockError>) => step.map((s) => s.request);
    if (outcome.verdict === "threat") {
      const detail = file === undefined ? outcome.detail : `${file}: ${outcome.detail}`;
      return settled(
        await fire(workspace.value, request, { type: "SCAN_THREAT" }, "scan-threat", {
          statusMessage: `malware scan: ${detail}`.slice(0, STATUS_MESSAGE_MAX),
        }),
      );
    }
    if (file === undefined) {
      return settled(await fire(workspace.value, request, { type: "SCAN_CLEAN" }, "scan-clean"));
    }
    if (!request.files.some((f) => f.name === file)) {
      return err({ kind: "NotFound", message: `request ${requestId} has no file named ${file}` });
    }
    const cleanFiles = [...new Set([...request.cleanFiles, file])];
    const allClean = request.files.every((f) => cleanFiles.includes(f.name));
    if (!allClean) {
      if (cleanFiles.length === request.cleanFiles.length) return ok(request);
      return commit(request, { ...request, cleanFiles }, SYSTEM_ACTOR, "scan-clean-file", null);
    }
    return settled(
      await fire(workspace.value, request, { type: "SCAN_CLEAN" }, "scan-clean", { cleanFiles }),
    );
  };

  const applyScanVerdict = (
    requestId: string,
    outcome: { readonly verdict: "clean" } | { readonly verdict: "threat"; readonly detail: string },
    file?: string,
  ): ResultAsync<AirlockRequest, AirlockError> => new ResultAsync(scanVerdict(requestId, outcome, file));

  /** Audit entries (and announcements) of recent writes that a crash cut off, newest first. */
  const recoverAudit = async (): Promise<Result<{ recovered: number }, AirlockError>> => {
    const since = nowSeconds() - options.recoveryWindowSeconds;
    let recovered = 0;
    let continuation: string | undefined;
    do {
      const page = await ports.repository.list({
        orderBy: "updatedWhen",
        ascending: false,
        pageSize: 100,
        ...(continuation ? { continuation } : {}),
      });
      if (page.isErr()) return err(fromPortError(page.error));
      for (const request of page.value.items) {
        if (request.updatedWhen < since) return ok({ recovered });
        const flushed = await engine.flush(request);
        if (flushed.isErr()) return err(flushed.error);
        recovered += flushed.value;
      }
      continuation = page.value.continuation ?? undefined;
    } while (continuation);
    return ok({ recovered });
  };

  const recover = (): ResultAsync<{ recovered: number }, AirlockError> => new ResultAsync(recoverAudit());

  return { process, resume, recover, schedule, applyScanVerdict };
};
