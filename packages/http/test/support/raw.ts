import { request } from "node:http";
import type { ApiAnswer } from "./server.js";

/**
 * One HTTP call whose path goes on the wire exactly as given. `fetch` normalises a URL first
 * (`..`, `%2e%2e`, spaces), so paths a hostile client would send need a client that does not.
 */
export const rawCall = (
  baseUrl: string,
  path: string,
  init: {
    readonly method?: string;
    readonly token?: string;
    readonly headers?: Record<string, string>;
    readonly body?: string | Uint8Array;
  } = {},
): Promise<ApiAnswer<unknown>> =>
  new Promise((resolve, reject) => {
    const base = new URL(baseUrl);
    const headers: Record<string, string> = { ...init.headers };
    if (init.token) headers.authorization = `Bearer ${init.token}`;
    if (init.body !== undefined) headers["content-length"] = String(Buffer.byteLength(init.body));
    const sent = request(
      {
        host: base.hostname,
        port: base.port,
        method: init.method ?? "GET",
        path,
        headers,
        // Every call its own connection: a refused call must not leave a half-read socket behind.
        agent: false,
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("error", reject);
        response.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          const contentType = String(response.headers["content-type"] ?? "");
          const responseHeaders = new Headers();
          for (const [name, value] of Object.entries(response.headers)) {
            if (typeof value === "string") responseHeaders.set(name, value);
            else if (Array.isArray(value)) for (const item of value) responseHeaders.append(name, item);
          }
          let body: unknown = text;
          if (contentType.includes("json") && text !== "") body = JSON.parse(text);
          resolve({ status: response.statusCode ?? 0, contentType, headers: responseHeaders, body });
        });
      },
    );
    sent.on("error", reject);
    if (init.body !== undefined) sent.write(init.body);
    sent.end();
  });
