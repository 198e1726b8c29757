import { describe, expect, it } from "vitest";
import { createDefenderMalwareScanner } from "../src/defender-malware-scanner.js";
import {
  isSubscriptionValidation,
  parseBlobUri,
  parseDefenderScanResult,
  requestIdAfterPrefix,
  validationResponse,
  webhookHandshake,
} from "../src/defender-scan-results.js";

// Payloads follow Microsoft's documented Defender for Storage malware scanning event: the same
// `data` in the Event Grid schema and the CloudEvents 1.0 schema. The blob URI carries the name as
// written, spaces and all.

const REQUEST_ID = "0f8e4c2a-6b1d-4e7f-9a3c-5d2b1e0f4a6c";
const TOPIC =
  "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-tre/providers/Microsoft.EventGrid/topics/evgt-airlock-scan";

const scanData = (scanResultType: string, details: unknown, blobUri: string) => ({
  correlationId: "52d00da0-8f1a-4c3c-aa2c-24831967356b",
  blobUri,
  eTag: "0x8DB4C9C9C6C95F6",
  scanFinishedTimeUtc: "2026-01-05T11:31:54.0481279Z",
  scanResultType,
  scanResultDetails: details,
});

const eventGridSchema = (
  scanResultType: string,
  details: unknown = null,
  blobUri = `https://stalimipmytre.blob.core.windows.net/${REQUEST_ID}/cohort extract.zip`,
) => ({
  id: "52d00da0-8f1a-4c3c-aa2c-24831967356b",
  subject: `storageAccounts/stalimipmytre/containers/${REQUEST_ID}/blobs/cohort extract.zip`,
  data: scanData(scanResultType, details, blobUri),
  eventType: "Microsoft.Security.MalwareScanningResult",
  dataVersion: "1.0",
  metadataVersion: "1",
  eventTime: "2026-01-05T11:31:54.048375Z",
  topic: TOPIC,
});

const cloudEventsSchema = (
  scanResultType: string,
  details: unknown = null,
  blobUri = `https://stalimipmytre.blob.core.windows.net/${REQUEST_ID}/cohort extract.zip`,
) => ({
  specversion: "1.0",
  id: "52d00da0-8f1a-4c3c-aa2c-24831967356b",
  source: TOPIC,
  subject: `storageAccounts/stalimipmytre/containers/${REQUEST_ID}/blobs/cohort extract.zip`,
  type: "Microsoft.Security.MalwareScanningResult",
  time: "2026-01-05T11:31:54.048375Z",
  data: scanData(scanResultType, details, blobUri),
});

const EICAR_DETAILS = {
  malwareNamesFound: ["DOS/EICAR_Test_File"],
  sha256: "275A021BBFB6489E54D471899F7DB9D1663FC695EC2FE2A2C4538AABF651FD0F",
};

