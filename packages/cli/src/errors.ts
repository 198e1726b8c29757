/**
 * How the command line ends. Each failure kind has its own exit code so that a script can tell
 * "sign in again" from "the request is in the wrong state" from "try again later".
 */
export const EXIT = {
  ok: 0,
  /** Anything not listed below (a timeout while waiting, a local file that cannot be read, …). */
  failure: 1,
  /** The command line itself: an unknown command or option, a missing argument. */
  usage: 2,
  /** Not signed in, a token refused (401) or a role or ownership refused (403). */
  auth: 3,
  /** The workspace, request or file does not exist (404). */
  notFound: 4,
  /** The request's status does not allow it, or a concurrent change won (400 state codes, 405, 409). */
  conflict: 5,
  /** The input was refused (422, 413, 415, 400 InvalidFile/BadRequest, a policy file that is not valid). */
  validation: 6,
  /** The server could not be reached, or was busy or failing (408, 429, 5xx). */
  unavailable: 7,
  /** A downloaded file's sha256 differs from the request's, or the audit trail does not verify. */
  verification: 8,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** A failure the command line reports as one line and ends with `exitCode`. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode,
    /** The API's problem `code`, when the failure came from it. */
    readonly code?: string,
    readonly status?: number,
    /** What a script may want beyond the message (printed with --json). */
    readonly details?: unknown,
  ) {
    super(message);
    this.name = "CliError";
  }
}

/** 400 codes that mean "not in this state" rather than "your input is wrong". */
const STATE_CODES = new Set(["IllegalTransition", "NoLink", "PolicyViolation", "AirlockDisabled"]);

/** The exit code for an API answer's status and problem code. */
export const exitCodeFor = (status: number, code: string | undefined): ExitCode => {
  if (status === 401 || status === 403) return EXIT.auth;
  if (status === 404) return EXIT.notFound;
  if (status === 408 || status === 429 || status >= 500) return EXIT.unavailable;
  if (status === 409 || status === 405 || (code !== undefined && STATE_CODES.has(code))) return EXIT.conflict;
  if (status >= 400) return EXIT.validation;
  return EXIT.failure;
};

/** A problem+json body (RFC 9457) as the API writes it; every field may be missing from a proxy's answer. */
export interface ProblemBody {
  readonly title?: string;
  readonly detail?: string;
  readonly status?: number;
  readonly code?: string;
  readonly errors?: readonly { readonly path?: string; readonly message?: string }[];
}

/** One line out of a problem: its title and detail, the fields that failed, the status and code. */
export const problemLine = (status: number, problem: ProblemBody): string => {
  const title = problem.title ?? `HTTP ${status}`;
  const detail = problem.detail && problem.detail !== title ? `: ${problem.detail}` : "";
  const fields = (problem.errors ?? [])
    .slice(0, 3)
    .map((error) => `${error.path ? `${error.path}: ` : ""}${error.message ?? ""}`.trim())
    .filter(Boolean);
  const more = (problem.errors?.length ?? 0) > 3 ? `; and ${(problem.errors?.length ?? 0) - 3} more` : "";
  const listed = fields.length > 0 ? ` (${fields.join("; ")}${more})` : "";
  const tag = problem.code ? `${status} ${problem.code}` : String(status);
  return `${title}${detail}${listed} [${tag}]`.replace(/\s*\n\s*/g, " ");
};

/** A CliError from an API answer that is not ok. */
export const problemError = (status: number, problem: ProblemBody): CliError =>
  new CliError(problemLine(status, problem), exitCodeFor(status, problem.code), problem.code, status);

/** A CliError for a server that did not answer at all. */
export const unreachable = (server: string, error: unknown): CliError => {
  const cause = (error as { cause?: { code?: string; message?: string } })?.cause;
  const why = cause?.code ?? cause?.message ?? (error instanceof Error ? error.message : String(error));
  return new CliError(`no answer from ${server} (${why}): check --server or AIRLOCK_URL`, EXIT.unavailable);
};
