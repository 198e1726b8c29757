import { once } from "node:events";
import { connect, type Socket } from "node:net";
import { Writable } from "node:stream";

/** A TCP connection to the server that sends exactly what the test writes, and records what comes back. */
export interface OpenSocket {
  readonly socket: Socket;
  /** Everything the server sent so far. */
  received(): string;
  /** Settles when the server (or the network) closed the connection. */
  readonly closed: Promise<void>;
}

export const openSocket = async (baseUrl: string): Promise<OpenSocket> => {
  const url = new URL(baseUrl);
  const socket = connect({ host: url.hostname, port: Number(url.port) });
  const chunks: Buffer[] = [];
  socket.on("data", (chunk: Buffer) => chunks.push(chunk));
  socket.on("error", () => {});
  // Not events.once: it rejects on 'error', and a connection the server cuts may end in a reset.
  const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
  await once(socket, "connect");
  return { socket, received: () => Buffer.concat(chunks).toString("utf8"), closed };
};

/** The request line and headers of a request through `url` (path and query kept as they are). */
export const head = (method: string, url: string, headers: Record<string, string | number>): string => {
  const target = new URL(url);
  const lines = Object.entries({ host: target.host, ...headers }).map(([name, value]) => `${name}: ${value}`);
  return `${method} ${target.pathname}${target.search} HTTP/1.1\r\n${lines.join("\r\n")}\r\n\r\n`;
};

/** A pino destination that keeps every line, parsed. */
export const logSink = () => {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split("\n")) if (line.trim()) lines.push(JSON.parse(line));
      done();
    },
  });
  /** Settles once a line with `msg` containing `text` was written. */
  const waitFor = async (text: string): Promise<Record<string, unknown>> => {
    for (;;) {
      const found = lines.find((line) => String(line.msg).includes(text));
      if (found) return found;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  };
  return { stream, lines, waitFor };
};
