import { err, ok, type Result } from "neverthrow";

/** The audience of TRE-wide tokens (TREUser, TREAdmin) unless configured otherwise. */
export const DEFAULT_API_AUDIENCE = "airlock-api";

/**
 * The documented development secret. Anyone can mint tokens with it, which is the point on a
 * laptop and the reason the server refuses development mode when NODE_ENV=production.
 */
export const DEV_SECRET_DEFAULT = "airlock-development-secret-do-not-use-in-production";

export const DEV_ISSUER = "airlock-dev";

/** Tokens whose clocks disagree by more than this are refused. */
export const MAX_CLOCK_TOLERANCE_SECONDS = 60;

export type AuthConfig =
  | {
      readonly mode: "development";
      /** HS256 secret shared with whoever mints tokens (`pnpm -s dev-token`). */
      readonly secret: string;
      /** Runs even when NODE_ENV=production (a demo that must look like production): anyone with the secret is anyone. */
      readonly allowInProduction?: boolean;
      readonly apiAudience?: string;
      readonly clockToleranceSeconds?: number;
    }
  | {
      readonly mode: "entra";
      /** One issuer, or several (v1 and v2 token issuers of one tenant). */
      readonly issuer: string | readonly string[];
      readonly jwksUri: string;
      readonly apiAudience: string;
      readonly clockToleranceSeconds?: number;
    };

export const apiAudienceOf = (config: AuthConfig): string => config.apiAudience ?? DEFAULT_API_AUDIENCE;

export const clockToleranceOf = (config: AuthConfig): number =>
  Math.min(
    Math.max(config.clockToleranceSeconds ?? MAX_CLOCK_TOLERANCE_SECONDS, 0),
    MAX_CLOCK_TOLERANCE_SECONDS,
  );

/**
 * `true` lets development conveniences (development tokens; the server's memory profile) start
 * when NODE_ENV=production, for a demo that must run as production does. Never for real data.
 */
export const ALLOW_DEVELOPMENT_IN_PRODUCTION = "AIRLOCK_ALLOW_DEVELOPMENT_IN_PRODUCTION";

/** Why a configuration cannot run; `undefined` when it can. */
export const refuseAuthConfig = (config: AuthConfig, nodeEnv: string | undefined): string | undefined =>
  config.mode === "development" && nodeEnv === "production" && config.allowInProduction !== true
    ? `development authentication (shared HS256 secret) is refused when NODE_ENV=production; set AIRLOCK_AUTH_MODE=entra (or ${ALLOW_DEVELOPMENT_IN_PRODUCTION}=true to run it anyway)`
    : undefined;

type Env = Readonly<Record<string, string | undefined>>;

/** Reads AIRLOCK_AUTH_MODE and its companions; answers what is missing or refused. */
export const authConfigFromEnv = (env: Env): Result<AuthConfig, string> => {
  const mode = env.AIRLOCK_AUTH_MODE ?? "development";
  const clock = env.AIRLOCK_CLOCK_TOLERANCE_SECONDS;
  const tolerance = clock === undefined ? {} : { clockToleranceSeconds: Number(clock) };
  if (clock !== undefined && !Number.isFinite(Number(clock))) {
    return err("AIRLOCK_CLOCK_TOLERANCE_SECONDS must be a number of seconds");
  }
  let config: AuthConfig;
  if (mode === "development") {
    config = {
      mode,
      secret: env.AIRLOCK_DEV_SECRET ?? DEV_SECRET_DEFAULT,
      ...(env[ALLOW_DEVELOPMENT_IN_PRODUCTION] === "true" ? { allowInProduction: true } : {}),
      ...(env.AIRLOCK_API_AUDIENCE ? { apiAudience: env.AIRLOCK_API_AUDIENCE } : {}),
      ...tolerance,
    };
  } else if (mode === "entra") {
    const missing = ["AIRLOCK_ENTRA_ISSUER", "AIRLOCK_ENTRA_JWKS_URI", "AIRLOCK_API_AUDIENCE"].filter(
      (name) => !env[name],
    );
    if (missing.length > 0) return err(`AIRLOCK_AUTH_MODE=entra needs ${missing.join(", ")}`);
    const issuers = (env.AIRLOCK_ENTRA_ISSUER ?? "")
      .split(",")
      .map((issuer) => issuer.trim())
      .filter(Boolean);
    config = {
      mode,
      issuer: issuers.length === 1 ? (issuers[0] ?? "") : issuers,
      jwksUri: env.AIRLOCK_ENTRA_JWKS_URI ?? "",
      apiAudience: env.AIRLOCK_API_AUDIENCE ?? "",
      ...tolerance,
    };
  } else {
    return err(`AIRLOCK_AUTH_MODE must be "development" or "entra", not "${mode}"`);
  }
  const refusal = refuseAuthConfig(config, env.NODE_ENV);
  return refusal ? err(refusal) : ok(config);
};
