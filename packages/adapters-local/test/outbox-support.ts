import { Writable } from "node:stream";
import { pino } from "pino";
import type { DeliveryPass, OutboxDelivery } from "../src/index.js";

/** Runs passes until the outbox is empty; fails after `passes` passes (nothing due is waiting). */
export const drain = async (delivery: OutboxDelivery, passes = 10): Promise<DeliveryPass> => {
  let last: DeliveryPass | undefined;
  for (let i = 0; i < passes; i++) {
    last = await delivery.deliverDue();
    if (last.pending === 0) return last;
  }
  throw new Error(`the outbox still holds ${last?.pending} rows after ${passes} passes`);
};

/** A clock the test moves by hand. */
export const manualClock = (start = Date.parse("2026-01-01T00:00:00Z")) => {
  let now = start;
  return {
    now: () => now,
    set: (time: number) => {
      now = time;
    },
    advance: (ms: number) => {
      now += ms;
    },
  };
};

/** A pino logger writing JSON lines into an array. */
export const capturedLogger = () => {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString("utf8").split("\n")) if (line !== "") lines.push(JSON.parse(line));
      callback();
    },
  });
  return { logger: pino({ level: "debug" }, stream), lines };
};
