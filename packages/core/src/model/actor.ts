import { z } from "zod";
import { boundedText, Id } from "./primitives.js";

export const WorkspaceRole = z.enum(["WorkspaceResearcher", "WorkspaceOwner", "AirlockManager"]);
export type WorkspaceRole = z.infer<typeof WorkspaceRole>;

export const TreRole = z.enum(["TREUser", "TREAdmin"]);
export type TreRole = z.infer<typeof TreRole>;

export const Role = z.union([WorkspaceRole, TreRole]);
export type Role = z.infer<typeof Role>;

/** Who a request names as its creator or last editor (upstream's user object). */
export const UserRef = z.object({
  id: Id,
  name: boundedText(200),
  email: z.string().max(320),
});
export type UserRef = z.infer<typeof UserRef>;

/** Whoever issues a command, with the roles their token grants in the workspace at hand. */
export const Actor = UserRef.extend({
  roles: z.array(Role).max(10),
});
export type Actor = z.infer<typeof Actor>;

/** The system itself (processor, scanner callbacks): never a person, never holds a role. */
export const SYSTEM_ACTOR: Actor = Object.freeze({
  id: "airlock-system",
  name: "Airlock processor",
  email: "",
  roles: [],
}) as Actor;

export const userRef = (actor: Actor): UserRef => ({ id: actor.id, name: actor.name, email: actor.email });

/**
 * Who a link was issued to: their id, and the workspace roles they held when it was issued. A call
 * through the link runs the link rule again for this holder, so a link stops working for someone
 * the request's current status gives no link.
 */
export const GrantHolder = z.object({
  id: Id,
  roles: z.array(WorkspaceRole).max(WorkspaceRole.options.length),
});
export type GrantHolder = z.infer<typeof GrantHolder>;

/** The holder of a link issued to `actor`: the workspace roles only, which are all the link rule reads. */
export const grantHolderOf = (actor: Pick<Actor, "id" | "roles">): GrantHolder => ({
  id: actor.id,
  roles: actor.roles.filter((role): role is WorkspaceRole => WorkspaceRole.safeParse(role).success),
});
