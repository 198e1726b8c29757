import { styleText } from "node:util";

type Env = Readonly<Record<string, string | undefined>>;

/**
 * How a command speaks. `json`: the answer as one JSON document on stdout and nothing else there.
 * `interactive`: progress bars, spinners and colour, only when stdout is a terminal and NO_COLOR
 * is not set (a pipe or a log file gets plain lines).
 */
export interface Output {
  readonly json: boolean;
  readonly interactive: boolean;
  /** The command's answer: JSON, or the human lines. */
  result(value: unknown, human: () => string): void;
  /** A line for people on stderr (never in --json mode's stdout). */
  note(line: string): void;
  /** Colour for people, when interactive. */
  style(format: Parameters<typeof styleText>[0], text: string): string;
}

export const createOutput = (options: {
  readonly json: boolean;
  readonly stdout?: NodeJS.WriteStream;
  readonly stderr?: NodeJS.WriteStream;
  readonly env?: Env;
}): Output => {
  const stdout = options.stdout ?? process.stdout;
  const stderr = options.stderr ?? process.stderr;
  const env = options.env ?? process.env;
  const noColor = env.NO_COLOR !== undefined && env.NO_COLOR !== "";
  const interactive = !options.json && stdout.isTTY === true && !noColor && env.TERM !== "dumb";
  return {
    json: options.json,
    interactive,
    result(value, human) {
      if (options.json) stdout.write(`${JSON.stringify(value, null, 2)}\n`);
      else {
        const text = human();
        if (text) stdout.write(text.endsWith("\n") ? text : `${text}\n`);
      }
    },
    note(line) {
      stderr.write(`${line}\n`);
    },
    style(format, text) {
      return interactive ? styleText(format, text, { validateStream: false }) : text;
    },
  };
};
