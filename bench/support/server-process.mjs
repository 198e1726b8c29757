// The API server as `pnpm start` runs it (packages/server/dist/main.js, memory profile), in a child
// process of the benchmark, so that client and server never share an event loop or a heap.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { readFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { fileURLToPath } from "node:url";
import { DEV_SECRET_DEFAULT, mintDevToken } from "@airlock/http";

const MAIN = fileURLToPath(new URL("../../packages/server/dist/main.js", import.meta.url));

/**
 * Starts the server with `env` over the defaults (memory profile, a free port on 127.0.0.1, warn
 * logs) and node `flags`; `ipc` opens a channel to the child (for a probe loaded with --import).
 */
export const startServer = async ({ env = {}, flags = [], ipc = false } = {}) => {
  const child = spawn(process.execPath, [...flags, MAIN], {
    env: {
      ...process.env,
      AIRLOCK_PROFILE: "memory",
      PORT: "0",
      HOST: "127.0.0.1",
      LOG_LEVEL: "warn",
      ...env,
    },
    stdio: ["ignore", "pipe", "inherit", ...(ipc ? ["ipc"] : [])],
  });
  let output = "";
  const base = await new Promise((resolve, reject) => {
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (text) => {
      output += text;
      const found = /Airlock API\s+(http:\/\/\S+)/.exec(output);
      if (found) resolve(found[1]);
    });
    child.once("exit", (code) => reject(new Error(`the server exited with ${code}: ${output}`)));
  });
  child.stdout.resume();
  const kib = (field) => {
    let status = "";
    try {
      status = readFileSync(`/proc/${child.pid}/status`, "utf8");
    } catch {}
    const found = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status);
    return found ? Number(found[1]) * 1024 : Number.NaN;
  };
  return {
    child,
    base,
    /** The server's resident memory now (Linux: /proc). */
    rss: () => kib("VmRSS"),
    /** The server's peak resident memory so far. */
    peakRss: () => kib("VmHWM"),
    stop: async () => {
      if (child.exitCode !== null) return;
      child.kill("SIGTERM");
      await once(child, "exit");
    },
  };
};

/** A development token for the demo workspace `pnpm start` registers (`ws1`), or for the API. */
export const devToken = (userId, roles, audience = "ws1") =>
  mintDevToken({
    secret: process.env.AIRLOCK_DEV_SECRET ?? DEV_SECRET_DEFAULT,
    userId,
    roles,
    audience,
    ttlSeconds: 3600,
  });

const UPLOAD_CHUNK = 64 * 1024;

/**
 * Uploads `bytes` through a link (`containerUrl`) as `name` (default `big.bin`), streamed from
 * `body()` (default: one reused 64 KiB buffer of the letter a): the client never holds the file.
 */
export const uploadThroughLink = (containerUrl, bytes, { name = "big.bin", body = repeated(bytes) } = {}) =>
  new Promise((resolve, reject) => {
    const url = new URL(containerUrl);
    url.pathname = `${url.pathname}/${name}`;
    const request = httpRequest(url, {
      method: "PUT",
      headers: { "x-ms-blob-type": "BlockBlob", "content-length": String(bytes) },
    });
    request.on("response", (response) => {
      response.resume();
      response.on("end", () =>
        response.statusCode === 201 ? resolve() : reject(new Error(`upload answered ${response.statusCode}`)),
      );
    });
    request.on("error", reject);
    pipeline(Readable.from(body()), request).catch(reject);
  });

/** `bytes` of the letter a, from one reused 64 KiB buffer. */
const repeated = (bytes) =>
  async function* () {
    const chunk = Buffer.alloc(UPLOAD_CHUNK, 0x61);
    for (let sent = 0; sent < bytes; sent += UPLOAD_CHUNK) {
      yield sent + UPLOAD_CHUNK <= bytes ? chunk : chunk.subarray(0, bytes - sent);
    }
  };
