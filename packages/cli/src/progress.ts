import cliProgress from "cli-progress";
import { createSpinner } from "nanospinner";
import { bytes } from "./format.js";
import type { Output } from "./output.js";

/** What a transfer reports as it goes; a no-op when the output is not a terminal. */
export interface Transfer {
  /** Sets the bytes moved so far (a retried block moves it back). */
  set(done: number): void;
  /** A line above the bars (a retry, a warning), on stderr. */
  log(line: string): void;
  finish(): void;
}

export interface Transfers {
  file(name: string, total: number): Transfer;
  stop(): void;
}

const rate = (done: number, startedAt: number) => {
  const seconds = (Date.now() - startedAt) / 1000;
  return seconds > 0 ? done / seconds : 0;
};

/**
 * A progress bar per file (bytes, rate, time left) from cli-progress, on stderr, when the output
 * is a terminal; otherwise only the log lines.
 */
export const createTransfers = (out: Output): Transfers => {
  if (!out.interactive) {
    return {
      file: () => ({ set: () => {}, log: (line) => out.note(line), finish: () => {} }),
      stop: () => {},
    };
  }
  const bars = new cliProgress.MultiBar(
    {
      format: "{name} {bar} {percentage}% | {done} of {size} | {rate}/s | {eta_formatted} left",
      barCompleteChar: "\u2588",
      barIncompleteChar: "\u2591",
      hideCursor: true,
      clearOnComplete: false,
      stopOnComplete: false,
      etaBuffer: 50,
      fps: 10,
      stream: process.stderr,
    },
    cliProgress.Presets.shades_classic,
  );
  // Ctrl-C: the bars give the cursor back before the process ends, as a shell expects.
  const interrupted = () => {
    bars.stop();
    process.exit(130);
  };
  process.once("SIGINT", interrupted);
  return {
    file(name, total) {
      const startedAt = Date.now();
      const payload = (done: number) => ({
        name,
        done: bytes(done),
        size: bytes(total),
        rate: bytes(Math.round(rate(done, startedAt))),
      });
      const bar = bars.create(Math.max(total, 1), 0, payload(0));
      return {
        set: (done) => bar.update(done, payload(done)),
        log: (line) => bars.log(`${line}\n`),
        finish: () => bar.update(Math.max(total, 1), payload(total)),
      };
    },
    stop: () => {
      process.removeListener("SIGINT", interrupted);
      bars.stop();
    },
  };
};

/** A spinner (nanospinner) on stderr while waiting, when the output is a terminal. */
export const createWaiting = (out: Output, text: string) => {
  if (!out.interactive) return { update: (_text: string) => {}, stop: () => {}, fail: (_text: string) => {} };
  const spinner = createSpinner(text, { stream: process.stderr }).start();
  return {
    update: (next: string) => {
      spinner.update({ text: next });
    },
    stop: () => {
      spinner.clear();
      spinner.stop();
    },
    fail: (next: string) => {
      spinner.error({ text: next });
    },
  };
};
