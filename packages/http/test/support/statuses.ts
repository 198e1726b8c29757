import { EICAR } from "@airlock/core/testing";
import { expect } from "vitest";
import {
  act,
  createRequest,
  getRequest,
  linkOf,
  type People,
  putBlob,
  requestInReview,
  requestsUrl,
} from "./flow.js";
import { call, type TestServer } from "./server.js";

/**
 * The statuses a request rests in, each reachable through the API and the processor
 * (`returning_in_progress` rests only while its move back to the draft stage keeps failing).
 */
export const RESTING_STATUSES = [
  "draft",
  "submitted",
  "in_review",
  "returning_in_progress",
  "changes_requested",
  "approved",
  "rejected",
  "blocked_by_scan",
  "cancelled",
  "revoked",
  "failed",
] as const;
export type RestingStatus = (typeof RESTING_STATUSES)[number];

export interface FixtureOptions {
  readonly type?: "import" | "export";
  /** Who decides (approves, rejects, revokes) where the status needs a manager: `mona` by default. */
  readonly decider?: keyof People;
  /**
   * Seconds to move the server's manual clock past the scan deadline, for `failed`: the server
   * must have been started with `airlock.scanDeadlineSeconds` below it.
   */
  readonly pastScanDeadlineSeconds?: number;
}

const expectOk = (answer: { status: number; body: unknown }, status = 200) =>
  expect(answer.status, JSON.stringify(answer.body)).toBe(status);

const submittedAwaitingVerdict = async (
  server: TestServer,
  ws: string,
  people: People,
  type: "import" | "export",
): Promise<string> => {
  const id = await createRequest(server, ws, people.alice, type);
  expectOk(await putBlob(await linkOf(server, ws, id, people.alice), "data.csv", "a,b\n1,2\n"), 201);
  // An asynchronous scanner that has not answered yet: the request stays submitted.
  server.ports.scanner.setVerdict(id, { verdict: "pending" });
  expectOk(await act(server, ws, id, "submit", people.alice));
  await server.idle();
  return id;
};

/**
 * A request created by alice, brought to `status` through the API (and, for `failed`, the
 * processor after the scan deadline; for `returning_in_progress`, a storage fault), as a client
 * and the system would. Decisions (and returns) are `mona`'s (an AirlockManager) unless `decider`
 * says otherwise, so another manager has not decided yet.
 */
export const requestInStatus = async (
  server: TestServer,
  ws: string,
  people: People,
  status: RestingStatus,
  options: FixtureOptions = {},
): Promise<string> => {
  const type = options.type ?? "import";
  const decider = people[options.decider ?? "mona"];
  let id: string;
  switch (status) {
    case "draft": {
      id = await createRequest(server, ws, people.alice, type);
      expectOk(await putBlob(await linkOf(server, ws, id, people.alice), "data.csv", "a,b\n1,2\n"), 201);
      break;
    }
    case "submitted":
      id = await submittedAwaitingVerdict(server, ws, people, type);
      break;
    case "in_review":
      id = await requestInReview(server, ws, people, { type });
      break;
    case "returning_in_progress":
    case "changes_requested": {
      id = await requestInReview(server, ws, people, { type });
      // One failed move back to the draft stage leaves the request returning until the next sweep.
      if (status === "returning_in_progress") server.ports.storage.failNext("move", 1);
      expectOk(
        await call(`${requestsUrl(server, ws)}/${id}/return`, {
          method: "POST",
          token: decider,
          json: { comments: [{ text: "Round the counts" }] },
        }),
      );
      await server.idle();
      break;
    }
    case "approved":
    case "revoked": {
      id = await requestInReview(server, ws, people, { type });
      expectOk(
        await act(server, ws, id, "review", decider, { approval: true, decisionExplanation: "Aggregated" }),
      );
      await server.idle();
      if (status === "revoked") {
        expectOk(await act(server, ws, id, "revoke", decider, { reason: "Consent withdrawn" }));
        await server.idle();
      }
      break;
    }
    case "rejected": {
      id = await requestInReview(server, ws, people, { type });
      expectOk(
        await act(server, ws, id, "review", decider, {
          approval: false,
          decisionExplanation: "Identifiable",
        }),
      );
      await server.idle();
      break;
    }
    case "blocked_by_scan":
      id = await requestInReview(server, ws, people, { type, content: EICAR });
      break;
    case "cancelled": {
      id = await createRequest(server, ws, people.alice, type);
      expectOk(await act(server, ws, id, "cancel", people.alice));
      await server.idle();
      break;
    }
    case "failed": {
      const past = options.pastScanDeadlineSeconds;
      if (past === undefined) throw new Error("a failed fixture needs pastScanDeadlineSeconds");
      id = await submittedAwaitingVerdict(server, ws, people, type);
      server.ports.clock.advance(past * 1000);
      const processed = await server.airlock.processor.process(id);
      expect(processed.isOk()).toBe(true);
      await server.idle();
      break;
    }
  }
  const reached = await getRequest(server, ws, id, people.olivia);
  expect(reached.body.airlockRequest.status, JSON.stringify(reached.body)).toBe(status);
  return id;
};
