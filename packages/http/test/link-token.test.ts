import { createLinkSigner, type LinkGrant } from "@airlock/http";
import { describe, expect, it } from "vitest";

const NOW = Date.UTC(2026, 0, 1);
const grant: LinkGrant = {
  requestId: "req-1",
  stage: "draft",
  access: ["read", "write", "list", "delete"],
  expiresAt: new Date(NOW + 3_600_000),
  holder: { id: "alice", roles: ["WorkspaceResearcher"] },
};

const queryOf = (text: string) => Object.fromEntries(new URLSearchParams(text));

describe("link tokens", () => {
  const signer = createLinkSigner("a-secret-of-sufficient-length");

  it("grant what they were signed for, until they expire", () => {
    const query = queryOf(signer.sign(grant));
    expect(query.sp).toBe("rwdl");
    const verified = signer.verify("req-1", query, "write", NOW);
    expect(verified._unsafeUnwrap()).toEqual({ ...grant, access: ["read", "write", "delete", "list"] });
    expect(signer.verify("req-1", query, "read", NOW + 3_600_000)._unsafeUnwrapErr().kind).toBe(
      "Unauthorized",
    );
  });

  it("refuse another request, a changed stage, widened access or a foreign secret", () => {
    const readOnly = queryOf(signer.sign({ ...grant, access: ["read", "list"] }));
    expect(signer.verify("req-2", readOnly, "read", NOW)._unsafeUnwrapErr().kind).toBe("Unauthorized");
    expect(
      signer.verify("req-1", { ...readOnly, stg: "approved" }, "read", NOW)._unsafeUnwrapErr().kind,
    ).toBe("Unauthorized");
    expect(signer.verify("req-1", { ...readOnly, sp: "rwl" }, "write", NOW)._unsafeUnwrapErr().kind).toBe(
      "Unauthorized",
    );
    expect(
      signer.verify("req-1", { ...readOnly, se: String(Number(readOnly.se) + 60) }, "read", NOW).isErr(),
    ).toBe(true);
    const other = createLinkSigner("another-secret-of-sufficient-length");
    expect(other.verify("req-1", readOnly, "read", NOW)._unsafeUnwrapErr().kind).toBe("Unauthorized");
  });

  it("answer Forbidden for an operation the link does not grant", () => {
    const readOnly = queryOf(signer.sign({ ...grant, access: ["read", "list"] }));
    expect(signer.verify("req-1", readOnly, "write", NOW)._unsafeUnwrapErr()).toEqual({
      kind: "Forbidden",
      message: "the link does not grant write access",
      holder: grant.holder,
    });
  });

  it("carry their holder, signed: nobody can hand a link to someone else or give its holder roles", () => {
    const query = queryOf(signer.sign({ ...grant, holder: { id: "alice", roles: [] } }));
    expect(query).toMatchObject({ hid: "alice", hr: "-" });
    expect(signer.verify("req-1", query, "read", NOW)._unsafeUnwrap().holder).toEqual({
      id: "alice",
      roles: [],
    });
    const owners = queryOf(
      signer.sign({ ...grant, holder: { id: "olga", roles: ["WorkspaceOwner", "AirlockManager"] } }),
    );
    expect(owners.hr).toBe("om");
    expect(signer.verify("req-1", owners, "read", NOW)._unsafeUnwrap().holder).toEqual({
      id: "olga",
      roles: ["WorkspaceOwner", "AirlockManager"],
    });
    for (const forged of [
      { ...query, hid: "olga" },
      { ...query, hr: "o" },
      { ...owners, hr: "o" },
    ]) {
      expect(signer.verify("req-1", forged, "read", NOW)._unsafeUnwrapErr()).toEqual({
        kind: "Unauthorized",
        message: "the link token's signature does not match",
      });
    }
  });

  it("name the holder of an expired link whose signature matches, and nobody for a forged one", () => {
    const query = queryOf(signer.sign(grant));
    expect(signer.verify("req-1", query, "read", NOW + 3_600_000)._unsafeUnwrapErr()).toEqual({
      kind: "Unauthorized",
      message: "the link has expired",
      holder: grant.holder,
    });
    expect(
      signer.verify("req-1", { ...query, sig: "AAAA" }, "read", NOW)._unsafeUnwrapErr(),
    ).not.toHaveProperty("holder");
  });

  it("refuse malformed tokens", () => {
    const query = queryOf(signer.sign(grant));
    for (const broken of [
      {},
      { ...query, sig: "" },
      { ...query, sv: "2" },
      { ...query, sv: "airlock1" },
      { ...query, hid: "" },
      { ...query, hid: "bad id" },
      { ...query, hr: "x" },
      { ...query, hr: "mo" },
      { ...query, sp: "rr" },
      { ...query, stg: "attic" },
      { ...query, se: "soon" },
      { ...query, sig: "AAAA" },
    ]) {
      expect(signer.verify("req-1", broken, "read", NOW)._unsafeUnwrapErr().kind).toBe("Unauthorized");
    }
  });

  it("are written as URLSearchParams writes them, for every stage and set of permissions", () => {
    for (const stage of ["draft", "in_progress", "approved", "rejected", "blocked"] as const) {
      for (const access of [["read"], ["read", "list"], ["write", "delete", "read", "list"]] as const) {
        const text = signer.sign({ ...grant, stage, access: [...access] });
        const query = queryOf(text);
        expect(text).toBe(new URLSearchParams(query).toString());
        expect(Object.keys(query)).toEqual(["sv", "sr", "sp", "stg", "se", "hid", "hr", "sig"]);
        expect(query.stg).toBe(stage);
        expect(signer.verify("req-1", query, "read", NOW).isOk()).toBe(true);
      }
    }
  });

  it("refuse a secret too short to sign with", () => {
    expect(() => createLinkSigner("short")).toThrow(/16 bytes/);
  });
});
