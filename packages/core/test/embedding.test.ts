import type { Result } from "neverthrow";
import { describe, expect, it } from "vitest";
import type { Actor, Airlock, AirlockError } from "../src/index.js";
import {
  chunks,
  draftWithFile,
  errorOf,
  type Harness,
  makeHarness,
  people,
  unwrap,
} from "./support/harness.js";

const withoutRoles = (() => {
  const { roles: _roles, ...rest } = people.rita;
  return rest as unknown as Actor;
})();

const refusalOf = async <T>(answer: PromiseLike<Result<T, AirlockError>>) => {
  const settled = await answer;
  return settled.isErr() ? settled.error : null;
};

/** Every public method that takes an actor, called with `actor`: its refusal, or null. */
const callsWith = (
  airlock: Airlock,
  ws: string,
  id: string,
  actor: Actor,
): Record<string, () => Promise<AirlockError | null>> => ({
  create: () =>
    refusalOf(airlock.create(actor, ws, { type: "import", title: "t", businessJustification: "j" })),
  get: () => refusalOf(airlock.get(actor, ws, id)),
  list: () => refusalOf(airlock.list(actor, ws, {})),
  listForUser: () => refusalOf(airlock.listForUser(actor, { airlockManager: true })),
  link: () => refusalOf(airlock.link(actor, ws, id)),
  submit: () => refusalOf(airlock.submit(actor, ws, id)),
  cancel: () => refusalOf(airlock.cancel(actor, ws, id)),
  review: () => refusalOf(airlock.review(actor, ws, id, { approval: true, decisionExplanation: "ok" })),
  revoke: () => refusalOf(airlock.revoke(actor, ws, id, { reason: "r" })),
  auditTrail: () => refusalOf(airlock.auditTrail(actor, ws, id)),
  workspaceAuditTrail: () => refusalOf(airlock.workspaceAuditTrail(actor, ws)),
  verifyAuditTrail: () => refusalOf(airlock.verifyAuditTrail(actor, ws, id)),
  treAuditTrail: () => refusalOf(airlock.treAuditTrail(actor)),
  verifyTreAuditTrail: () => refusalOf(airlock.verifyTreAuditTrail(actor)),
});

describe("an actor passed by the embedder", () => {
  it("is checked by every method that takes one: a bad actor is InvalidInput naming the field", async () => {
    const h = makeHarness();
    const draft = await draftWithFile(h);
    const before = await unwrap(h.ports.audit.listAll(draft.id));
    for (const [method, call] of Object.entries(callsWith(h.airlock, h.ws, draft.id, withoutRoles))) {
      const error = await call();
      expect(error, method).toMatchObject({ kind: "InvalidInput", message: "the actor is not valid" });
      expect(error?.kind === "InvalidInput" && error.issues.map((issue) => issue.path), method).toEqual([
        "actor.roles",
      ]);
    }
    expect(await unwrap(h.ports.audit.listAll(draft.id))).toEqual(before);
  });

  it("names every field that is wrong, and never throws for a value that is not an object", async () => {
    const h = makeHarness();
    const error = await errorOf(
      h.airlock.create({ id: "../x", roles: ["Root"] } as unknown as Actor, h.ws, {}),
    );
    expect(error.kind === "InvalidInput" && error.issues.map((issue) => issue.path).sort()).toEqual([
      "actor.email",
      "actor.id",
      "actor.name",
      "actor.roles.0",
    ]);
    expect(await errorOf(h.airlock.get(null as unknown as Actor, h.ws, "x"))).toMatchObject({
      kind: "InvalidInput",
    });
  });
});

describe("where an actor's roles come from", () => {
  const asNobody = (actor: Actor): Actor => ({ ...actor, roles: [] });
  const ottoClaimsToManage = { ...people.otto, roles: ["AirlockManager"] } satisfies Actor;
  const body = { type: "import", title: "t", businessJustification: "j" };
  const approval = { approval: true, decisionExplanation: "fine" };

  const inReview = async (h: Harness, requester: Actor) => {
    const { airlockRequest } = await unwrap(h.airlock.create(requester, h.ws, body));
    await unwrap(h.airlock.upload(airlockRequest.id, "data.csv", chunks("a,b\n")));
    await unwrap(h.airlock.submit(requester, h.ws, airlockRequest.id));
    await h.airlock.processor.idle();
    return airlockRequest.id;
  };

  it("by default, the actor: its roles decide, whatever the workspace's members list says", async () => {
    const h = makeHarness();
    expect(await errorOf(h.airlock.create(asNobody(people.rita), h.ws, body))).toMatchObject({
      kind: "Forbidden",
    });
    const id = await inReview(h, people.rita);
    // Otto is a researcher in the members list; his roles say he manages, and they decide.
    const reviewed = await unwrap(h.airlock.review(ottoClaimsToManage, h.ws, id, approval));
    expect(reviewed.airlockRequest.status).toBe("approval_in_progress");
  });

  it("with `directory`, the workspace's members list: the actor's own workspace roles do not count", async () => {
    const h = makeHarness({}, { roles: "directory" });
    const id = await inReview(h, asNobody(people.rita));
    expect(await errorOf(h.airlock.review(ottoClaimsToManage, h.ws, id, approval))).toMatchObject({
      kind: "Forbidden",
      message: "your roles do not allow you to review a request",
    });
    const stranger = { ...ottoClaimsToManage, id: "stranger" };
    expect(await errorOf(h.airlock.get(stranger, h.ws, id))).toMatchObject({ kind: "Forbidden" });
    const reviewed = await unwrap(h.airlock.review(asNobody(people.mo), h.ws, id, approval));
    expect(reviewed.airlockRequest.status).toBe("approval_in_progress");
  });

  it("with `directory`, TRE roles still come from the actor", async () => {
    const h = makeHarness({}, { roles: "directory" });
    const draft = await draftWithFile(h);
    // Ada is no member of the workspace; her TREAdmin role is her own.
    expect((await unwrap(h.airlock.cancel(people.ada, h.ws, draft.id))).airlockRequest.status).toBe(
      "cancelled",
    );
    expect(await unwrap(h.airlock.verifyAuditTrail(people.ada, h.ws, draft.id))).toMatchObject({ ok: true });
  });
});
