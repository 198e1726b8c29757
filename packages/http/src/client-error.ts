import type { Socket } from "node:net";
import type { ConnectionError } from "fastify";
import { type ProblemCode, problem } from "./problem.js";

const codeOf = (error: ConnectionError): ProblemCode => {
  switch (error.code) {
    case "HPE_HEADER_OVERFLOW":
      return "HeadersTooLarge";
    case "ERR_HTTP_REQUEST_TIMEOUT":
      return "RequestTimeout";
    default:
      return "BadRequest";
  }
};

const DETAIL: Readonly<Partial<Record<ProblemCode, string>>> = {
  HeadersTooLarge: "the request line and headers exceed the server's limit; shorten the URL or the headers",
  RequestTimeout: "the request did not arrive in time",
  BadRequest: "the request is not valid HTTP",
};

/**
 * Answers what Node's HTTP parser refuses before fastify sees a request (an overlong URL, broken
 * framing) as problem+json, like every other error, instead of fastify's own JSON shape.
 */
export const clientErrorHandler = (error: ConnectionError, socket: Socket): void => {
  // A reset connection has nobody left to answer.
  if (error.code === "ECONNRESET" || socket.destroyed) return;
  const code = codeOf(error);
  const body = JSON.stringify(problem(code, DETAIL[code] ?? "the request is not valid HTTP"));
  const { status, title } = problem(code, "");
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${title}\r\nContent-Type: application/problem+json\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(error);
};
