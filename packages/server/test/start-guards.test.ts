import { once } from "node:events";
import { connect } from "node:net";
import { mintDevToken } from "@airlock/http";
import { describe, expect, it } from "vitest";
import { limitsFromEnv } from "../src/profiles/limit-settings.js";
import { runChild, startChildApi } from "./support/child-api.js";
import { freePort } from "./support/free-port.js";

const ENTRA = {
  AIRLOCK_AUTH_MODE: "entra",
  AIRLOCK_ENTRA_ISSUER: "https://login.microsoftonline.com/tenant/v2.0",
  AIRLOCK_ENTRA_JWKS_URI: "https://login.microsoftonline.com/tenant/discovery/v2.0/keys",
  AIRLOCK_API_AUDIENCE: "api://airlock",
};

describe("the server refuses to start", () => {
  it("the memory profile under NODE_ENV=production, naming the variable that allows it", async () => {
    const { code, output } = await runChild({
      env: {
        NODE_ENV: "production",
        AIRLOCK_PROFILE: "memory",
        ...ENTRA,
        AIRLOCK_PUBLIC_URL: "https://a.example",
      },
    });
    expect(code, output).toBe(1);
    expect(output).toContain("the memory profile");
    expect(output).toContain("AIRLOCK_ALLOW_DEVELOPMENT_IN_PRODUCTION=true");
  });

  it("an embedded link endpoint without AIRLOCK_PUBLIC_URL outside development", async () => {
    const { code, output } = await runChild({ env: { AIRLOCK_PROFILE: "memory", ...ENTRA } });
    expect(code, output).toBe(1);
    expect(output).toContain("AIRLOCK_PUBLIC_URL is missing");
  });

  it("a limit that is not a whole number, naming its variable", async () => {
    const { code, output } = await runChild({
      env: { AIRLOCK_PROFILE: "memory", AIRLOCK_IDLE_TIMEOUT_MS: "soon", AIRLOCK_MAX_CONNECTIONS: "0" },
    });
    expect(code, output).toBe(1);
    expect(output).toContain('AIRLOCK_IDLE_TIMEOUT_MS must be a whole number, not "soon"');
  });
});

describe("limits from the environment", () => {
  it("names a cap the server would refuse", () => {
    expect(limitsFromEnv({ AIRLOCK_MAX_CONNECTIONS: "0" })._unsafeUnwrapErr()).toMatch(
      /^AIRLOCK_MAX_CONNECTIONS: /,
    );
  });

  it("reads every limit and the rate-limit switch", () => {
    expect(
      limitsFromEnv({
        AIRLOCK_IDLE_TIMEOUT_MS: "1000",
        AIRLOCK_HEADERS_TIMEOUT_MS: "900",
        AIRLOCK_REQUEST_TIMEOUT_MS: "2000",
        AIRLOCK_KEEP_ALIVE_TIMEOUT_MS: "3000",
        AIRLOCK_MAX_CONNECTIONS: "4",
        AIRLOCK_MIN_UPLOAD_BYTES_PER_SECOND: "5",
        AIRLOCK_UPLOAD_RATE_WINDOW_MS: "6",
        AIRLOCK_UPLOADS_PER_LINK: "7",
        AIRLOCK_UPLOADS_PER_PERSON: "12",
        AIRLOCK_RATE_LIMIT_WINDOW_MS: "8",
        AIRLOCK_RATE_LIMIT_PER_PRINCIPAL: "9",
        AIRLOCK_RATE_LIMIT_PER_LINK: "10",
        AIRLOCK_RATE_LIMIT_PER_ADDRESS: "11",
      })._unsafeUnwrap(),
    ).toEqual({
      idleTimeoutMs: 1000,
      headersTimeoutMs: 900,
      requestTimeoutMs: 2000,
      keepAliveTimeoutMs: 3000,
      maxConnections: 4,
      minUploadBytesPerSecond: 5,
      uploadRateWindowMs: 6,
      uploadsPerLink: 7,
      uploadsPerPerson: 12,
      rateLimit: { windowMs: 8, perPrincipal: 9, perLink: 10, perAddress: 11 },
    });
    expect(limitsFromEnv({ AIRLOCK_RATE_LIMIT: "off" })._unsafeUnwrap()).toEqual({ rateLimit: false });
  });
});

describe("the server starts", () => {
  it("in development under NODE_ENV=production when allowed, with the limits of its environment", async () => {
    const api = await startChildApi({
      env: {
        NODE_ENV: "production",
        AIRLOCK_ALLOW_DEVELOPMENT_IN_PRODUCTION: "true",
        AIRLOCK_PROFILE: "memory",
        AIRLOCK_IDLE_TIMEOUT_MS: "300",
      },
      port: await freePort(),
    });
    try {
      const token = await mintDevToken({
        secret: "airlock-development-secret-do-not-use-in-production",
        userId: "alice",
        roles: ["WorkspaceResearcher"],
        audience: "ws1",
      });
      expect(
        (
          await fetch(`${api.url}/api/workspaces/ws1/requests`, {
            headers: { authorization: `Bearer ${token}` },
          })
        ).status,
      ).toBe(200);
      // A connection that sends nothing is closed after the environment's idle timeout.
      const url = new URL(api.url);
      const socket = connect({ host: url.hostname, port: Number(url.port) });
      socket.on("error", () => {});
      await once(socket, "connect");
      socket.write(
        `POST /api/workspaces/ws1/requests HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${token}\r\n` +
          "content-type: application/json\r\ncontent-length: 10\r\n\r\n",
      );
      socket.resume();
      await once(socket, "close");
    } finally {
      expect(await api.kill("SIGTERM")).toBe(0);
    }
  });
});
