import { describe, expect, it } from "vitest";
import { azureSettingsFromEnv } from "../src/profiles/azure-settings.js";
import { runChild } from "./support/child-api.js";

const production = {
  AIRLOCK_TRE_ID: "mytre",
  AIRLOCK_COSMOS_ENDPOINT: "https://mytre-cosmos.documents.azure.com:443/",
  AIRLOCK_EVENTS_KEY: "0123456789abcdef0123456789abcdef",
};

describe("the azure profile's settings", () => {
  it("need only the TRE id, the Cosmos endpoint and the events key; the rest has defaults or identities", () => {
    const settings = azureSettingsFromEnv(production)._unsafeUnwrap();
    expect(settings).toEqual({
      audit: { checkpointsContainer: "audit-checkpoints" },
      storage: { layout: "accounts", treId: "mytre", endpointSuffix: "core.windows.net" },
      cosmos: {
        endpoint: production.AIRLOCK_COSMOS_ENDPOINT,
        database: "airlock",
        containers: { requests: "requests", audit: "audit", workspaces: "workspaces" },
        emulator: false,
      },
      eventsKey: production.AIRLOCK_EVENTS_KEY,
      scanner: "defender",
    });
  });

  it("need a way for Defender's verdicts to arrive: the key, or the principals Event Grid delivers as", () => {
    const { AIRLOCK_EVENTS_KEY: _key, ...withoutKey } = production;
    expect(azureSettingsFromEnv(withoutKey)._unsafeUnwrapErr()).toMatch(
      /^AIRLOCK_EVENTS_KEY \(or AIRLOCK_EVENTS_PRINCIPALS\) is missing/,
    );
    const principals = azureSettingsFromEnv({
      ...withoutKey,
      AIRLOCK_EVENTS_PRINCIPALS: " 11111111-2222-3333-4444-555555555555 ,aaaa ",
    })._unsafeUnwrap();
    expect(principals.eventsPrincipals).toEqual(["11111111-2222-3333-4444-555555555555", "aaaa"]);
    expect(azureSettingsFromEnv({ ...withoutKey, AIRLOCK_SCANNER: "local" }).isOk()).toBe(true);
  });

  it("scan with ClamAV when asked, at the clamd AIRLOCK_CLAMD_URL names", () => {
    const { AIRLOCK_EVENTS_KEY: _key, ...withoutKey } = production;
    const settings = azureSettingsFromEnv({
      ...withoutKey,
      AIRLOCK_SCANNER: "clamav",
      AIRLOCK_CLAMD_URL: "tcp://clamd.internal:3310",
    })._unsafeUnwrap();
    expect(settings).toMatchObject({
      scanner: "clamav",
      clamd: { url: "tcp://clamd.internal:3310", streamMaxBytes: 25 * 1024 * 1024 },
    });
    expect(azureSettingsFromEnv({ ...withoutKey, AIRLOCK_SCANNER: "clamav" })._unsafeUnwrapErr()).toBe(
      "AIRLOCK_CLAMD_URL is missing: AIRLOCK_SCANNER=clamav scans with the clamd it names",
    );
    expect(
      azureSettingsFromEnv({
        ...withoutKey,
        AIRLOCK_SCANNER: "clamav",
        AIRLOCK_CLAMD_URL: "clamd:3310",
      })._unsafeUnwrapErr(),
    ).toMatch(/^AIRLOCK_CLAMD_URL: /);
  });

  it("need the audit keys in production, and read them as values or files", () => {
    expect(azureSettingsFromEnv({ ...production, NODE_ENV: "production" })._unsafeUnwrapErr()).toMatch(
      /AIRLOCK_AUDIT_CHAIN_KEY and AIRLOCK_AUDIT_SIGNING_KEY .* are required when NODE_ENV=production/,
    );
    const settings = azureSettingsFromEnv({
      ...production,
      NODE_ENV: "production",
      AIRLOCK_AUDIT_CHAIN_KEY: "c2VjcmV0",
      AIRLOCK_AUDIT_SIGNING_KEY_FILE: "/run/secrets/audit-signing.pem",
      AIRLOCK_AUDIT_CHECKPOINTS_ACCOUNT_URL: "https://stauditmytre.blob.core.windows.net",
    })._unsafeUnwrap();
    expect(settings.audit).toEqual({
      chainKey: { value: "c2VjcmV0" },
      signingKey: { file: "/run/secrets/audit-signing.pem" },
      checkpointsAccountUrl: "https://stauditmytre.blob.core.windows.net",
      checkpointsContainer: "audit-checkpoints",
    });
  });

  it("read every service that is configured", () => {
    const settings = azureSettingsFromEnv({
      ...production,
      AIRLOCK_STORAGE_LAYOUT: "single-account-prefixes",
      AIRLOCK_STORAGE_ACCOUNT_URL: "https://stairlock.blob.core.windows.net",
      AIRLOCK_COSMOS_KEY: "a2V5",
      AIRLOCK_COSMOS_DATABASE: "db",
      AIRLOCK_EVENTGRID_ENDPOINT: "https://topic.westeurope-1.eventgrid.azure.net/api/events",
      AIRLOCK_EVENTGRID_KEY: "egkey",
      AIRLOCK_ACS_CONNECTION_STRING: "endpoint=https://acs.communication.azure.com/;accesskey=a2V5",
      AIRLOCK_ACS_SENDER: "DoNotReply@example.azurecomm.net",
      AIRLOCK_PORTAL_URL: "https://portal.example.org",
    })._unsafeUnwrap();
    expect(settings.storage).toEqual({
      layout: "single-account-prefixes",
      treId: "mytre",
      accountUrl: "https://stairlock.blob.core.windows.net",
    });
    expect(settings.cosmos).toMatchObject({ key: "a2V5", database: "db" });
    expect(settings.eventGrid).toEqual({
      endpoint: "https://topic.westeurope-1.eventgrid.azure.net/api/events",
      key: "egkey",
    });
    expect(settings.email?.sender).toBe("DoNotReply@example.azurecomm.net");
    expect(settings.portalUrl).toBe("https://portal.example.org");
    expect(settings.eventsKey).toHaveLength(32);
  });

  it("name every missing variable at once, with what it is for", () => {
    const problems = azureSettingsFromEnv({})._unsafeUnwrapErr();
    expect(problems).toContain("AIRLOCK_TRE_ID is missing: the TRE id");
    expect(problems).toContain("AIRLOCK_COSMOS_ENDPOINT is missing: the Cosmos DB (NoSQL) account endpoint");
  });

  it("refuse what cannot work, one line per problem", () => {
    const problems = azureSettingsFromEnv({
      AIRLOCK_TRE_ID: "My-TRE",
      AIRLOCK_COSMOS_ENDPOINT: "http://cosmos.example.org",
      AIRLOCK_EVENTS_KEY: "short",
      AIRLOCK_SCANNER: "clamscan",
    })._unsafeUnwrapErr();
    const lines = problems.split("\n");
    expect(lines).toHaveLength(4);
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^AIRLOCK_TRE_ID: must be 1–11 lowercase letters or digits/),
        expect.stringMatching(/^AIRLOCK_COSMOS_ENDPOINT: must be an https URL/),
        expect.stringMatching(/^AIRLOCK_EVENTS_KEY: must hold at least 32 characters/),
        expect.stringMatching(/^AIRLOCK_SCANNER: /),
      ]),
    );
  });

  it("refuse half of a pair and a layout's settings given to the other layout", () => {
    expect(
      azureSettingsFromEnv({
        ...production,
        AIRLOCK_STORAGE_LAYOUT: "single-account-prefixes",
      })._unsafeUnwrapErr(),
    ).toMatch(/AIRLOCK_STORAGE_CONNECTION_STRING or AIRLOCK_STORAGE_ACCOUNT_URL is missing/);
    expect(
      azureSettingsFromEnv({
        ...production,
        AIRLOCK_STORAGE_CONNECTION_STRING: "AccountName=a;AccountKey=a2V5",
      })._unsafeUnwrapErr(),
    ).toMatch(/are for AIRLOCK_STORAGE_LAYOUT=single-account-prefixes/);
    expect(
      azureSettingsFromEnv({ ...production, AIRLOCK_ACS_SENDER: "a@example.org" })._unsafeUnwrapErr(),
    ).toMatch(/set both or neither/);
    expect(azureSettingsFromEnv({ ...production, AIRLOCK_EVENTGRID_KEY: "k" })._unsafeUnwrapErr()).toMatch(
      /AIRLOCK_EVENTGRID_ENDPOINT is missing/,
    );
  });

  it("allow http only to this machine, and the emulator and local scanner only outside production", () => {
    expect(
      azureSettingsFromEnv({
        ...production,
        AIRLOCK_EVENTGRID_ENDPOINT: "http://127.0.0.1:9000/api/events",
      }).isOk(),
    ).toBe(true);
    expect(
      azureSettingsFromEnv({
        ...production,
        AIRLOCK_EVENTGRID_ENDPOINT: "http://topic.example.org/api/events",
      }).isErr(),
    ).toBe(true);
    const acs = (endpoint: string) =>
      azureSettingsFromEnv({
        ...production,
        AIRLOCK_ACS_CONNECTION_STRING: `endpoint=${endpoint};accesskey=a2V5`,
        AIRLOCK_ACS_SENDER: "a@example.org",
      });
    expect(acs("http://127.0.0.1:7000/").isOk()).toBe(true);
    expect(acs("http://acs.example.org/")._unsafeUnwrapErr()).toMatch(
      /^AIRLOCK_ACS_CONNECTION_STRING: needs endpoint/,
    );
    const local = { ...production, AIRLOCK_COSMOS_EMULATOR: "true", AIRLOCK_SCANNER: "local" };
    expect(azureSettingsFromEnv(local)._unsafeUnwrap()).toMatchObject({
      scanner: "local",
      cosmos: { emulator: true },
    });
    const refused = azureSettingsFromEnv({ ...local, NODE_ENV: "production" })._unsafeUnwrapErr();
    expect(refused).toContain("AIRLOCK_COSMOS_EMULATOR=true is refused when NODE_ENV=production");
    expect(refused).toContain(
      "AIRLOCK_SCANNER=local (an EICAR-only stand-in) is refused when NODE_ENV=production",
    );
  });
});

describe("the API process", () => {
  it("refuses to start the azure profile without its settings, saying which", async () => {
    const { code, output } = await runChild({ env: { AIRLOCK_PROFILE: "azure", AIRLOCK_TRE_ID: "tre" } });
    expect(code).toBe(1);
    expect(output).toContain("AIRLOCK_PROFILE=azure needs these settings");
    expect(output).toContain("AIRLOCK_COSMOS_ENDPOINT is missing");
    expect(output).not.toContain("AIRLOCK_TRE_ID is missing");
  });

  it("refuses a profile it does not know", async () => {
    const { code, output } = await runChild({ env: { AIRLOCK_PROFILE: "gcp" } });
    expect(code).toBe(1);
    expect(output).toContain('AIRLOCK_PROFILE must be "local", "memory" or "azure", not "gcp"');
  });
});
