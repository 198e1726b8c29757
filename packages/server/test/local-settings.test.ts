import { describe, expect, it } from "vitest";
import { localSettingsFromEnv } from "../src/profiles/local-settings.js";

const CWD = "/srv/airlock";

describe("the local profile's settings", () => {
  it("keeps everything in .airlock-data under the working directory, synchronous FULL, by default", () => {
    const settings = localSettingsFromEnv({}, CWD)._unsafeUnwrap();
    expect(settings).toEqual({
      dataDir: "/srv/airlock/.airlock-data",
      synchronous: "FULL",
      checkpointsDir: "/srv/airlock/.airlock-data/audit-checkpoints",
      webhooks: [],
      scanner: { kind: "stand-in" },
    });
  });

  it("reads every variable, relative paths against the working directory", () => {
    const settings = localSettingsFromEnv(
      {
        AIRLOCK_DATA_DIR: "data",
        AIRLOCK_SQLITE_SYNCHRONOUS: "NORMAL",
        AIRLOCK_AUDIT_CHAIN_KEY_FILE: "keys/chain",
        AIRLOCK_AUDIT_SIGNING_KEY: "-----BEGIN PRIVATE KEY-----",
        AIRLOCK_AUDIT_CHECKPOINTS_DIR: "/mnt/seals",
        AIRLOCK_WEBHOOK_URLS: "https://hooks.example.org/airlock, http://127.0.0.1:9000/events",
        AIRLOCK_SMTP_URL: "smtps://mailer:secret@smtp.example.org:465",
        AIRLOCK_SMTP_FROM: "airlock@example.org",
        AIRLOCK_PORTAL_URL: "https://tre.example.org",
        AIRLOCK_CLAMD_URL: "unix:/run/clamav/clamd.ctl",
        AIRLOCK_CLAMD_STREAM_MAX_BYTES: "104857600",
      },
      CWD,
    )._unsafeUnwrap();
    expect(settings).toEqual({
      dataDir: "/srv/airlock/data",
      synchronous: "NORMAL",
      auditKeys: {
        chainKey: { file: "/srv/airlock/keys/chain" },
        signingKey: { value: "-----BEGIN PRIVATE KEY-----" },
      },
      checkpointsDir: "/mnt/seals",
      webhooks: ["https://hooks.example.org/airlock", "http://127.0.0.1:9000/events"],
      smtp: { url: "smtps://mailer:secret@smtp.example.org:465", from: "airlock@example.org" },
      portalUrl: "https://tre.example.org",
      scanner: { kind: "clamd", clamd: { url: "unix:/run/clamav/clamd.ctl", streamMaxBytes: 104857600 } },
    });
  });

  it("says every problem at once, one line per variable", () => {
    const problems = localSettingsFromEnv(
      {
        AIRLOCK_SQLITE_SYNCHRONOUS: "OFF",
        AIRLOCK_WEBHOOK_URLS: "http://hooks.example.org/airlock",
        AIRLOCK_SMTP_URL: "https://smtp.example.org",
        AIRLOCK_CLAMD_URL: "http://clamd:3310",
      },
      CWD,
    )._unsafeUnwrapErr();
    expect(problems.split("\n")).toEqual([
      expect.stringMatching(/^AIRLOCK_SQLITE_SYNCHRONOUS: /),
      expect.stringMatching(/^AIRLOCK_WEBHOOK_URLS: .*https/),
      expect.stringMatching(/^AIRLOCK_SMTP_URL: must be smtp:\/\/ or smtps:\/\//),
      expect.stringMatching(/^AIRLOCK_CLAMD_URL: .*tcp:\/\/host:port or unix:\/path/),
    ]);
  });

  it("refuses half a setting: one audit key without the other, an SMTP server without a sender", () => {
    const problems = localSettingsFromEnv(
      { AIRLOCK_AUDIT_CHAIN_KEY: "a2V5", AIRLOCK_SMTP_URL: "smtp://smtp.example.org" },
      CWD,
    )._unsafeUnwrapErr();
    expect(problems).toMatch(/AIRLOCK_AUDIT_CHAIN_KEY and AIRLOCK_AUDIT_SIGNING_KEY .* go together/);
    expect(problems).toMatch(/AIRLOCK_SMTP_URL and AIRLOCK_SMTP_FROM go together/);
  });

  it("in production, wants the audit keys configured rather than kept beside the data they seal", () => {
    expect(localSettingsFromEnv({ NODE_ENV: "production" }, CWD)._unsafeUnwrapErr()).toMatch(
      /required when NODE_ENV=production/,
    );
    expect(
      localSettingsFromEnv(
        { NODE_ENV: "production", AIRLOCK_AUDIT_CHAIN_KEY: "a2V5", AIRLOCK_AUDIT_SIGNING_KEY: "pem" },
        CWD,
      ).isOk(),
    ).toBe(true);
  });

  it("chooses the malware scanner: ClamAV when AIRLOCK_CLAMD_URL is set, else the stand-in, and none in production", () => {
    const PRODUCTION = {
      NODE_ENV: "production",
      AIRLOCK_AUDIT_CHAIN_KEY: "a2V5",
      AIRLOCK_AUDIT_SIGNING_KEY: "pem",
    };
    const scannerOf = (env: Record<string, string>) => localSettingsFromEnv(env, CWD)._unsafeUnwrap().scanner;
    expect(scannerOf({ AIRLOCK_CLAMD_URL: "tcp://clamd.internal:3310" })).toEqual({
      kind: "clamd",
      clamd: { url: "tcp://clamd.internal:3310", streamMaxBytes: 25 * 1024 * 1024 },
    });
    expect(scannerOf({ ...PRODUCTION, AIRLOCK_CLAMD_URL: "tcp://clamd.internal:3310" }).kind).toBe("clamd");
    expect(scannerOf({})).toEqual({ kind: "stand-in" });
    expect(scannerOf(PRODUCTION)).toEqual({ kind: "none" });
  });

  it("refuses a stream limit that is not a number of bytes, or one without clamd", () => {
    const problems = (env: Record<string, string>) => localSettingsFromEnv(env, CWD)._unsafeUnwrapErr();
    expect(
      problems({ AIRLOCK_CLAMD_URL: "tcp://clamd:3310", AIRLOCK_CLAMD_STREAM_MAX_BYTES: "25M" }),
    ).toMatch(/^AIRLOCK_CLAMD_STREAM_MAX_BYTES: must be a whole number of bytes/);
    expect(problems({ AIRLOCK_CLAMD_STREAM_MAX_BYTES: "1000" })).toMatch(/goes with AIRLOCK_CLAMD_URL/);
  });
});
