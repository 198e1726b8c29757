import { Command, CommanderError, Option } from "commander";
import { registerAdmin } from "./commands/admin.js";
import { registerCompletion } from "./commands/completion.js";
import { registerResearcher } from "./commands/researcher.js";
import { registerReviewer } from "./commands/reviewer.js";
import { registerSession } from "./commands/session.js";
import { CliError, EXIT } from "./errors.js";

const EXIT_CODES_HELP = `
Exit codes:
  0  done
  1  another failure (a timeout while waiting, a local file that cannot be read)
  2  usage: an unknown command or option, a missing argument
  3  auth: not signed in, the token or the role refused (401, 403)
  4  not found: the workspace, request or file (404)
  5  conflict or invalid state: the status does not allow it, a concurrent change (400, 405, 409)
  6  validation: the input was refused (422, 413, a workspace file that is not valid)
  7  unavailable: no answer, busy or failing server (408, 429, 5xx)
  8  verification failed: a download's sha256, an audit trail's hash chain

Environment:
  AIRLOCK_URL        the server (default: the last sign-in's, else http://127.0.0.1:8080)
  AIRLOCK_WORKSPACE  the workspace when --workspace is not given
  NO_COLOR           no colour, no progress bars or spinners
  XDG_CONFIG_HOME    the sign-in is kept in $XDG_CONFIG_HOME/airlock (default ~/.config/airlock)
`;

/** The `airlock` command line: every command, its options and --help. */
export const createProgram = (): Command => {
  const program = new Command("airlock")
    .description("The airlock of a Trusted Research Environment, from the command line.")
    .version("0.1.0")
    .addOption(new Option("-s, --server <url>", "the airlock server").env("AIRLOCK_URL"))
    .option("-w, --workspace <id>", "the workspace (or AIRLOCK_WORKSPACE)")
    .option("--json", "print the answer as JSON on stdout, and nothing else there")
    .addHelpText(
      "after",
      `
Examples:
  $ airlock login --dev --user alice --role WorkspaceResearcher
  $ airlock new export -w ws1 --title "Cohort results" --why "Figures for the paper"
  $ airlock upload ws1/3f6c… results.csv
  $ airlock submit ws1/3f6c… && airlock status ws1/3f6c… --wait
  $ airlock download ws1/3f6c… ./approved
${EXIT_CODES_HELP}`,
    )
    .exitOverride()
    // The parser's complaints in one line, like every other error.
    .configureOutput({
      outputError: (text, write) => write(`airlock: ${text.trim().replace(/\s*\n\s*/g, " ")} (see --help)\n`),
    });
  registerSession(program);
  registerResearcher(program);
  registerReviewer(program);
  registerAdmin(program);
  registerCompletion(program);
  for (const command of program.commands) command.exitOverride();
  for (const command of program.commands.flatMap((c) => c.commands)) command.exitOverride();
  return program;
};

export interface RunResult {
  readonly code: number;
}

/** Runs the command line on `argv`; answers the exit code, having printed any failure as one line. */
export const run = async (argv: readonly string[]): Promise<number> => {
  const program = createProgram();
  const json = argv.includes("--json");
  try {
    await program.parseAsync([...argv], { from: "user" });
    return EXIT.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end here too, with nothing wrong.
      if (error.exitCode === 0) return EXIT.ok;
      return EXIT.usage;
    }
    const failure =
      error instanceof CliError
        ? error
        : new CliError(error instanceof Error ? error.message : String(error), EXIT.failure);
    process.stderr.write(`airlock: ${failure.message}\n`);
    if (json) {
      process.stdout.write(
        `${JSON.stringify(
          {
            error: {
              message: failure.message,
              exitCode: failure.exitCode,
              ...(failure.status ? { status: failure.status } : {}),
              ...(failure.code ? { code: failure.code } : {}),
              ...(failure.details === undefined ? {} : { details: failure.details }),
            },
          },
          null,
          2,
        )}\n`,
      );
    }
    return failure.exitCode;
  }
};
