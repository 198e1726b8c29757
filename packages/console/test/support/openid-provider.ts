import { execFile } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import type { Role } from "@airlock/core";
import { exportJWK, generateKeyPair, SignJWT } from "jose";

/** A person the provider signs in, with the app roles assigned to them per audience. */
export interface ProviderUser {
  readonly id: string;
  readonly name: string;
  readonly email: string;
  /** The roles of the console's own app registration: they reach the ID token. */
  readonly consoleRoles: readonly Role[];
  /** Per audience (an app registration's client id): the roles its access tokens carry. */
  readonly roles: Readonly<Record<string, readonly Role[]>>;
}

export interface ProviderOptions {
  /** The console's app registration. */
  readonly clientId: string;
  /** Redirect URIs registered for it (the console's origin, with a trailing slash). */
  readonly redirectUris: readonly string[];
  readonly users: readonly ProviderUser[];
}

export interface OpenIdProvider {
  /** The authority MSAL is given: `https://127.0.0.1:<port>/tenant`, also the tokens' issuer. */
  readonly authority: string;
  /** Where the airlock server fetches the signing keys (plain HTTP: Node would refuse the test certificate). */
  readonly jwksUri: string;
  /** Who the next `/authorize` signs in: the provider consents for them at once. */
  signInAs(userId: string): void;
  /** The next `/authorize` answers `access_denied`, as when a person declines or is not assigned. */
  refuseSignIn(): void;
  /** Forgets every refresh token given so far, as when they expire: MSAL must sign in again. */
  revokeRefreshTokens(): void;
  /** What the provider was asked at `/authorize` and `/token`, in order. */
  readonly calls: readonly { readonly path: string; readonly params: Readonly<Record<string, string>> }[];
  close(): Promise<void>;
}

const TENANT = "/tenant";
const TOKEN_SECONDS = 3600;
/** The OpenID scopes; any other is a resource's, `api://<client id>/<name>`. */
const OPENID_SCOPES = new Set(["openid", "profile", "email", "offline_access"]);

