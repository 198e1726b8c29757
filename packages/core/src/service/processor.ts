import { err, ok, type Result, ResultAsync } from "neverthrow";
import type { AirlockError } from "../errors.js";
import type { AirlockEvent as MachineEvent } from "../machine/airlock-machine.js";
import { contextOf, type Decision, decide, statusAccepts } from "../machine/decide.js";
import { needsProcessing, SWEPT_STATUSES, stageOf, statusMeta } from "../machine/status-meta.js";
import { SYSTEM_ACTOR } from "../model/actor.js";
import {
  FINDING_MESSAGE_MAX,
  FINDINGS_PER_FILE_MAX,
  type Finding,
  type GateSettings,
  type GateVerdict,
} from "../model/gates.js";
import { visibleFileName } from "../model/primitives.js";
import { type AirlockRequest, type FileRecord, STATUS_MESSAGE_MAX, type Stage } from "../model/request.js";
import { contentGates, type Workspace } from "../model/workspace.js";
import type { GateAnswer, GateError } from "../ports/gate.js";
import { epochSeconds } from "./audit-records.js";
import type { BackgroundWork } from "./background.js";
import { containerOf, loadRequest, loadWorkspace } from "./lookup.js";
import type { ResolvedOptions } from "./options.js";
import { fromPort, fromPortError, type Outcome } from "./outcome.js";
import { type RequestWriter, withStatus } from "./request-writer.js";
import type { AirlockPorts, ProcessSummary } from "./types.js";

export interface ProcessorDeps {
  readonly ports: AirlockPorts;
  readonly options: ResolvedOptions;
  readonly writer: RequestWriter;
  readonly background: BackgroundWork;
}

type ScanVerdict = { readonly verdict: "clean" } | { readonly verdict: "threat"; readonly detail: string };

const sameFiles = (expected: readonly FileRecord[], actual: readonly FileRecord[]) => {
  if (expected.length !== actual.length) return false;
  const byName = new Map(actual.map((file) => [file.name, file]));
  return expected.every((file) => {
    const other = byName.get(file.name);
    return other !== undefined && other.size === file.size && other.sha256 === file.sha256;
  });
};

/**
 * The files that move with the request: its active ones, as storage knows them. A withdrawn file's
 * bytes were deleted when it was withdrawn; one found anyway is not recorded, so it stops the move.
 */
const movingFiles = (request: AirlockRequest): FileRecord[] =>
  request.files
    .filter((file) => file.state === "active")
    .map(({ name, size, sha256 }) => ({ name, size, sha256 }));

/** What a step of the processor left: the request as stored, and whether it moved on. */
type Step = { readonly request: AirlockRequest; readonly progressed: boolean };

const MAX_STEPS = 8;

/** How a gate's check ended: its answer, its error, or the engine stopped waiting. */
type GateOutcome =
  | { readonly kind: "answered"; readonly answer: GateAnswer }
  | { readonly kind: "error"; readonly error: GateError }
  | { readonly kind: "timeout" };

/** The findings to record for an answer: a verdict other than `pass` always carries one that says so. */
const findingsOf = (gate: GateSettings, file: string, answer: GateAnswer, turn: number): Finding[] => {
  const findings = answer.findings.slice(0, FINDINGS_PER_FILE_MAX).map((finding) => ({ ...finding, turn }));
  if (answer.verdict === "pass" || findings.some((finding) => finding.verdict === answer.verdict)) {
    return findings;
  }
  return [
    ...findings,
    {
      gate: gate.type,
      file,
      verdict: answer.verdict,
      message: `the ${gate.type} gate answered ${answer.verdict}`,
      turn,
    },
  ];
};

/**
 * What a malware threat writes on the request: the status message, and, when the verdict names one
 * of the request's files, a finding of the malware gate on that file.
 */
const threatPatch = (
  request: AirlockRequest,
  detail: string,
  file: string | undefined,
): Pick<AirlockRequest, "statusMessage" | "findings"> => {
  const named = file !== undefined && movingFiles(request).some((f) => f.name === file);
  const found: Finding[] =
    file !== undefined && named
      ? [
          {
            gate: "malware",
            file,
            verdict: "fail",
            message: detail.slice(0, FINDING_MESSAGE_MAX),
            turn: request.turn,
          },
        ]
      : [];
  return {
    statusMessage: `malware scan: ${file === undefined ? detail : `${file}: ${detail}`}`.slice(
      0,
      STATUS_MESSAGE_MAX,
    ),
    findings: [...request.findings, ...found],
  };
};

