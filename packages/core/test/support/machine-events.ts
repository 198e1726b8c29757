import type { AirlockContext, AirlockEvent } from "../../src/machine/airlock-machine.js";
import { contextOf } from "../../src/machine/decide.js";
import type { Role } from "../../src/model/actor.js";
import { DEFAULT_POLICY } from "../../src/model/workspace.js";

export const researcher = { id: "rita", roles: ["WorkspaceResearcher"] as Role[] };
export const manager = { id: "mo", roles: ["AirlockManager"] as Role[] };

/** Rita's import in the default policy, with one file uploaded. */
export const ritasImport = (overrides: Partial<AirlockContext> = {}): AirlockContext => ({
  ...contextOf(
    { createdBy: { id: "rita", name: "Rita", email: "" }, reviews: [], files: [{ name: "data.csv" }] },
    DEFAULT_POLICY,
    [{ name: "data.csv", size: 6 }],
  ),
  ...overrides,
});

/** One event of every kind the machine knows, a review both ways: what graph walks explore. */
export const EVERY_EVENT: readonly AirlockEvent[] = [
  { type: "CREATE", actor: researcher },
  { type: "SUBMIT", actor: researcher },
  { type: "CANCEL", actor: researcher },
  { type: "ADD_FILE", name: "data.csv" },
  { type: "REVIEW", actor: manager, approve: true },
  { type: "REVIEW", actor: manager, approve: false },
  { type: "REVOKE", actor: manager },
  { type: "VOTE", actor: manager, file: "data.csv", vote: "approve" },
  { type: "VOTE", actor: manager, file: "data.csv", vote: "request_changes" },
  { type: "RETURN", actor: manager, requesterComments: 1 },
  { type: "COMMENT", actor: researcher, visibility: "everyone" },
  { type: "WITHDRAW", actor: researcher },
  { type: "SET_FILE_CONTEXT", actor: researcher },
  { type: "STAGED" },
  { type: "SCAN_CLEAN" },
  { type: "SCAN_THREAT" },
  { type: "DATA_MOVED" },
  { type: "FAIL" },
];