/** A certificate for 127.0.0.1 that only this test trusts (its browser context ignores HTTPS errors). */
const selfSignedCertificate = async (): Promise<{ key: Buffer; cert: Buffer }> => {
  const dir = await mkdtemp(join(tmpdir(), "airlock-oidc-"));
  try {
    await promisify(execFile)("openssl", [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:prime256v1",
      "-nodes",
      "-days",
      "1",
      "-subj",
      "/CN=127.0.0.1",
      "-addext",
      "subjectAltName=IP:127.0.0.1",
      "-keyout",
      join(dir, "key.pem"),
      "-out",
      join(dir, "cert.pem"),
    ]);
    return { key: await readFile(join(dir, "key.pem")), cert: await readFile(join(dir, "cert.pem")) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
};

const base64url = (bytes: Buffer): string => bytes.toString("base64url");

const readBody = async (request: IncomingMessage): Promise<string> => {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
};

/** The audience a resource scope asks for, as Entra's v2 tokens name it: the app's client id. */
const audienceOf = (scope: string): string | undefined => {
  const match = /^api:\/\/([^/]+)\/[^/]+$/.exec(scope);
  return match?.[1];
};

interface Grant {
  readonly user: ProviderUser;
  readonly redirectUri: string;
  readonly challenge: string;
  readonly nonce: string | undefined;
}

/**
 * A small OpenID provider for the console's browser tests: authorization code with PKCE, as MSAL
 * uses it with a non-Microsoft authority. `/authorize` consents at once for the preset user and
 * checks the PKCE challenge (S256 only) and `state`; `/token` checks the verifier against the
 * challenge and answers RS256 access tokens whose audience is the asked resource's client id, ID
 * tokens carrying the console roles, and refresh tokens (MSAL's silent path to other audiences).
 * The browser reaches it over HTTPS (MSAL refuses other authorities); the airlock server reads its
 * keys over plain HTTP.
 */
export const startOpenIdProvider = async (options: ProviderOptions): Promise<OpenIdProvider> => {
  const { privateKey, publicKey } = await generateKeyPair("RS256");
  const jwk = { ...(await exportJWK(publicKey)), kid: "test-key", alg: "RS256", use: "sig" };
  const codes = new Map<string, Grant>();
  const refreshTokens = new Map<string, ProviderUser>();
  const calls: { path: string; params: Record<string, string> }[] = [];
  let current: ProviderUser | undefined = options.users[0];
  let issuer = "";
  let jwksUri = "";

  const sign = (claims: Record<string, unknown>, audience: string) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: "RS256", kid: jwk.kid, typ: "JWT" })
      .setIssuer(issuer)
      .setAudience(audience)
      .setIssuedAt()
      .setNotBefore("0s")
      .setExpirationTime(`${TOKEN_SECONDS}s`)
      .sign(privateKey);

  const tokensFor = async (user: ProviderUser, scope: string, nonce: string | undefined) => {
    const resource = scope.split(" ").find((entry) => entry && !OPENID_SCOPES.has(entry));
    const audience = resource ? audienceOf(resource) : undefined;
    const refresh = base64url(randomBytes(24));
    refreshTokens.set(refresh, user);
    const person = { sub: user.id, oid: user.id, name: user.name, preferred_username: user.email };
    return {
      token_type: "Bearer",
      scope: resource ?? scope,
      expires_in: TOKEN_SECONDS,
      ext_expires_in: TOKEN_SECONDS,
      access_token: await sign(
        {
          ...person,
          roles: audience ? (user.roles[audience] ?? []) : [],
          scp: resource?.split("/").pop() ?? "",
        },
        audience ?? options.clientId,
      ),
      id_token: await sign(
        { ...person, roles: user.consoleRoles, ...(nonce ? { nonce } : {}) },
        options.clientId,
      ),
      refresh_token: refresh,
    };
  };

  const send = (
    response: ServerResponse,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
  ) => {
    response.writeHead(status, {
      "content-type": "application/json",
      "cache-control": "no-store",
      ...headers,
    });
    response.end(JSON.stringify(body));
  };
  const oauthError = (
    response: ServerResponse,
    cors: Record<string, string>,
    error: string,
    description: string,
  ) => send(response, 400, { error, error_description: description }, cors);

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const url = new URL(request.url ?? "/", issuer);
    // MSAL fetches the metadata and the token endpoint from the console's origin.
    const cors: Record<string, string> = {
      "access-control-allow-origin": request.headers.origin ?? "*",
      "access-control-allow-methods": "GET, POST, OPTIONS",
      "access-control-allow-headers": request.headers["access-control-request-headers"] ?? "content-type",
      "access-control-max-age": "600",
    };
    if (request.method === "OPTIONS") {
      response.writeHead(204, cors);
      response.end();
      return;
    }
    switch (url.pathname) {
      case `${TENANT}/.well-known/openid-configuration`:
        return send(
          response,
          200,
          {
            issuer,
            authorization_endpoint: `${issuer}/authorize`,
            token_endpoint: `${issuer}/token`,
            end_session_endpoint: `${issuer}/logout`,
            jwks_uri: jwksUri,
            response_types_supported: ["code"],
            response_modes_supported: ["query", "fragment"],
            subject_types_supported: ["public"],
            id_token_signing_alg_values_supported: ["RS256"],
            code_challenge_methods_supported: ["S256"],
            scopes_supported: [...OPENID_SCOPES],
          },
          cors,
        );
      case `${TENANT}/keys`:
        return send(response, 200, { keys: [jwk] }, cors);
      case `${TENANT}/authorize`: {
        const params = Object.fromEntries(url.searchParams);
        calls.push({ path: "authorize", params });
        const redirectUri = params.redirect_uri ?? "";
        if (params.client_id !== options.clientId || !options.redirectUris.includes(redirectUri)) {
          response.writeHead(400, { "content-type": "text/plain" });
          response.end("unknown client or redirect URI");
          return;
        }
        const answer = new URLSearchParams();
        if (!params.state) answer.set("error", "invalid_request");
        else if (params.response_type !== "code") answer.set("error", "unsupported_response_type");
        else if (params.code_challenge_method !== "S256" || !params.code_challenge) {
          answer.set("error", "invalid_request");
          answer.set("error_description", "PKCE with S256 is required");
        } else if (!current) {
          answer.set("error", "access_denied");
          answer.set(
            "error_description",
            "The signed in user is not assigned to a role for the application.",
          );
        } else {
          const code = base64url(randomBytes(24));
          codes.set(code, {
            user: current,
            redirectUri,
            challenge: params.code_challenge,
            nonce: params.nonce,
          });
          answer.set("code", code);
        }
        if (params.state) answer.set("state", params.state);
        const separator = params.response_mode === "query" ? "?" : "#";
        response.writeHead(302, { location: `${redirectUri}${separator}${answer}` });
        response.end();
        return;
      }
      case `${TENANT}/token`: {
        if (request.method !== "POST") return send(response, 405, { error: "invalid_request" }, cors);
        const params = Object.fromEntries(new URLSearchParams(await readBody(request)));
        calls.push({ path: "token", params });
        if (params.client_id !== options.clientId)
          return oauthError(response, cors, "invalid_client", "unknown client");
        if (params.grant_type === "authorization_code") {
          const grant = codes.get(params.code ?? "");
          codes.delete(params.code ?? "");
          if (!grant) return oauthError(response, cors, "invalid_grant", "unknown or used code");
          if (params.redirect_uri !== grant.redirectUri) {
            return oauthError(
              response,
              cors,
              "invalid_grant",
              "redirect_uri differs from the authorization's",
            );
          }
          const verifier = params.code_verifier ?? "";
          if (base64url(createHash("sha256").update(verifier).digest()) !== grant.challenge) {
            return oauthError(
              response,
              cors,
              "invalid_grant",
              "code_verifier does not match the code_challenge",
            );
          }
          return send(response, 200, await tokensFor(grant.user, params.scope ?? "", grant.nonce), cors);
        }
        if (params.grant_type === "refresh_token") {
          const user = refreshTokens.get(params.refresh_token ?? "");
          if (!user) {
            return oauthError(
              response,
              cors,
              "invalid_grant",
              "AADSTS700082: The refresh token has expired.",
            );
          }
          return send(response, 200, await tokensFor(user, params.scope ?? "", undefined), cors);
        }
        return oauthError(response, cors, "unsupported_grant_type", String(params.grant_type));
      }
      case `${TENANT}/logout`: {
        const back = url.searchParams.get("post_logout_redirect_uri");
        const allowed = back && options.redirectUris.some((uri) => back.startsWith(uri));
        response.writeHead(
          allowed ? 302 : 200,
          allowed ? { location: back } : { "content-type": "text/plain" },
        );
        response.end(allowed ? "" : "signed out");
        return;
      }
      default:
        return send(response, 404, { error: "not_found" }, cors);
    }
  };
  const listener = (request: IncomingMessage, response: ServerResponse) => {
    handle(request, response).catch((error: unknown) => {
      if (!response.headersSent)
        send(response, 500, { error: "server_error", error_description: String(error) });
    });
  };

  const tls = createHttpsServer(await selfSignedCertificate(), listener);
  const plain = createHttpServer(listener);
  const listen = (server: typeof tls | typeof plain) =>
    new Promise<number>((resolve) =>
      server.listen(0, "127.0.0.1", () => resolve((server.address() as AddressInfo).port)),
    );
  issuer = `https://127.0.0.1:${await listen(tls)}${TENANT}`;
  jwksUri = `http://127.0.0.1:${await listen(plain)}${TENANT}/keys`;

  return {
    authority: issuer,
    jwksUri,
    calls,
    revokeRefreshTokens: () => refreshTokens.clear(),
    refuseSignIn: () => {
      current = undefined;
    },
    signInAs: (userId) => {
      current = options.users.find((user) => user.id === userId);
      if (!current) throw new Error(`the provider knows no user ${userId}`);
    },
    close: async () => {
      for (const server of [tls, plain]) {
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      }
    },
  };
};