describe("Defender for Storage scan results", () => {
  it("reads a clean result in the Event Grid schema", () => {
    const result = parseDefenderScanResult(
      eventGridSchema("No threats found", { sha256: EICAR_DETAILS.sha256 }),
    );

    expect(result._unsafeUnwrap()).toEqual({
      requestId: REQUEST_ID,
      blobName: "cohort extract.zip",
      accountName: "stalimipmytre",
      container: REQUEST_ID,
      outcome: { verdict: "clean" },
    });
  });

  it("reads a malicious result with the malware found as the detail", () => {
    const result = parseDefenderScanResult(eventGridSchema("Malicious", EICAR_DETAILS));

    expect(result._unsafeUnwrap().outcome).toEqual({
      verdict: "threat",
      detail: "Malicious: DOS/EICAR_Test_File",
    });
  });

  it("reads the same results in the CloudEvents schema", () => {
    expect(parseDefenderScanResult(cloudEventsSchema("No threats found"))._unsafeUnwrap()).toEqual(
      parseDefenderScanResult(eventGridSchema("No threats found"))._unsafeUnwrap(),
    );
    expect(
      parseDefenderScanResult(cloudEventsSchema("Malicious", EICAR_DETAILS))._unsafeUnwrap().outcome,
    ).toEqual({
      verdict: "threat",
      detail: "Malicious: DOS/EICAR_Test_File",
    });
  });

  it("joins several malware names", () => {
    const details = { malwareNamesFound: ["Trojan:Win32/Wacatac.B!ml", "Virus:DOS/EICAR_Test_File"] };

    expect(parseDefenderScanResult(eventGridSchema("Malicious", details))._unsafeUnwrap().outcome).toEqual({
      verdict: "threat",
      detail: "Malicious: Trojan:Win32/Wacatac.B!ml, Virus:DOS/EICAR_Test_File",
    });
  });

  it("treats every result but 'No threats found' as a threat: an error or an unscanned blob fails closed", () => {
    for (const type of ["Error", "Not Scanned", "Some future result", "no threats found"]) {
      expect(parseDefenderScanResult(eventGridSchema(type))._unsafeUnwrap().outcome).toEqual({
        verdict: "threat",
        detail: type,
      });
    }
  });

  it("keeps a detail on one line and bounded, whatever the event carries", () => {
    const details = { malwareNamesFound: ["Evil\nName", "x".repeat(2000)] };

    const outcome = parseDefenderScanResult(eventGridSchema("Malicious", details))._unsafeUnwrap().outcome;

    expect(outcome.verdict).toBe("threat");
    const detail = outcome.verdict === "threat" ? outcome.detail : "";
    expect(detail).not.toContain("\n");
    expect(detail.length).toBeLessThanOrEqual(500);
    expect(detail.startsWith("Malicious: Evil Name, xxx")).toBe(true);
  });

  it("reads the emulator's path-style blob URLs", () => {
    const uri = `http://127.0.0.1:10000/devstoreaccount1/${REQUEST_ID}/data.csv`;

    expect(
      parseDefenderScanResult(eventGridSchema("No threats found", null, uri))._unsafeUnwrap(),
    ).toMatchObject({
      requestId: REQUEST_ID,
      accountName: "devstoreaccount1",
      blobName: "data.csv",
    });
  });

  it("reads blob names whether or not they are percent-encoded", () => {
    const encoded = `https://stalimipmytre.blob.core.windows.net/${REQUEST_ID}/cohort%20extract.zip`;
    const oddName = `https://stalimipmytre.blob.core.windows.net/${REQUEST_ID}/100% done?.csv`;

    expect(parseBlobUri(encoded)._unsafeUnwrap().blobName).toBe("cohort extract.zip");
    expect(parseBlobUri(oddName)._unsafeUnwrap().blobName).toBe("100% done?.csv");
  });

  it("maps a prefixed container to its request with the given function", () => {
    const uri = `https://stairlockshared.blob.core.windows.net/imip-${REQUEST_ID}/data.csv`;
    const event = eventGridSchema("No threats found", null, uri);

    expect(
      parseDefenderScanResult(event, { containerToRequestId: requestIdAfterPrefix("imip") })._unsafeUnwrap()
        .requestId,
    ).toBe(REQUEST_ID);
    expect(
      parseDefenderScanResult(event, {
        containerToRequestId: requestIdAfterPrefix("exip"),
      })._unsafeUnwrapErr().kind,
    ).toBe("InvalidInput");
  });

  it("refuses anything that is not a malware scanning result", () => {
    const valid = eventGridSchema("No threats found");
    const invalid: unknown[] = [
      null,
      "Microsoft.Security.MalwareScanningResult",
      [valid],
      { ...valid, eventType: "Microsoft.Storage.BlobCreated" },
      { ...cloudEventsSchema("No threats found"), specversion: "0.3" },
      { ...valid, data: undefined },
      { ...valid, data: { ...valid.data, scanResultType: "" } },
      { ...valid, data: { ...valid.data, blobUri: undefined } },
      { ...valid, data: { ...valid.data, blobUri: "ftp://stalimipmytre.blob.core.windows.net/c/b" } },
      {
        ...valid,
        data: { ...valid.data, blobUri: "https://stalimipmytre.blob.core.windows.net/only-container" },
      },
      {
        ...valid,
        data: { ...valid.data, blobUri: "https://stalimipmytre.blob.core.windows.net/Not_A_Container/b" },
      },
      { ...valid, data: { ...valid.data, blobUri: "http://127.0.0.1:10000/NOT-AN-ACCOUNT/container/b" } },
    ];

    for (const event of invalid) {
      expect(parseDefenderScanResult(event)._unsafeUnwrapErr().kind, JSON.stringify(event)).toBe(
        "InvalidInput",
      );
    }
  });
});

describe("Event Grid webhook handshakes", () => {
  const validation = {
    id: "2d1781af-3a4c-4d7c-bd0c-e34b19da4e66",
    topic: TOPIC,
    subject: "",
    data: {
      validationCode: "512d38b6-c7b8-40c8-89fe-f46f9e9622b6",
      validationUrl:
        "https://rp-eastus2.eventgrid.azure.net:553/eventsubscriptions/airlock/validate?id=512d38b6",
    },
    eventType: "Microsoft.EventGrid.SubscriptionValidationEvent",
    eventTime: "2026-01-05T22:12:19.4556811Z",
    metadataVersion: "1",
    dataVersion: "1",
  };

  it("answers Event Grid's subscription validation with its code", () => {
    expect(isSubscriptionValidation(validation)).toBe(true);
    if (!isSubscriptionValidation(validation)) return;
    expect(validationResponse(validation)).toEqual({
      validationResponse: "512d38b6-c7b8-40c8-89fe-f46f9e9622b6",
    });
  });

  it("does not take a scan result or a validation without a code for a validation", () => {
    expect(isSubscriptionValidation(eventGridSchema("No threats found"))).toBe(false);
    expect(isSubscriptionValidation({ ...validation, data: {} })).toBe(false);
    expect(isSubscriptionValidation(null)).toBe(false);
  });

  it("allows Event Grid as the sender in the CloudEvents webhook handshake", () => {
    expect(webhookHandshake("eventgrid.azure.net")).toEqual({
      "WebHook-Allowed-Origin": "eventgrid.azure.net",
      "WebHook-Allowed-Rate": "*",
    });
  });

  it("allows no other sender unless configured", () => {
    expect(webhookHandshake("evil.example.org")).toBeNull();
    expect(webhookHandshake(undefined)).toBeNull();
    expect(webhookHandshake("  ")).toBeNull();
    expect(webhookHandshake("events.example.org", ["events.example.org"])).toMatchObject({
      "WebHook-Allowed-Origin": "events.example.org",
    });
  });
});

describe("Defender malware scanner", () => {
  it("answers pending, again and again: Defender scans on upload and reports later", async () => {
    const scanner = createDefenderMalwareScanner();
    const ref = { requestId: REQUEST_ID, workspaceId: "ws-1", type: "import" } as const;

    expect((await scanner.scan(ref, "in_progress"))._unsafeUnwrap()).toEqual({ verdict: "pending" });
    expect((await scanner.scan(ref, "in_progress"))._unsafeUnwrap()).toEqual({ verdict: "pending" });
  });
});
