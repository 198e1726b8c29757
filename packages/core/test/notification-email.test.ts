import { describe, expect, it } from "vitest";
import {
  emailRecipients,
  escapeHtml,
  type Notification,
  notificationEmail,
  RequestStatusSchema,
  requestLink,
} from "../src/index.js";

const requester = { id: "u-rita", name: "Rita Researcher", email: "rita@example.org" };

const notification = (request: Partial<Notification["request"]> = {}): Notification => ({
  id: "n-1",
  recipients: [{ ...requester, role: "requester" }],
  request: {
    id: "3f1c2a9e-0000-4000-8000-000000000001",
    workspaceId: "ws-7",
    type: "import",
    title: "Cohort extract",
    status: "in_review",
    previousStatus: "submitted",
    statusMessage: null,
    createdBy: requester,
    ...request,
  },
});

describe("notification email content", () => {
  it("names the request type, title and what happened in the subject", () => {
    expect(notificationEmail(notification()).subject).toBe(
      '[Airlock] Import request "Cohort extract" is in review',
    );
    expect(notificationEmail(notification({ type: "export", status: "blocked_by_scan" })).subject).toBe(
      '[Airlock] Export request "Cohort extract" was blocked by the malware scan',
    );
  });

  it("has a subject for every status", () => {
    const statuses = RequestStatusSchema.options;
    const subjects = statuses.map((status) => notificationEmail(notification({ status })).subject);

    expect(new Set(subjects).size).toBe(statuses.length);
    for (const subject of subjects) expect(subject).not.toContain("undefined");
  });

  it("states the request id, type, workspace, status, message and requester in the plain text", () => {
    const { plainText } = notificationEmail(
      notification({
        status: "failed",
        previousStatus: "submitted",
        statusMessage: "Request contained more than 1 file.",
      }),
    );

    expect(plainText).toContain("Request:   3f1c2a9e-0000-4000-8000-000000000001");
    expect(plainText).toContain("Type:      import");
    expect(plainText).toContain("Workspace: ws-7");
    expect(plainText).toContain("Status:    failed (was submitted)");
    expect(plainText).toContain("Message:   Request contained more than 1 file.");
    expect(plainText).toContain("Requester: Rita Researcher <rita@example.org>");
  });

  it("leaves the message line out when there is no status message", () => {
    expect(notificationEmail(notification()).plainText).not.toContain("Message:");
  });

  it("links to the request when a portal URL is set, and only then", () => {
    const withPortal = notificationEmail(notification(), { portalUrl: "https://tre.example.org/airlock" });
    const link =
      "https://tre.example.org/airlock/workspaces/ws-7/requests/3f1c2a9e-0000-4000-8000-000000000001";

    expect(withPortal.plainText).toContain(`Open the request: ${link}`);
    expect(withPortal.html).toContain(`<a href="${link}">`);
    expect(notificationEmail(notification()).html).not.toContain("<a ");
  });

  it("escapes every interpolated value in the HTML, so a malicious title stays text", () => {
    const title = `<script>alert("x")</script><img src=x onerror='steal()'> & co`;
    const { html, plainText } = notificationEmail(notification({ title, statusMessage: "<b>bold</b>" }), {
      portalUrl: "https://tre.example.org",
    });

    expect(html).not.toContain("<script>");
    expect(html).not.toContain("<img");
    expect(html).not.toContain("<b>");
    expect(html).toContain("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;");
    expect(html).toContain("onerror=&#39;steal()&#39;&gt; &amp; co");
    expect(html).toContain("&lt;b&gt;bold&lt;/b&gt;");
    // The plain text carries the title as written: it is never interpreted.
    expect(plainText).toContain(title);
  });

  it("escapes a requester's name and address in the HTML", () => {
    const createdBy = { id: "u-x", name: 'Eve "<admin>"', email: "eve@example.org" };

    expect(notificationEmail(notification({ createdBy })).html).toContain(
      "Eve &quot;&lt;admin&gt;&quot; &lt;eve@example.org&gt;",
    );
  });

  it("keeps the subject on one line and bounded, whatever the title holds", () => {
    const { subject } = notificationEmail(
      notification({ title: `Line one\r\nBcc: victim@example.org\t${"x".repeat(300)}` }),
    );

    expect(subject).not.toMatch(/[\r\n\t]/);
    expect(subject).toContain('"Line one Bcc: victim@example.org x');
    expect(subject.length).toBeLessThan(160);
  });

  it("builds request links with escaped path segments", () => {
    expect(requestLink("https://tre.example.org/", "ws 1", "a/b")).toBe(
      "https://tre.example.org/workspaces/ws%201/requests/a%2Fb",
    );
    expect(requestLink(undefined, "ws", "r")).toBeUndefined();
    expect(() => requestLink("javascript:alert(1)", "ws", "r")).toThrow(/portalUrl/);
  });

  it("escapes the five characters that matter in HTML text and attributes", () => {
    expect(escapeHtml(`&<>"'`)).toBe("&amp;&lt;&gt;&quot;&#39;");
  });

  it("emails each address once, in the order given, and skips people without an address", () => {
    const base = notification();
    const sent: Notification = {
      ...base,
      recipients: [
        ...base.recipients,
        { id: "u-mia", name: "Mia Manager", email: " mia@example.org ", role: "AirlockManager" },
        { id: "u-mia-2", name: "Mia again", email: "MIA@example.org", role: "WorkspaceOwner" },
        { id: "u-none", name: "No Mail", email: "", role: "WorkspaceOwner" },
      ],
    };

    expect(emailRecipients(sent)).toEqual([
      { address: "rita@example.org", name: "Rita Researcher" },
      { address: "mia@example.org", name: "Mia Manager" },
    ]);
  });
});