export const createProcessor = ({ ports, options, writer, background }: ProcessorDeps) => {
  const running = new Map<string, Promise<unknown>>();
  const now = () => epochSeconds(ports.clock);

  const enteredAt = (request: AirlockRequest) => request.history.at(-1)?.updatedWhen ?? request.updatedWhen;

  /** Stores the status the machine decided, as the system, and announces it. */
  const commitDecision = async (
    workspace: Workspace,
    request: AirlockRequest,
    decision: Decision,
    action: string,
    patch: Partial<AirlockRequest> = {},
  ): Outcome<Step> => {
    if (!decision.allowed) return err({ kind: "IllegalTransition", message: decision.refusal.message });
    const next = withStatus(request, decision.to, SYSTEM_ACTOR, now(), patch);
    const stored = await writer.commit(request, next, { actor: SYSTEM_ACTOR, action, workspace });
    if (stored.isErr()) return err(stored.error);
    return ok({ request: stored.value, progressed: true });
  };

  /** Asks the machine to apply a system event, then stores the result. */
  const applyEvent = (
    workspace: Workspace,
    request: AirlockRequest,
    event: MachineEvent,
    action: string,
    patch: Partial<AirlockRequest> = {},
  ): Outcome<Step> =>
    commitDecision(
      workspace,
      request,
      decide(request.status, contextOf(request, workspace.policy, null), event),
      action,
      patch,
    );

  const fail = (workspace: Workspace, request: AirlockRequest, message: string) =>
    applyEvent(workspace, request, { type: "FAIL" }, "fail", {
      statusMessage: message.slice(0, STATUS_MESSAGE_MAX),
    });

  /** A write that records progress on the request without changing its status. */
  const recordProgress = async (
    request: AirlockRequest,
    next: AirlockRequest,
    action: string,
    progressed: boolean,
  ): Outcome<Step> => {
    const stored = await writer.commit(request, next, { actor: SYSTEM_ACTOR, action });
    return stored.isErr() ? err(stored.error) : ok({ request: stored.value, progressed });
  };

  /** What is wrong with the files a move answered, or null when they are the ones recorded at submit. */
  const integrityProblem = (request: AirlockRequest, moved: readonly FileRecord[], to: Stage) => {
    const expected = movingFiles(request);
    if (moved.length === 0 && expected.length > 0) {
      return `integrity check failed: no file arrived in the ${to} stage`;
    }
    if (moved.length === 0) return "Request did not contain any files.";
    if (!sameFiles(expected, moved)) {
      return `integrity check failed: the files in the ${to} stage do not match the sha256 recorded at submit`;
    }
    return null;
  };

  /**
   * Asks the machine whether the files `from` holds may move on with `event` (a file the engine
   * would refuse, or one not recorded at submit, may not: the request fails with the reason), then
   * moves them, checks them against the hashes recorded at submit and stores what `onMoved`
   * decides; a mismatch fails the request.
   */
  const moveVerified = async (
    workspace: Workspace,
    request: AirlockRequest,
    from: Stage,
    to: Stage,
    event: MachineEvent,
    onMoved: () => Outcome<Step>,
  ): Outcome<Step> => {
    const moveAndCheck = async (): Outcome<Step> => {
      const listed = await fromPort(ports.storage.listFiles(containerOf(request), from));
      if (listed.isErr()) return err(listed.error);
      const mayMove = decide(request.status, contextOf(request, workspace.policy, listed.value), event);
      if (!mayMove.allowed) {
        if (mayMove.refusal.kind === "InvalidFile") return fail(workspace, request, mayMove.refusal.message);
        return err({ kind: "IllegalTransition", message: mayMove.refusal.message });
      }
      const moved = await fromPort(ports.storage.move(containerOf(request), from, to, movingFiles(request)));
      if (moved.isErr()) return err(moved.error);
      const problem = integrityProblem(request, moved.value, to);
      return problem === null ? onMoved() : fail(workspace, request, problem);
    };
    const result = await moveAndCheck();
    if (result.isOk()) return result;
    // A backing service that stays down must not leave the request in progress for ever.
    if (
      statusMeta(request.status).inProgress &&
      now() - enteredAt(request) > options.processingDeadlineSeconds
    ) {
      return fail(
        workspace,
        request,
        `processing did not finish within ${options.processingDeadlineSeconds} s: ${result.error.message}`,
      );
    }
    return result;
  };

  const scan = async (workspace: Workspace, request: AirlockRequest, stage: Stage): Outcome<Step> => {
    const at = now();
    if (at - enteredAt(request) > options.scanDeadlineSeconds) {
      return fail(
        workspace,
        request,
        `no malware scan verdict arrived within ${options.scanDeadlineSeconds} s`,
      );
    }
    if (request.scanRequestedWhen !== null && at - request.scanRequestedWhen < options.scanRetrySeconds) {
      return ok({ request, progressed: false });
    }
    if (ports.scanner === undefined) {
      // Registration refuses such a policy; one registered before, or put in the registry directly,
      // still never passes unscanned.
      return fail(
        workspace,
        request,
        "the workspace's policy asks for a malware scan and this server runs no malware scanner; the request was not let through",
      );
    }
    const scanner = ports.scanner;
    const waitForVerdict = () =>
      recordProgress(request, { ...request, scanRequestedWhen: at }, "scan-requested", false);
    const askScanner = async (): Outcome<Step> => {
      const outcome = await fromPort(scanner.scan(containerOf(request), stage));
      if (outcome.isErr()) return err(outcome.error);
      switch (outcome.value.verdict) {
        case "clean":
          return applyEvent(workspace, request, { type: "SCAN_CLEAN" }, "scan-clean", {
            scanRequestedWhen: at,
          });
        case "threat": {
          const { detail, file } = outcome.value;
          return applyEvent(workspace, request, { type: "SCAN_THREAT" }, "scan-threat", {
            scanRequestedWhen: at,
            ...threatPatch(request, detail, file),
          });
        }
        case "pending":
          return waitForVerdict();
      }
    };
    const result = await askScanner();
    if (result.isOk() || result.error.kind !== "Unavailable") return result;
    options.onBackgroundError({ step: "process", requestId: request.id, error: result.error });
    return waitForVerdict();
  };

  /** One gate's check of one file, bounded by the gate time limit; a throw is an error too. */
  const checkFile = async (
    gate: GateSettings,
    request: AirlockRequest,
    stage: Stage,
    file: FileRecord,
    facts: { files: number; bytes: number },
  ): Promise<GateOutcome> => {
    const implementation = ports.gates?.[gate.type];
    if (implementation === undefined) {
      return { kind: "error", error: { kind: "GateFailed", message: "this server does not run that gate" } };
    }
    const abort = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timedOut = new Promise<GateOutcome>((resolve) => {
      timer = setTimeout(() => {
        abort.abort();
        resolve({ kind: "timeout" });
      }, options.gateTimeoutSeconds * 1000);
    });
    const checked = (async (): Promise<GateOutcome> => {
      try {
        const answer = await implementation.check({
          name: file.name,
          size: file.size,
          settings: gate as never,
          request: facts,
          signal: abort.signal,
          open: () =>
            ports.storage
              .openRead(containerOf(request), stage, file.name)
              .mapErr((error): GateError => ({ kind: "Unavailable", message: error.message })),
        });
        return answer.isOk()
          ? { kind: "answered", answer: answer.value }
          : { kind: "error", error: answer.error };
      } catch (cause) {
        return { kind: "error", error: { kind: "GateFailed", message: String(cause).slice(0, 300) } };
      }
    })();
    try {
      return await Promise.race([checked, timedOut]);
    } finally {
      clearTimeout(timer);
      abort.abort();
    }
  };

  /**
   * Runs the policy's in-process gates over every active file of the turn, in order, and lets the
   * machine say what the verdicts mean. Findings and the turn they answer for are stored in the same
   * write as the status, so a run a crash cut off runs again and records nothing twice. A gate that
   * errors or passes its time limit fails the request: nothing passes unchecked.
   */
  const runGates = async (workspace: Workspace, request: AirlockRequest, stage: Stage): Outcome<Step> => {
    const files = movingFiles(request);
    const facts = { files: files.length, bytes: files.reduce((sum, file) => sum + file.size, 0) };
    const verdicts: GateVerdict[] = [];
    const findings: Finding[] = [];
    for (const gate of contentGates(workspace.policy)) {
      for (const file of files) {
        const outcome = await checkFile(gate, request, stage, file, facts);
        if (outcome.kind === "timeout") {
          return fail(
            workspace,
            request,
            `the ${gate.type} gate did not answer for ${visibleFileName(file.name)} within ${options.gateTimeoutSeconds} s; the request was not let through`,
          );
        }
        if (outcome.kind === "error") {
          // A backing service that is down (storage, a scanning daemon) is tried again on the next
          // sweep, as a move would be, until the processing deadline; then the request fails.
          const waiting = now() - enteredAt(request) <= options.processingDeadlineSeconds;
          if (outcome.error.kind === "Unavailable" && waiting) {
            return err({
              kind: "Unavailable",
              message: `the ${gate.type} gate could not check ${visibleFileName(file.name)}: ${outcome.error.message}`,
            });
          }
          return fail(
            workspace,
            request,
            `the ${gate.type} gate could not check ${visibleFileName(file.name)}: ${outcome.error.message}; the request was not let through`,
          );
        }
        verdicts.push(outcome.answer.verdict);
        findings.push(...findingsOf(gate, file.name, outcome.answer, request.turn));
      }
    }
    const failure = findings.find((finding) => finding.verdict === "fail");
    const reviews = findings.filter((finding) => finding.verdict === "review").length;
    const statusMessage =
      failure !== undefined
        ? `${failure.gate} gate: ${visibleFileName(failure.file)}: ${failure.message}`
        : reviews > 0
          ? `security gates: ${reviews} finding(s) for the reviewers`
          : request.statusMessage;
    return applyEvent(workspace, request, { type: "GATED", verdicts }, "gated", {
      findings: [...request.findings.filter((finding) => finding.turn !== request.turn), ...findings],
      gatedTurn: request.turn,
      statusMessage: statusMessage === null ? null : statusMessage.slice(0, STATUS_MESSAGE_MAX),
    });
  };

  /**
   * A submitted request: its files go to the status's stage first (STAGED); then the in-process
   * gates read them; then, unless the machine moves on without a verdict (scanning off), the
   * scanner is asked.
   */
  const stageAndScan = async (workspace: Workspace, request: AirlockRequest): Outcome<Step> => {
    const stage = stageOf(request.status);
    if (stage === null) {
      return err({ kind: "IllegalTransition", message: `${request.status} names no stage to scan in` });
    }
    if (request.dataStage !== null && request.dataStage !== stage) {
      if (movingFiles(request).length === 0) {
        return fail(workspace, request, "Request did not contain any files.");
      }
      return moveVerified(workspace, request, request.dataStage, stage, { type: "STAGED" }, () =>
        applyEvent(workspace, request, { type: "STAGED" }, "staged", { dataStage: stage }),
      );
    }
    const staged = decide(request.status, contextOf(request, workspace.policy, null), { type: "STAGED" });
    if (staged.allowed && staged.to !== request.status) {
      return commitDecision(workspace, request, staged, "staged");
    }
    if (contextOf(request, workspace.policy, null).gatesPending) return runGates(workspace, request, stage);
    return scan(workspace, request, stage);
  };

  /** A decided request: its files go to the stage of the status the decision leads to (DATA_MOVED). */
  const moveToOutcome = async (workspace: Workspace, request: AirlockRequest): Outcome<Step> => {
    const moved = decide(request.status, contextOf(request, workspace.policy, null), { type: "DATA_MOVED" });
    if (!moved.allowed) return err({ kind: "IllegalTransition", message: moved.refusal.message });
    const target = stageOf(moved.to);
    const from = request.dataStage ?? stageOf(request.status);
    if (target === null || from === null) {
      return err({ kind: "IllegalTransition", message: `${moved.to} names no stage to move the data to` });
    }
    return moveVerified(workspace, request, from, target, { type: "DATA_MOVED" }, () =>
      commitDecision(workspace, request, moved, "data-moved", { dataStage: target }),
    );
  };

  /** A request a person settled (cancelled, revoked): its data is deleted or moved where the status says. */
  const settleData = async (request: AirlockRequest): Outcome<Step> => {
    if (!needsProcessing(request) || request.dataStage === null) return ok({ request, progressed: false });
    const ref = containerOf(request);
    const from = request.dataStage;
    const target = stageOf(request.status);
    if (target === null) {
      const deleted = await fromPort(ports.storage.deleteContainer(ref, from));
      if (deleted.isErr()) return err(deleted.error);
      return recordProgress(request, { ...request, dataStage: null }, "data-deleted", true);
    }
    const expected = movingFiles(request);
    const moved = await fromPort(
      ports.storage.move(ref, from, target, expected.length > 0 ? expected : undefined),
    );
    if (moved.isErr()) return err(moved.error);
    return recordProgress(request, { ...request, dataStage: target }, "data-moved", true);
  };

  /** One step towards where the machine says the request should rest. */
  const step = (workspace: Workspace, request: AirlockRequest): Outcome<Step> => {
    if (!statusMeta(request.status).inProgress) return settleData(request);
    return statusAccepts(request.status, "DATA_MOVED")
      ? moveToOutcome(workspace, request)
      : stageAndScan(workspace, request);
  };

  const run = async (requestId: string): Promise<Result<AirlockRequest, AirlockError>> => {
    let current = await loadRequest(ports, null, requestId);
    if (current.isErr()) return current;
    const workspace = await loadWorkspace(ports, current.value.workspaceId);
    if (workspace.isErr()) return err(workspace.error);
    for (let steps = 0; steps < MAX_STEPS && current.isOk(); steps += 1) {
      const result = await step(workspace.value, current.value);
      if (result.isErr()) {
        if (result.error.kind !== "Conflict") return err(result.error);
        // Someone else moved the request on: read it again and carry on from there.
        current = await loadRequest(ports, null, requestId);
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

  /** Processes a request in the background; a failure goes to `onBackgroundError`. */
  const schedule = (requestId: string) =>
    background.run(async () => {
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
    outcome: ScanVerdict,
    file?: string,
  ): Outcome<AirlockRequest> => {
    const found = await loadRequest(ports, null, requestId);
    if (found.isErr()) return found;
    // Scans look at the in-progress stage: stage the files first if the verdict came early.
    const { status, dataStage } = found.value;
    const owner = await loadWorkspace(ports, found.value.workspaceId);
    if (owner.isErr()) return err(owner.error);
    const unstaged = dataStage !== null && dataStage !== stageOf(status);
    // ...and let the gates answer: no verdict takes a request past them.
    const ungated = contextOf(found.value, owner.value.policy, null).gatesPending;
    const early = statusAccepts(status, "SCAN_CLEAN") && (unstaged || ungated);
    const current = early ? await process(requestId) : found;
    if (current.isErr()) return current;
    const request = current.value;
    const workspace = await loadWorkspace(ports, request.workspaceId);
    if (workspace.isErr()) return err(workspace.error);
    // A verdict for a request that moved on (late, or delivered twice) changes nothing.
    if (!statusAccepts(request.status, "SCAN_CLEAN")) return ok(request);

    const settled = (result: Result<Step, AirlockError>) => result.map((s) => s.request);
    if (outcome.verdict === "threat") {
      return settled(
        await applyEvent(
          workspace.value,
          request,
          { type: "SCAN_THREAT" },
          "scan-threat",
          threatPatch(request, outcome.detail, file),
        ),
      );
    }
    if (file === undefined) {
      return settled(await applyEvent(workspace.value, request, { type: "SCAN_CLEAN" }, "scan-clean"));
    }
    const scanned = movingFiles(request);
    if (!scanned.some((f) => f.name === file)) {
      return err({ kind: "NotFound", message: `request ${requestId} has no file named ${file}` });
    }
    const cleanFiles = [...new Set([...request.cleanFiles, file])];
    if (!scanned.every((f) => cleanFiles.includes(f.name))) {
      if (cleanFiles.length === request.cleanFiles.length) return ok(request);
      return writer.commit(
        request,
        { ...request, cleanFiles },
        { actor: SYSTEM_ACTOR, action: "scan-clean-file" },
      );
    }
    return settled(
      await applyEvent(workspace.value, request, { type: "SCAN_CLEAN" }, "scan-clean", { cleanFiles }),
    );
  };

  const applyScanVerdict = (
    requestId: string,
    outcome: ScanVerdict,
    file?: string,
  ): ResultAsync<AirlockRequest, AirlockError> => new ResultAsync(scanVerdict(requestId, outcome, file));

  /** Audit entries (and announcements) of recent writes that a crash cut off, newest first. */
  const recoverAudit = async (): Promise<Result<{ recovered: number }, AirlockError>> => {
    const since = now() - options.recoveryWindowSeconds;
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
        const flushed = await writer.flush(request);
        if (flushed.isErr()) return err(flushed.error);
        recovered += flushed.value;
      }
      continuation = page.value.continuation ?? undefined;
    } while (continuation);
    return ok({ recovered });
  };

  const recover = (): ResultAsync<{ recovered: number }, AirlockError> => new ResultAsync(recoverAudit());

  return { process, resume, recover, schedule, applyScanVerdict, idle: background.idle };
};
