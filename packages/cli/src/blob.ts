import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import { parseProblem } from "./client.js";
import { CliError, exitCodeFor, problemLine } from "./errors.js";

/** A file's URL inside a container link: the container path plus `/{name}`, the query unchanged. */
export const fileUrl = (containerUrl: string, name: string, extra: Record<string, string> = {}): URL => {
  const url = new URL(containerUrl);
  url.pathname = `${url.pathname.replace(/\/+$/, "")}/${encodeURIComponent(name)}`;
  for (const [key, value] of Object.entries(extra)) url.searchParams.set(key, value);
  return url;
};

/** A failure a new attempt may cure: the connection dropped, or the server asked to come back later. */
export class TransientError extends Error {
  constructor(
    message: string,
    /** Milliseconds the server asked to wait (Retry-After), when it said. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = "TransientError";
  }
}

const RETRY_STATUSES = new Set([408, 429, 500, 502, 503, 504]);

const readBody = (response: IncomingMessage): Promise<string> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    response.on("data", (chunk: Buffer) => chunks.push(chunk));
    response.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    response.on("error", reject);
  });

/** Throws what a Blob answer that is not ok means: a TransientError to retry, or a CliError. */
const failFor = async (response: IncomingMessage, what: string): Promise<never> => {
  const status = response.statusCode ?? 0;
  const text = await readBody(response).catch(() => "");
  const problem = parseProblem(text);
  const code = problem.code ?? (response.headers["x-ms-error-code"] as string | undefined);
  if (RETRY_STATUSES.has(status)) {
    const seconds = Number(response.headers["retry-after"]);
    throw new TransientError(
      `${what} answered ${status}${code ? ` ${code}` : ""}`,
      Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : undefined,
    );
  }
  throw new CliError(
    `${what}: ${problemLine(status, { ...problem, ...(code ? { code } : {}) })}`,
    exitCodeFor(status, code),
    code,
    status,
  );
};

const requestFor = (url: URL) => (url.protocol === "https:" ? httpsRequest : httpRequest);

/**
 * One PUT of `body` to a Blob URL, written in slices so `onSent` can report bytes as they leave.
 * A dropped connection is a TransientError.
 */
export const putBytes = (
  url: URL,
  body: Buffer,
  headers: Record<string, string>,
  onSent: (bytes: number) => void,
  what: string,
): Promise<string> =>
  new Promise((resolve, reject) => {
    const slice = 256 * 1024;
    const outgoing = requestFor(url)(url, {
      method: "PUT",
      headers: { ...headers, "content-length": String(body.length) },
    });
    let settled = false;
    const fail = (error: unknown) => {
      if (settled) return;
      settled = true;
      outgoing.destroy();
      reject(error);
    };
    outgoing.on("error", (error: NodeJS.ErrnoException) =>
      fail(new TransientError(`${what}: the connection dropped (${error.code ?? error.message})`)),
    );
    outgoing.on("response", (response) => {
      if ((response.statusCode ?? 0) >= 200 && (response.statusCode ?? 0) < 300) {
        readBody(response).then(
          (text) => {
            settled = true;
            resolve(text);
          },
          (error: NodeJS.ErrnoException) =>
            fail(new TransientError(`${what}: the connection dropped (${error.code ?? error.message})`)),
        );
      } else {
        failFor(response, what).catch(fail);
      }
    });
    const write = (offset: number) => {
      if (settled) return;
      if (offset >= body.length) {
        outgoing.end();
        return;
      }
      const piece = body.subarray(offset, Math.min(offset + slice, body.length));
      const more = outgoing.write(piece, (error) => {
        if (!error) onSent(piece.length);
      });
      if (more) setImmediate(() => write(offset + piece.length));
      else outgoing.once("drain", () => write(offset + piece.length));
    };
    write(0);
  });

/** A GET of a Blob URL (`headers` may ask for a range), answering the response once it is 200 or 206. */
export const getBlob = (
  url: URL,
  what: string,
  headers: Record<string, string> = {},
): Promise<IncomingMessage> =>
  new Promise((resolve, reject) => {
    const outgoing = requestFor(url)(url, { method: "GET", headers });
    outgoing.on("error", (error: NodeJS.ErrnoException) =>
      reject(new TransientError(`${what}: the connection dropped (${error.code ?? error.message})`)),
    );
    outgoing.on("response", (response) => {
      if (response.statusCode === 200 || response.statusCode === 206) resolve(response);
      else failFor(response, what).catch(reject);
    });
    outgoing.end();
  });
