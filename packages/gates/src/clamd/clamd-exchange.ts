import { connect, type Socket } from "node:net";
import { err, ok, type Result } from "neverthrow";
import type { ClamdAddress } from "./clamd-address.js";

export interface ExchangeTimeouts {
  /** How long reaching clamd may take. */
  readonly connectTimeoutMs: number;
  /** How long the connection may stay silent (clamd neither reading nor answering). */
  readonly idleTimeoutMs: number;
}

/** Why no reply came: clamd could not be reached, went silent, or closed without answering. */
export type ExchangeFailure =
  | { readonly kind: "unreachable"; readonly message: string }
  | { readonly kind: "timeout"; readonly message: string }
  | { readonly kind: "dropped"; readonly message: string }
  | { readonly kind: "read"; readonly message: string };

/** A reply is one short line; more than this is not clamd talking. */
const MAX_REPLY_BYTES = 4096;
/** Bytes sent in one INSTREAM chunk: large enough for few system calls, small enough to stay flat. */
export const CHUNK_BYTES = 256 * 1024;

/**
 * Frames INSTREAM chunks (the 4-byte big-endian length, then the bytes, copied: the source may
 * reuse its buffer) into two buffers used in turn, each reused only once the socket has taken what
 * it held: the same memory carries a file of any size, without garbage for the collector to catch
 * up with.
 */
const createFramer = (ended: Promise<void>) => {
  const buffers = [Buffer.allocUnsafe(4 + CHUNK_BYTES), Buffer.allocUnsafe(4 + CHUNK_BYTES)];
  const taken: Promise<void>[] = [Promise.resolve(), Promise.resolve()];
  let next = 0;
  return {
    /** The framed chunk in a free buffer, and what to call once the socket took it. */
    frame: async (bytes: Uint8Array) => {
      const index = next;
      next = 1 - next;
      await Promise.race([taken[index], ended]);
      const buffer = buffers[index] as Buffer;
      buffer.writeUInt32BE(bytes.length, 0);
      buffer.set(bytes, 4);
      let release: () => void = () => {};
      taken[index] = new Promise<void>((resolve) => {
        release = resolve;
      });
      return { framed: buffer.subarray(0, 4 + bytes.length), release };
    },
  };
};

const END_OF_STREAM = Buffer.alloc(4);

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

const reasonOf = (cause: unknown) => (cause instanceof Error ? cause.message : String(cause));

const socketTo = (address: ClamdAddress): Socket =>
  address.kind === "tcp"
    ? connect({ host: address.host, port: address.port })
    : connect({ path: address.path });

/** clamd's reply, and whether the whole body (its end-of-stream chunk included) was sent first. */
export interface ClamdReply {
  readonly text: string;
  readonly afterWholeBody: boolean;
}

/** What an ended read hands back instead of a chunk. */
const STOPPED = Symbol("stopped");

/**
 * Sends one `z`-command to clamd (a NUL-terminated command, its reply NUL-terminated) and, for
 * `zINSTREAM`, the body as length-prefixed chunks ended by a zero-length one. Answers clamd's
 * reply without its terminator, saying whether it came after the whole body was sent.
 *
 * - Backpressure: a chunk is sent only once the socket has taken the previous ones, so memory holds
 *   a chunk or two whatever the size of the body.
 * - clamd may answer before the body ends (its size limit); the rest of the body is then not read.
 * - The connection is always closed when this answers, and the body's reader is released.
 */
