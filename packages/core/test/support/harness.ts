import { createManualClock, createMemoryPorts, createSequentialIds } from "@airlock/adapters-memory";
import type { Actor, AirlockOptions, Workspace, WorkspacePolicyInput } from "../../src/index.js";
import { createAirlock, WorkspaceSchema } from "../../src/index.js";

export { EICAR } from "@airlock/core/testing";

export const WORKSPACE_ID = "ws1";

export const people = {
  rita: { id: "rita", name: "Rita Researcher", email: "rita@example.org", roles: ["WorkspaceResearcher"] },
  otto: { id: "otto", name: "Otto Other", email: "otto@example.org", roles: ["WorkspaceResearcher"] },
  olga: { id: "olga", name: "Olga Owner", email: "olga@example.org", roles: ["WorkspaceOwner"] },
  mo: { id: "mo", name: "Mo Manager", email: "mo@example.org", roles: ["AirlockManager"] },
  meg: { id: "meg", name: "Meg Manager", email: "meg@example.org", roles: ["AirlockManager"] },
  ada: { id: "ada", name: "Ada Admin", email: "ada@example.org", roles: ["TREAdmin"] },
} satisfies Record<string, Actor>;

export const workspaceWith = (policy: WorkspacePolicyInput = {}, id = WORKSPACE_ID): Workspace =>
  WorkspaceSchema.parse({
    id,
    displayName: "Test workspace",
    clientId: id,
    policy,
    members: Object.values(people)
      .filter((p) => !(p.roles as readonly string[]).includes("TREAdmin"))
      .map(({ id: memberId, name, email, roles }) => ({ id: memberId, name, email, roles })),
  });

export const START = Date.UTC(2026, 0, 1);

export const makeHarness = (policy: WorkspacePolicyInput = {}, options: AirlockOptions = {}) => {
  const clock = createManualClock(START);
  const ports = createMemoryPorts({ clock, ids: createSequentialIds(), workspaces: [workspaceWith(policy)] });
  const airlock = createAirlock(ports, options);
  return { ports, clock, airlock, ws: WORKSPACE_ID };
};

export type Harness = ReturnType<typeof makeHarness>;

export async function* chunks(text: string): AsyncIterable<Uint8Array> {
  yield new TextEncoder().encode(text);
}

export const unwrap = async <T, E>(result: PromiseLike<import("neverthrow").Result<T, E>>): Promise<T> => {
  const settled = await result;
  if (settled.isErr()) throw new Error(`expected ok, got ${JSON.stringify(settled.error)}`);
  return settled.value;
};

export const errorOf = async <T, E>(result: PromiseLike<import("neverthrow").Result<T, E>>): Promise<E> => {
  const settled = await result;
  if (settled.isOk()) throw new Error(`expected an error, got ${JSON.stringify(settled.value)}`);
  return settled.error;
};

/** A draft with one uploaded file. */
export const draftWithFile = async (
  h: Harness,
  content = "a,b\n1,2\n",
  type: "import" | "export" = "import",
) => {
  const { airlockRequest } = await unwrap(
    h.airlock.create(people.rita, h.ws, { type, title: "Cohort table", businessJustification: "Analysis" }),
  );
  await unwrap(h.airlock.upload(airlockRequest.id, "data.csv", chunks(content)));
  return airlockRequest;
};

/** Everything a refused command must leave untouched. */
export const observable = async (h: Harness, requestId: string) => ({
  request: (await h.ports.repository.get(requestId)).unwrapOr(null),
  stages: h.ports.storage.stagesHolding(requestId),
  events: h.ports.events.published().length,
  notifications: h.ports.notifier.sent().length,
  // A refused command may leave records of the attempt (a denial, a link's call admitted before the
  // machine refused it), never a transition.
  transitions: (await h.ports.audit.listAll(requestId))
    .unwrapOr([])
    .filter((entry) => entry.outcome === "transition").length,
});
