import { createMemoryPorts } from "@airlock/adapters-memory";
import { createAirlock } from "@airlock/core";
import { authConfigFromEnv, buildServer, DEV_SECRET_DEFAULT, redactUrl } from "@airlock/http";
import { afterEach, describe, expect, it } from "vitest";

const nodeEnv = process.env.NODE_ENV;
afterEach(() => {
  process.env.NODE_ENV = nodeEnv;
});

describe("authentication from the environment", () => {
  it("defaults to development with the documented secret", () => {
    expect(authConfigFromEnv({})._unsafeUnwrap()).toEqual({
      mode: "development",
      secret: DEV_SECRET_DEFAULT,
    });
    expect(authConfigFromEnv({ AIRLOCK_DEV_SECRET: "mine-0123456789" })._unsafeUnwrap()).toMatchObject({
      secret: "mine-0123456789",
    });
  });

  it("refuses development mode when NODE_ENV=production", () => {
    expect(authConfigFromEnv({ NODE_ENV: "production" })._unsafeUnwrapErr()).toMatch(/NODE_ENV=production/);
    expect(
      authConfigFromEnv({
        NODE_ENV: "production",
        AIRLOCK_DEV_SECRET: "custom-secret-0123456789",
      })._unsafeUnwrapErr(),
    ).toMatch(/AIRLOCK_AUTH_MODE=entra/);
  });

  it("entra mode needs an issuer, a key set and the API audience, and accepts several issuers", () => {
    expect(authConfigFromEnv({ AIRLOCK_AUTH_MODE: "entra" })._unsafeUnwrapErr()).toMatch(
      /AIRLOCK_ENTRA_ISSUER, AIRLOCK_ENTRA_JWKS_URI, AIRLOCK_API_AUDIENCE/,
    );
    const config = authConfigFromEnv({
      NODE_ENV: "production",
      AIRLOCK_AUTH_MODE: "entra",
      AIRLOCK_ENTRA_ISSUER: "https://login.microsoftonline.com/t/v2.0, https://sts.windows.net/t/",
      AIRLOCK_ENTRA_JWKS_URI: "https://login.microsoftonline.com/t/discovery/v2.0/keys",
      AIRLOCK_API_AUDIENCE: "api://airlock",
    })._unsafeUnwrap();
    expect(config).toMatchObject({
      mode: "entra",
      issuer: ["https://login.microsoftonline.com/t/v2.0", "https://sts.windows.net/t/"],
      apiAudience: "api://airlock",
    });
  });

  it("refuses an unknown mode", () => {
    expect(authConfigFromEnv({ AIRLOCK_AUTH_MODE: "none" }).isErr()).toBe(true);
  });

  it("the server itself refuses to start in development mode when NODE_ENV=production", () => {
    const ports = createMemoryPorts();
    process.env.NODE_ENV = "production";
    expect(() =>
      buildServer({
        airlock: createAirlock(ports),
        workspaces: ports.workspaces,
        clock: ports.clock,
        auth: { mode: "development", secret: DEV_SECRET_DEFAULT },
        blobEndpoint: "embedded",
        logger: false,
      }),
    ).toThrow(/NODE_ENV=production/);
  });
});

describe("log redaction", () => {
  it("hides a link's signature but keeps the rest of the URL", () => {
    expect(redactUrl("/blob/r1/a.csv?sv=airlock1&sp=rl&sig=abc_DEF-123&se=1")).toBe(
      "/blob/r1/a.csv?sv=airlock1&sp=rl&sig=[REDACTED]&se=1",
    );
  });
});
