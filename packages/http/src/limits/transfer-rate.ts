import type { FastifyRequest, onRequestHookHandler } from "fastify";

const TOO_SLOW = Symbol("airlock.tooSlow");
type Marked = FastifyRequest["raw"] & { [TOO_SLOW]?: true };

/** Whether the transfer-rate watch cut this request's body. */
export const cutForSlowness = (request: FastifyRequest): boolean =>
  (request.raw as Marked)[TOO_SLOW] === true;

const hasBody = (request: FastifyRequest): boolean => {
  const length = request.headers["content-length"];
  return request.headers["transfer-encoding"] !== undefined || (length !== undefined && length !== "0");
};

/**
 * Cuts a request whose body arrives slower than `minBytesPerSecond` on average over each `windowMs`,
 * as curl's speed limit does: the idle timeout catches a body that stops, this catches one that
 * trickles (a byte every few seconds keeps a connection from ever being idle). It counts the bytes
 * the socket read, so it never takes the body's stream away from whoever reads it.
 */
export const watchTransferRate = (minBytesPerSecond: number, windowMs: number): onRequestHookHandler => {
  const leastPerWindow = (minBytesPerSecond * windowMs) / 1000;
  return (request, _reply, done) => {
    if (minBytesPerSecond === 0 || !hasBody(request)) return done();
    const raw = request.raw as Marked;
    const socket = raw.socket;
    let counted = socket.bytesRead;
    const check = setInterval(() => {
      if (raw.complete || socket.destroyed) return stop();
      const read = socket.bytesRead - counted;
      counted = socket.bytesRead;
      if (read >= leastPerWindow) return;
      stop();
      raw[TOO_SLOW] = true;
      request.log.info(
        { bytesInWindow: read, windowMs, minBytesPerSecond },
        "request body slower than the minimum transfer rate; connection closed",
      );
      socket.destroy();
    }, windowMs);
    check.unref();
    const stop = () => clearInterval(check);
    raw.once("end", stop);
    raw.once("close", stop);
    done();
  };
};