export const exchange = (
  address: ClamdAddress,
  command: string,
  body: AsyncIterable<Uint8Array> | null,
  timeouts: ExchangeTimeouts,
): Promise<Result<ClamdReply, ExchangeFailure>> =>
  new Promise((resolve) => {
    const socket = socketTo(address);
    const received: Buffer[] = [];
    let receivedBytes = 0;
    let connected = false;
    let finished = false;
    let wholeBodySent = body === null;
    /** Wakes the writer when the socket drains or the exchange ends. */
    let wake: () => void = () => {};

    let end: () => void = () => {};
    /** Settles when the exchange ends: nothing waits for the socket after that. */
    const ended = new Promise<void>((resolve) => {
      end = resolve;
    });
    const finish = (result: Result<ClamdReply, ExchangeFailure>) => {
      if (finished) return;
      finished = true;
      end();
      clearTimeout(connectTimer);
      socket.destroy();
      wake();
      resolve(result);
    };
    const reply = (): ClamdReply => ({
      text: Buffer.concat(received)
        .toString("utf8")
        .replace(/\0[\s\S]*$/, "")
        .trim(),
      afterWholeBody: wholeBodySent,
    });

    const connectTimer = setTimeout(
      () =>
        finish(
          err({
            kind: "unreachable",
            message: `clamd did not accept a connection within ${timeouts.connectTimeoutMs} ms`,
          }),
        ),
      timeouts.connectTimeoutMs,
    );
    socket.setTimeout(timeouts.idleTimeoutMs, () =>
      finish(err({ kind: "timeout", message: `clamd was silent for ${timeouts.idleTimeoutMs} ms` })),
    );
    socket.on("data", (data: Buffer) => {
      received.push(data);
      receivedBytes += data.length;
      if (data.includes(0) || receivedBytes > MAX_REPLY_BYTES) finish(ok(reply()));
    });
    socket.on("drain", () => wake());
    socket.on("error", (cause) => {
      // A reply that arrived before the error (clamd closing on its size limit) still counts.
      if (receivedBytes > 0) return finish(ok(reply()));
      finish(
        err(
          connected
            ? { kind: "dropped", message: `the connection to clamd broke: ${reasonOf(cause)}` }
            : { kind: "unreachable", message: `clamd cannot be reached: ${reasonOf(cause)}` },
        ),
      );
    });
    socket.on("close", () => {
      if (receivedBytes > 0) return finish(ok(reply()));
      finish(err({ kind: "dropped", message: "clamd closed the connection without answering" }));
    });

    /** Waits until the socket takes more, or the exchange ended. */
    const drained = () =>
      new Promise<void>((resume) => {
        wake = resume;
      });
    const framer = createFramer(ended);
    const send = async (bytes: Uint8Array) => {
      // One turn of the event loop first: a reply clamd sent meanwhile (its size limit, just before
      // it resets the connection) is read before a write into the reset connection could lose it.
      await nextTurn();
      if (finished) return;
      const { framed, release } = await framer.frame(bytes);
      if (finished) return;
      // Released when written, or when the write failed (the exchange then ends anyway).
      if (!socket.write(framed, () => release()) && !finished) await drained();
    };

    const sendBody = async (chunks: AsyncIterable<Uint8Array>) => {
      const reader = chunks[Symbol.asyncIterator]();
      // A read that stalls does not outlive the exchange (clamd's answer, a time-out). Not a
      // Promise.race against `ended`: each race would stay attached to that one pending promise,
      // holding every chunk read until the exchange ends (memory growing with the file).
      let stopRead: (() => void) | undefined;
      void ended.then(() => stopRead?.());
      const read = () =>
        new Promise<IteratorResult<Uint8Array> | typeof STOPPED>((resolve, reject) => {
          stopRead = () => resolve(STOPPED);
          if (finished) resolve(STOPPED);
          reader.next().then(resolve, reject);
        });
      try {
        while (!finished) {
          const next = await read();
          if (next === STOPPED || next.done) break;
          const chunk = next.value;
          for (let offset = 0; offset < chunk.length && !finished; offset += CHUNK_BYTES) {
            await send(chunk.subarray(offset, offset + CHUNK_BYTES));
          }
        }
      } catch (cause) {
        finish(err({ kind: "read", message: `reading the file failed: ${reasonOf(cause)}` }));
      } finally {
        // Releases the reader where the exchange stopped: the rest of the file is never fetched.
        void Promise.resolve(reader.return?.()).catch(() => undefined);
      }
      if (finished) return;
      wholeBodySent = true;
      socket.write(END_OF_STREAM);
    };

    socket.once("connect", () => {
      connected = true;
      clearTimeout(connectTimer);
      socket.write(`${command}\0`);
      if (body !== null) void sendBody(body);
    });
  });
