import type { RequestType, Stage } from "@airlock/core";
import { describe, expect, it } from "vitest";
import {
  accountsByConvention,
  isValidAccountName,
  isValidContainerName,
  parseStorageConnectionString,
} from "../src/storage-accounts.js";

const STAGES: readonly Stage[] = ["draft", "in_progress", "approved", "rejected", "blocked"];

describe("storage accounts by upstream's naming convention", () => {
  const resolve = accountsByConvention({ treId: "mytre", workspaceSuffix: () => "ab12" });
  const namesOf = (type: RequestType) => STAGES.map((stage) => resolve(type, stage, "ignored").accountName);

  it("import stages live in core accounts except approved, which is inside the workspace", () => {
    expect(namesOf("import")).toEqual([
      "stalimexmytre",
      "stalimipmytre",
      "stalimappwsab12",
      "stalimrejmytre",
      "stalimblockedmytre",
    ]);
  });

  it("export stages live in workspace accounts except approved, which is reachable from outside", () => {
    expect(namesOf("export")).toEqual([
      "stalexintwsab12",
      "stalexipwsab12",
      "stalexappmytre",
      "stalexrejwsab12",
      "stalexblockedwsab12",
    ]);
  });

  it("the default workspace suffix is the last four letters or digits of the workspace id", () => {
    const byDefault = accountsByConvention({ treId: "mytre" });
    expect(byDefault("export", "draft", "7C1D-43E0-Ab9F").accountName).toBe("stalexintwsab9f");
  });

  it("every account name is valid for a uuid workspace and an 11-character TRE id", () => {
    const longest = accountsByConvention({ treId: "abcdefghijk" });
    for (const type of ["import", "export"] as const) {
      for (const stage of STAGES) {
        const { accountName } = longest(type, stage, crypto.randomUUID());
        expect(isValidAccountName(accountName), accountName).toBe(true);
      }
    }
  });

  it("the blob endpoint defaults to Azure's public cloud and can be replaced", () => {
    expect(resolve("import", "draft", "x").blobEndpoint).toBe("https://stalimexmytre.blob.core.windows.net");
    const sovereign = accountsByConvention({
      treId: "mytre",
      blobEndpoint: (name) => `https://${name}.blob.core.usgovcloudapi.net`,
    });
    expect(sovereign("import", "in_progress", "x").blobEndpoint).toBe(
      "https://stalimipmytre.blob.core.usgovcloudapi.net",
    );
  });
});

describe("Azure's naming rules", () => {
  it("container names are 3–63 lowercase letters, digits and single inner hyphens", () => {
    expect(isValidContainerName(crypto.randomUUID())).toBe(true);
    expect(isValidContainerName(`stalexblockedwsab12-${crypto.randomUUID()}`)).toBe(true);
    for (const bad of [
      "ab",
      "a".repeat(64),
      "Upper",
      "under_score",
      "dot.ted",
      "-lead",
      "trail-",
      "dou--ble",
    ]) {
      expect(isValidContainerName(bad), bad).toBe(false);
    }
  });

  it("account names are 3–24 lowercase letters and digits", () => {
    expect(isValidAccountName("stalimexmytre")).toBe(true);
    for (const bad of ["st", "a".repeat(25), "has-hyphen", "Upper"]) {
      expect(isValidAccountName(bad), bad).toBe(false);
    }
  });
});

describe("reading a storage connection string", () => {
  it("takes the blob endpoint when given, as Azurite's strings carry it", () => {
    const parsed = parseStorageConnectionString(
      "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=a2V5;BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1/;",
    );
    expect(parsed.account).toEqual({
      accountName: "devstoreaccount1",
      blobEndpoint: "http://127.0.0.1:10000/devstoreaccount1",
    });
    expect(parsed.credential.accountName).toBe("devstoreaccount1");
  });

  it("builds the endpoint from protocol and suffix otherwise", () => {
    const parsed = parseStorageConnectionString(
      "DefaultEndpointsProtocol=https;AccountName=stalimexmytre;AccountKey=a2V5;EndpointSuffix=core.chinacloudapi.cn",
    );
    expect(parsed.account.blobEndpoint).toBe("https://stalimexmytre.blob.core.chinacloudapi.cn");
  });

  it("refuses a string without an account key", () => {
    expect(() => parseStorageConnectionString("AccountName=x;BlobEndpoint=http://h/x")).toThrow(/AccountKey/);
  });
});
