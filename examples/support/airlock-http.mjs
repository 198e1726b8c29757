// What the HTTP examples share, with nothing but Node's fetch and crypto: where the server is, how
// to mint its development tokens, one JSON call, file URLs inside a link, and waiting for a status.
//
// AIRLOCK_URL (default http://127.0.0.1:8080) and AIRLOCK_DEV_SECRET (default: the server's
// documented development secret) say where the server is and how to mint its tokens.

import { createHmac } from "node:crypto";

export const BASE = (process.env.AIRLOCK_URL ?? "http://127.0.0.1:8080").replace(/\/+$/, "");
// The same documented default as the server's (packages/http/src/auth/config.ts).
const SECRET = process.env.AIRLOCK_DEV_SECRET ?? "airlock-development-secret-do-not-use-in-production";
export const API_AUDIENCE = process.env.AIRLOCK_API_AUDIENCE ?? "airlock-api";
const WAIT_MS = 30_000;

let step = 0;
/** A numbered step of the example's story. */
export const say = (text) => console.log(`\n${++step}. ${text}`);
/** A line under the current step. */
export const detail = (text) => console.log(`   ${text}`);

/** An HS256 JWT shaped like an Entra ID access token, as the server's development mode expects. */
export const mintToken = ({ user, name, roles, audience }) => {
  const encode = (value) => Buffer.from(JSON.stringify(value)).toString("base64url");
  const now = Math.floor(Date.now() / 1000);
  const header = encode({ alg: "HS256", typ: "JWT" });
  const payload = encode({
    oid: user,
    sub: user,
    name,
    email: `${user}@example.org`,
    roles,
    aud: audience,
    iss: "airlock-dev",
    iat: now,
    exp: now + 3600,
  });
  const signature = createHmac("sha256", SECRET).update(`${header}.${payload}`).digest("base64url");
  return `${header}.${payload}.${signature}`;
};

/** One JSON call; a problem+json answer stops the example with its details. */
export const api = async (method, path, token, body) => {
  const response = await fetch(`${BASE}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const answer = await response.json();
  if (!response.ok) {
    throw new Error(`${method} ${path} answered ${response.status} ${answer.code}: ${answer.detail}`);
  }
  return answer;
};

/** A file URL inside a container link: the container path plus `/{name}`, the token unchanged. */
export const fileUrl = (containerUrl, name) => {
  const url = new URL(containerUrl);
  url.pathname = `${url.pathname}/${encodeURIComponent(name)}`;
  return url;
};

/**
 * Uploads `body` (text or bytes) as the file `name` through a container link, as a Blob client's
 * Put Blob does; anything but 201 Created stops the example. Answers the bytes sent.
 */
export const putFile = async (containerUrl, name, body, contentType) => {
  const bytes = typeof body === "string" ? Buffer.from(body) : body;
  const response = await fetch(fileUrl(containerUrl, name), {
    method: "PUT",
    headers: { "x-ms-blob-type": "BlockBlob", "content-type": contentType },
    body: bytes,
  });
  if (response.status !== 201)
    throw new Error(`upload answered ${response.status}: ${await response.text()}`);
  return bytes.length;
};

/** Reads the request until it reaches `wanted`; a final status on the way stops the example. */
export const waitForStatus = async (path, token, wanted) => {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const { airlockRequest } = await api("GET", path, token);
    if (airlockRequest.status === wanted) return airlockRequest;
    if (["failed", "blocked_by_scan", "rejected", "cancelled"].includes(airlockRequest.status)) {
      throw new Error(`the request ended ${airlockRequest.status}: ${airlockRequest.statusMessage ?? ""}`);
    }
    if (Date.now() > deadline) throw new Error(`still ${airlockRequest.status} after ${WAIT_MS / 1000} s`);
    detail(`status ${airlockRequest.status}, waiting…`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
};

/** Stops the example with what to do when no server answers at BASE. */
export const checkServer = async (example) => {
  const health = await fetch(`${BASE}/health`).catch((error) => {
    throw new Error(
      `no server answers at ${BASE} (${error.cause?.code ?? error.message}): start one with \`pnpm start\`, or point AIRLOCK_URL at yours (AIRLOCK_URL=http://host:port node ${example})`,
    );
  });
  if (!health.ok) throw new Error(`${BASE}/health answered ${health.status}`);
};
