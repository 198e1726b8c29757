import { execFileSync } from "node:child_process";
import { createSign, generateKeyPairSync, randomUUID } from "node:crypto";
import { mkdtemp, readFile } from "node:fs/promises";
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");

export interface FakeEntra {
  /** The authority to sign in against (`https://127.0.0.1:{port}/{tenant}`). */
  readonly authority: string;
  readonly tenant: string;
  /** The issuer of its access tokens, as the API's entra mode checks it. */
  readonly issuer: string;
  /** Its signing keys, over plain HTTP for the API in the test process. */
  readonly jwksUri: string;
  /** A PEM file with its TLS certificate, for NODE_EXTRA_CA_CERTS. */
  readonly caFile: string;
  /** The scopes tokens were asked for, in order. */
  readonly scopes: string[];
  close(): Promise<void>;
}

/**
 * A stand-in for Entra ID on loopback: the OpenID metadata, the device code endpoint (the code is
 * approved at once), and the token endpoint for the device code and refresh token grants. Access
 * tokens are RS256 JWTs for the scope's resource, carrying `roles`; the keys are published as a
 * JWKS. TLS, because MSAL speaks to an authority over https only.
 */
export const startFakeEntra = async (user: {
  readonly oid: string;
  readonly name: string;
  readonly email: string;
  readonly roles: readonly string[];
}): Promise<FakeEntra> => {
  const dir = await mkdtemp(join(tmpdir(), "airlock-fake-entra-"));
  const keyFile = join(dir, "key.pem");
  const caFile = join(dir, "cert.pem");
  execFileSync(
    "openssl",
    [
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-keyout",
      keyFile,
      "-out",
      caFile,
      "-days",
      "1",
      "-subj",
      "/CN=127.0.0.1",
      "-addext",
      "subjectAltName=IP:127.0.0.1",
    ],
    { stdio: "ignore" },
  );
  const signing = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const kid = randomUUID();
  const jwk = { ...signing.publicKey.export({ format: "jwk" }), kid, use: "sig", alg: "RS256" };
  const tenant = randomUUID();
  const scopes: string[] = [];

  const jwks = createHttpServer((_request, response) => {
    response.setHeader("content-type", "application/json");
    response.end(JSON.stringify({ keys: [jwk] }));
  });
  await new Promise<void>((resolve) => jwks.listen(0, "127.0.0.1", resolve));
  const jwksUri = `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/keys`;

  let base = "";
  const issuer = () => `${base}/${tenant}/v2.0`;
  const sign = (claims: Record<string, unknown>) => {
    const input = `${b64url({ alg: "RS256", typ: "JWT", kid })}.${b64url(claims)}`;
    const signature = createSign("RSA-SHA256").update(input).sign(signing.privateKey).toString("base64url");
    return `${input}.${signature}`;
  };
  const tokens = (clientId: string, scope: string) => {
    scopes.push(scope);
    const now = Math.floor(Date.now() / 1000);
    const resource =
      scope
        .split(" ")
        .find((s) => s.endsWith("/.default"))
        ?.replace(/\/\.default$/, "") ?? "";
    return {
      token_type: "Bearer",
      scope,
      expires_in: 3600,
      ext_expires_in: 3600,
      access_token: sign({
        aud: resource,
        iss: issuer(),
        tid: tenant,
        oid: user.oid,
        sub: user.oid,
        name: user.name,
        email: user.email,
        roles: user.roles,
        iat: now,
        nbf: now,
        exp: now + 3600,
      }),
      refresh_token: `refresh-${randomUUID()}`,
      id_token: sign({
        aud: clientId,
        iss: issuer(),
        tid: tenant,
        oid: user.oid,
        sub: user.oid,
        name: user.name,
        preferred_username: user.email,
        iat: now,
        nbf: now,
        exp: now + 3600,
        ver: "2.0",
      }),
      client_info: Buffer.from(JSON.stringify({ uid: user.oid, utid: tenant })).toString("base64url"),
    };
  };
  const form = async (request: IncomingMessage) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    return new URLSearchParams(Buffer.concat(chunks).toString("utf8"));
  };
  const json = (response: ServerResponse, status: number, body: unknown) => {
    response.writeHead(status, { "content-type": "application/json" });
    response.end(JSON.stringify(body));
  };

  const server = createHttpsServer(
    { key: await readFile(keyFile), cert: await readFile(caFile) },
    async (request, response) => {
      const url = new URL(request.url ?? "/", base);
      const host = url.host;
      if (url.pathname.endsWith("/discovery/instance")) {
        return json(response, 200, {
          tenant_discovery_endpoint: `${base}/${tenant}/v2.0/.well-known/openid-configuration`,
          "api-version": "1.1",
          metadata: [{ preferred_network: host, preferred_cache: host, aliases: [host] }],
        });
      }
      if (url.pathname.endsWith("/.well-known/openid-configuration")) {
        return json(response, 200, {
          issuer: issuer(),
          authorization_endpoint: `${base}/${tenant}/oauth2/v2.0/authorize`,
          token_endpoint: `${base}/${tenant}/oauth2/v2.0/token`,
          device_authorization_endpoint: `${base}/${tenant}/oauth2/v2.0/devicecode`,
          end_session_endpoint: `${base}/${tenant}/oauth2/v2.0/logout`,
          jwks_uri: jwksUri,
          response_types_supported: ["code", "id_token", "token"],
          subject_types_supported: ["pairwise"],
          id_token_signing_alg_values_supported: ["RS256"],
        });
      }
      if (url.pathname.endsWith("/oauth2/v2.0/devicecode")) {
        return json(response, 200, {
          device_code: `device-${randomUUID()}`,
          user_code: "FAKE-CODE",
          verification_uri: `${base}/device`,
          expires_in: 900,
          interval: 1,
          message: `To sign in, use a web browser to open the page ${base}/device and enter the code FAKE-CODE to authenticate.`,
        });
      }
      if (url.pathname.endsWith("/oauth2/v2.0/token")) {
        const body = await form(request);
        return json(response, 200, tokens(body.get("client_id") ?? "", body.get("scope") ?? ""));
      }
      json(response, 404, { error: "not_found", error_description: url.pathname });
    },
  );
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    authority: `${base}/${tenant}`,
    tenant,
    issuer: issuer(),
    jwksUri,
    caFile,
    scopes,
    close: async () => {
      server.closeAllConnections();
      jwks.closeAllConnections();
      await Promise.all([
        new Promise((resolve) => server.close(resolve)),
        new Promise((resolve) => jwks.close(resolve)),
      ]);
    },
  };
};
