import type { Notification, NotificationTopic } from "./notification.js";
import type { RequestStatus } from "./request.js";

export interface EmailContent {
  readonly subject: string;
  readonly plainText: string;
  readonly html: string;
}

/** One person an email goes to. */
export interface EmailRecipient {
  readonly address: string;
  readonly name: string;
}

/**
 * Who a notification's email goes to: each address once (compared without case), in the order
 * given; people without an address cannot be emailed and are left out.
 */
export const emailRecipients = (notification: Notification): EmailRecipient[] => {
  const seen = new Set<string>();
  const to: EmailRecipient[] = [];
  for (const recipient of notification.recipients) {
    const address = recipient.email.trim();
    if (address === "" || seen.has(address.toLowerCase())) continue;
    seen.add(address.toLowerCase());
    to.push({ address, name: recipient.name });
  }
  return to;
};

export interface EmailContentOptions {
  /** The portal's base URL (http or https); when set, the email links to the request. */
  readonly portalUrl?: string;
}

/** What happened, completing "Import request "…" ___". Keyed by status so a new status cannot be forgotten. */
const WHAT_HAPPENED: Readonly<Record<RequestStatus, string>> = {
  draft: "was created as a draft",
  submitted: "was submitted",
  in_review: "is in review",
  returning_in_progress: "is being returned for changes",
  changes_requested: "was returned for changes",
  approval_in_progress: "is being approved",
  rejection_in_progress: "is being rejected",
  blocking_in_progress: "is being blocked",
  approved: "was approved",
  rejected: "was rejected",
  blocked_by_scan: "was blocked by the malware scan",
  cancelled: "was cancelled",
  failed: "failed",
  revoked: "was revoked",
};

/** What happened when a notification has a topic of its own; file names stay out of emails. */
const ABOUT: Readonly<Record<NotificationTopic, string>> = {
  resubmitted: "was resubmitted after changes",
  files_changed: "was resubmitted with changes to files you voted on",
};

const SUBJECT_TITLE_MAX = 100;

const HTML_ESCAPES: Readonly<Record<string, string>> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

/** Escapes text for HTML element content and quoted attribute values. */
export const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] ?? c);

/** One line: a title may hold line breaks, which have no place in a subject header. */
const oneLine = (text: string): string =>
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what is removed
  text.replace(/[\u0000-\u001f\u007f\s]+/g, " ").trim();

const shorten = (text: string, max: number): string =>
  text.length > max ? `${text.slice(0, max - 1)}…` : text;

const capitalised = (text: string): string => text.charAt(0).toUpperCase() + text.slice(1);

/** The portal's base URL, ending in `/`. Throws unless http(s): only such a URL may become a link in an email. */
export const checkPortalUrl = (portalUrl: string): URL => {
  const base = new URL(portalUrl.endsWith("/") ? portalUrl : `${portalUrl}/`);
  if (base.protocol !== "https:" && base.protocol !== "http:") {
    throw new Error(`portalUrl must be http or https (got ${base.protocol})`);
  }
  return base;
};

/** The link to a request in the portal, or undefined without a portal. */
export const requestLink = (
  portalUrl: string | undefined,
  workspaceId: string,
  requestId: string,
): string | undefined =>
  portalUrl === undefined
    ? undefined
    : new URL(
        `workspaces/${encodeURIComponent(workspaceId)}/requests/${encodeURIComponent(requestId)}`,
        checkPortalUrl(portalUrl),
      ).href;

/**
 * The email for one notification: subject, plain text and HTML carrying the same facts. Only
 * facts about the request, never file names or contents; every value is escaped in the HTML.
 */
export const notificationEmail = (
  notification: Notification,
  options: EmailContentOptions = {},
): EmailContent => {
  const { request } = notification;
  const kind = `${capitalised(request.type)} request`;
  const what = notification.topic === undefined ? WHAT_HAPPENED[request.status] : ABOUT[notification.topic];
  const title = oneLine(request.title);
  const subject = `[Airlock] ${kind} "${shorten(title, SUBJECT_TITLE_MAX)}" ${what}`;
  const headline = `${kind} "${title}" ${what}.`;
  const link = requestLink(options.portalUrl, request.workspaceId, request.id);
  const requester = request.createdBy.email
    ? `${request.createdBy.name} <${request.createdBy.email}>`
    : request.createdBy.name;
  const status =
    request.previousStatus === null ? request.status : `${request.status} (was ${request.previousStatus})`;
  const facts: readonly (readonly [string, string])[] = [
    ["Request", request.id],
    ["Type", request.type],
    ["Workspace", request.workspaceId],
    ["Status", status],
    ...(request.statusMessage === null ? [] : ([["Message", request.statusMessage]] as const)),
    ["Requester", requester],
  ];
  const footer = "You receive this email because of your role in this airlock request.";

  const width = Math.max(...facts.map(([label]) => label.length)) + 2;
  const plainText = [
    headline,
    "",
    ...facts.map(([label, value]) => `${`${label}:`.padEnd(width)}${value}`),
    "",
    link === undefined ? "Open the workspace's airlock to see the request." : `Open the request: ${link}`,
    "",
    footer,
    "",
  ].join("\n");

  const rows = facts
    .map(
      ([label, value]) =>
        `<tr><th align="left" style="padding:2px 12px 2px 0">${escapeHtml(label)}</th><td>${escapeHtml(value)}</td></tr>`,
    )
    .join("\n");
  const action =
    link === undefined
      ? "<p>Open the workspace's airlock to see the request.</p>"
      : `<p><a href="${escapeHtml(link)}">Open the request</a></p>`;
  const html = [
    "<!DOCTYPE html>",
    '<html lang="en"><head><meta charset="utf-8"><title>',
    escapeHtml(subject),
    "</title></head><body>",
    `<p>${escapeHtml(headline)}</p>`,
    `<table>\n${rows}\n</table>`,
    action,
    `<p style="color:#666">${escapeHtml(footer)}</p>`,
    "</body></html>",
  ].join("\n");

  return { subject, plainText, html };
};
