/** An RFC 9457 problem detail as the API answers it (see the API's `Problem` schema). */
export interface ProblemDetail {
  readonly type?: string;
  readonly title: string;
  readonly status: number;
  readonly detail?: string;
  readonly code?: string;
  readonly errors?: readonly { readonly path: string; readonly message: string }[];
}

/** A refused or failed call, carrying the problem the API answered (or one made for a network error). */
export class ProblemError extends Error {
  constructor(readonly problem: ProblemDetail) {
    super(problem.detail ?? problem.title);
    this.name = "ProblemError";
  }
}

const generic = (status: number): ProblemDetail => ({
  title: status === 0 ? "The server could not be reached" : `The server answered HTTP ${status}`,
  status,
});

/** Reads a failed answer's problem+json, or describes the failure when the body is something else. */
export const problemOf = async (response: Response): Promise<ProblemDetail> => {
  const type = response.headers.get("content-type") ?? "";
  if (type.includes("json")) {
    try {
      const body = (await response.json()) as Partial<ProblemDetail>;
      if (typeof body.title === "string") return { ...body, status: response.status } as ProblemDetail;
    } catch {
      // Falls through to a generic description.
    }
  }
  return generic(response.status);
};

export const networkProblem = (): ProblemDetail => generic(0);

/** The problem of any error a query or mutation ended with. */
export const asProblem = (error: unknown): ProblemDetail =>
  error instanceof ProblemError
    ? error.problem
    : {
        title: "Something went wrong",
        status: 0,
        detail: error instanceof Error ? error.message : String(error),
      };
