import { DEFAULT_LIMITS, DEFAULT_RATE_LIMITS, type LimitOptions, limitsOf } from "@airlock/http";
import { err, ok, type Result } from "neverthrow";

type Env = Readonly<Record<string, string | undefined>>;

type NumberLimit = Exclude<keyof LimitOptions, "rateLimit">;
type RateLimitPart = keyof typeof DEFAULT_RATE_LIMITS;

/** Each limit's variable, what it means and its default (docs/limits-and-headers.md says more). */
const SERVER_LIMITS: readonly (readonly [string, NumberLimit, string])[] = [
  [
    "AIRLOCK_IDLE_TIMEOUT_MS",
    "idleTimeoutMs",
    "a connection that sends and receives nothing is closed after",
  ],
  ["AIRLOCK_HEADERS_TIMEOUT_MS", "headersTimeoutMs", "the request line and headers must arrive within"],
  ["AIRLOCK_REQUEST_TIMEOUT_MS", "requestTimeoutMs", "a whole request, body included, must arrive within"],
  ["AIRLOCK_KEEP_ALIVE_TIMEOUT_MS", "keepAliveTimeoutMs", "an idle kept-alive connection is closed after"],
  ["AIRLOCK_MAX_CONNECTIONS", "maxConnections", "connections held at once; further ones are closed"],
  [
    "AIRLOCK_MIN_UPLOAD_BYTES_PER_SECOND",
    "minUploadBytesPerSecond",
    "a request body slower than this on average over the window is cut (0: off)",
  ],
  ["AIRLOCK_UPLOAD_RATE_WINDOW_MS", "uploadRateWindowMs", "the window the transfer rate is measured over"],
  ["AIRLOCK_UPLOADS_PER_LINK", "uploadsPerLink", "uploads in progress through one link at once"],
  [
    "AIRLOCK_UPLOADS_PER_PERSON",
    "uploadsPerPerson",
    "uploads in progress by one person (a link's holder) at once, over all their links",
  ],
];

const RATE_LIMITS: readonly (readonly [string, RateLimitPart, string])[] = [
  ["AIRLOCK_RATE_LIMIT_WINDOW_MS", "windowMs", "the window rate limits count calls in"],
  ["AIRLOCK_RATE_LIMIT_PER_PRINCIPAL", "perPrincipal", "API calls per window by one token subject"],
  ["AIRLOCK_RATE_LIMIT_PER_LINK", "perLink", "calls per window through one link"],
  [
    "AIRLOCK_RATE_LIMIT_PER_ADDRESS",
    "perAddress",
    "calls per window from one client address without a known caller",
  ],
];

/** Every limit's variable with what it means and its default, for the README and messages. */
export const LIMIT_VARIABLES: Readonly<Record<string, string>> = Object.fromEntries([
  ...SERVER_LIMITS.map(([name, key, meaning]) => [name, `${meaning} (default ${DEFAULT_LIMITS[key]})`]),
  ...RATE_LIMITS.map(([name, key, meaning]) => [name, `${meaning} (default ${DEFAULT_RATE_LIMITS[key]})`]),
  ["AIRLOCK_RATE_LIMIT", '"off" turns the rate limits off (behind a gateway that limits already)'],
]);

const wholeNumber = (name: string, value: string): Result<number, string> =>
  /^\d{1,15}$/.test(value) ? ok(Number(value)) : err(`${name} must be a whole number, not "${value}"`);

/**
 * The limits set in the environment; an unset variable keeps the limit's default. Every invalid
 * one is named at once, and the values are checked as the server will check them.
 */
export const limitsFromEnv = (env: Env): Result<LimitOptions, string> => {
  const problems: string[] = [];
  const read = <K extends string>(entries: readonly (readonly [string, K, string])[]) => {
    const values: Partial<Record<K, number>> = {};
    for (const [name, key] of entries) {
      const text = env[name];
      if (text === undefined || text === "") continue;
      wholeNumber(name, text).match(
        (value) => {
          values[key] = value;
        },
        (problem) => problems.push(problem),
      );
    }
    return values;
  };
  const limits = read(SERVER_LIMITS);
  const rates = read(RATE_LIMITS);
  const switchedOff = env.AIRLOCK_RATE_LIMIT;
  if (switchedOff !== undefined && switchedOff !== "" && switchedOff !== "off" && switchedOff !== "on") {
    problems.push(`AIRLOCK_RATE_LIMIT must be "on" or "off", not "${switchedOff}"`);
  }
  if (problems.length > 0) return err(problems.join("\n"));
  const options: LimitOptions = { ...limits, rateLimit: switchedOff === "off" ? false : rates };
  try {
    limitsOf(options);
  } catch (refused) {
    // The server's own check (a cap of 0, a header timeout longer than the request timeout), told
    // with the variable's name.
    const message = refused instanceof Error ? refused.message : String(refused);
    const named = [...SERVER_LIMITS, ...RATE_LIMITS].find(([, key]) => message.includes(` ${key} `));
    return err(named ? `${named[0]}: ${message}` : message);
  }
  return ok(options);
};
