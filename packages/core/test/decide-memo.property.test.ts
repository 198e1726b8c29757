import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { transition } from "xstate";
import {
  type AirlockContext,
  type AirlockEvent,
  airlockMachine,
  type MachineStatus,
} from "../src/machine/airlock-machine.js";
import { ALL_STATUSES, decide } from "../src/machine/decide.js";
import type { Role } from "../src/model/actor.js";

const id = fc.constantFrom("ann", "bob", "cy", "dee");
const roles = fc.subarray<Role>(["WorkspaceResearcher", "WorkspaceOwner", "AirlockManager", "TREAdmin"]);
const actor = fc.record({ id, roles });
const event: fc.Arbitrary<AirlockEvent> = fc.oneof(
  fc.record({
    type: fc.constantFrom("CREATE" as const, "SUBMIT" as const, "CANCEL" as const, "REVOKE" as const),
    actor,
  }),
  fc.record({ type: fc.constant("REVIEW" as const), actor, approve: fc.boolean() }),
  fc.record({
    type: fc.constantFrom(
      "STAGED" as const,
      "SCAN_CLEAN" as const,
      "SCAN_THREAT" as const,
      "DATA_MOVED" as const,
      "FAIL" as const,
    ),
  }),
);
const context: fc.Arbitrary<AirlockContext> = fc.record({
  requesterId: id,
  type: fc.constantFrom("import" as const, "export" as const),
  policy: fc.record({
    enabled: fc.boolean(),
    scanning: fc.boolean(),
    requiredApprovals: fc.integer({ min: 1, max: 3 }),
    maxFiles: fc.integer({ min: 1, max: 3 }),
  }),
  fileCount: fc.option(fc.nat({ max: 4 }), { nil: null }),
  approvals: fc.uniqueArray(id, { maxLength: 3 }),
  deciders: fc.uniqueArray(id, { maxLength: 3 }),
  refusal: fc.constant(null),
});

describe("remembered decisions", () => {
  it("always equal what the machine answers when asked afresh", () => {
    fc.assert(
      fc.property(fc.constantFrom(...ALL_STATUSES), context, event, (status: MachineStatus, ctx, ev) => {
        const snapshot = airlockMachine.resolveState({ value: status, context: ctx });
        const [next] = transition(airlockMachine, snapshot, ev);
        const decision = decide(status, ctx, ev);
        if (next.context.refusal) {
          expect(decision).toEqual({ allowed: false, from: status, refusal: next.context.refusal });
        } else {
          expect(decision).toEqual({ allowed: true, from: status, to: next.value });
        }
      }),
      { numRuns: 3000 },
    );
  });
});
