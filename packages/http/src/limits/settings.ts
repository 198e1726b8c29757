/**
 * How long a connection may take and how much one caller may ask of the server. Every default is
 * safe for a server reached from the internet; docs/limits-and-headers.md lists them all.
 */
export interface Limits {
  /** A connection that sends and receives nothing for this long is closed (a stalled upload included). */
  readonly idleTimeoutMs: number;
  /** The request line and headers must have arrived within this long. */
  readonly headersTimeoutMs: number;
  /**
   * The whole request, body included, must have arrived within this long. Long enough for a large
   * file over a slow line; the minimum transfer rate cuts a trickle much sooner.
   */
  readonly requestTimeoutMs: number;
  /** An idle keep-alive connection between two requests is closed after this long. */
  readonly keepAliveTimeoutMs: number;
  /** Connections the server holds at once; further ones are closed as they arrive. */
  readonly maxConnections: number;
  /**
   * A request body (an upload, a JSON command) that arrives slower than this, on average over
   * `uploadRateWindowMs`, is cut, like curl's `--speed-limit` over `--speed-time`. 0 turns it off.
   */
  readonly minUploadBytesPerSecond: number;
  readonly uploadRateWindowMs: number;
  /** Uploads in progress through one link at once; one more is refused with 429. */
  readonly uploadsPerLink: number;
  /** Uploads in progress by one person (a link's holder) at once, over all their links; one more is refused with 429. */
  readonly uploadsPerPerson: number;
  /** Requests per `rateLimitWindowMs` by one caller, or `false` for no rate limit. */
  readonly rateLimit: RateLimits | false;
}

export interface RateLimits {
  readonly windowMs: number;
  /** API calls by one authenticated caller (the token's subject). */
  readonly perPrincipal: number;
  /** Calls through one link (its request id and signature). */
  readonly perLink: number;
  /** Calls from one client address that name no known caller or valid link. */
  readonly perAddress: number;
}

export const DEFAULT_RATE_LIMITS: RateLimits = {
  windowMs: 60_000,
  perPrincipal: 600,
  perLink: 600,
  perAddress: 300,
};

export const DEFAULT_LIMITS: Limits = {
  idleTimeoutMs: 30_000,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 3_600_000,
  keepAliveTimeoutMs: 5_000,
  maxConnections: 1_000,
  minUploadBytesPerSecond: 1_024,
  uploadRateWindowMs: 30_000,
  uploadsPerLink: 8,
  uploadsPerPerson: 16,
  rateLimit: DEFAULT_RATE_LIMITS,
};

/** What an embedder may set: any limit, and any part of the rate limits. */
export type LimitOptions = Partial<Omit<Limits, "rateLimit">> & {
  readonly rateLimit?: Partial<RateLimits> | false;
};

/** Limits where 0 would refuse everything; for the others (timeouts, the transfer rate) 0 turns them off. */
const AT_LEAST_ONE: ReadonlySet<string> = new Set([
  "maxConnections",
  "uploadsPerLink",
  "uploadsPerPerson",
  "uploadRateWindowMs",
  "windowMs",
  "perPrincipal",
  "perLink",
  "perAddress",
]);

/** The limits with defaults filled in; throws for a value that cannot be a limit. */
export const limitsOf = (options: LimitOptions | undefined): Limits => {
  const { rateLimit, ...rest } = options ?? {};
  const limits: Limits = {
    ...DEFAULT_LIMITS,
    ...Object.fromEntries(Object.entries(rest).filter(([, value]) => value !== undefined)),
    rateLimit: rateLimit === false ? false : { ...DEFAULT_RATE_LIMITS, ...rateLimit },
  };
  const numbers = Object.entries({ ...limits, ...(limits.rateLimit || {}) }).filter(
    ([name]) => name !== "rateLimit",
  );
  for (const [name, value] of numbers) {
    const least = AT_LEAST_ONE.has(name) ? 1 : 0;
    if (!Number.isSafeInteger(value) || (value as number) < least) {
      throw new Error(`the limit ${name} must be a whole number, ${least} or more, not ${String(value)}`);
    }
  }
  if (limits.requestTimeoutMs > 0 && limits.headersTimeoutMs > limits.requestTimeoutMs) {
    throw new Error("the limit headersTimeoutMs must not be longer than requestTimeoutMs");
  }
  return limits;
};
