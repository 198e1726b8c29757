import type { AuditEntry, Comment } from "@airlock/core";
import type { RequestView } from "./client.js";
import type { Output } from "./output.js";

/** 1536 → "1.5 KiB". */
export const bytes = (value: number): string => {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let size = value;
  let unit = 0;
  while (size >= 1024 && unit < units.length - 1) {
    size /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${size} B` : `${size.toFixed(1)} ${units[unit]}`;
};

const when = (epochSeconds: number) => new Date(epochSeconds * 1000).toISOString().replace(/\.\d+Z$/, "Z");

/** What people read about a request: who, what, its status, its files and what they may do. */
export const describeRequest = (view: RequestView, out: Output): string => {
  const request = view.airlockRequest;
  const lines = [
    `${out.style("bold", request.title)}  (${request.type})`,
    `  request   ${request.workspaceId}/${request.id}`,
    `  status    ${out.style("cyan", request.status)}${request.statusMessage ? ` — ${request.statusMessage}` : ""}`,
    `  by        ${request.createdBy.name} <${request.createdBy.email}>, ${when(request.createdWhen)}`,
    `  turn      ${request.turn}`,
  ];
  if (request.files.length > 0) {
    lines.push("  files");
    for (const file of request.files) {
      lines.push(
        `    ${file.name}  ${bytes(file.size)}  sha256 ${file.sha256.slice(0, 16)}…${file.state === "withdrawn" ? "  (withdrawn)" : ""}`,
      );
    }
  }
  lines.push(
    `  you may   ${view.allowedUserActions.length > 0 ? view.allowedUserActions.join(", ") : "nothing now"}`,
  );
  return lines.join("\n");
};

export const describeFindings = (view: RequestView): string => {
  const findings = view.airlockRequest.findings ?? [];
  if (findings.length === 0) return "  findings  none";
  return [
    "  findings",
    ...findings.map(
      (finding) =>
        `    [${finding.verdict}] ${finding.gate} on ${finding.file}: ${finding.message} (turn ${finding.turn})`,
    ),
  ].join("\n");
};

export const describeComments = (comments: readonly Comment[]): string =>
  comments.length === 0
    ? "no comments"
    : comments
        .map(
          (comment) =>
            `${when(comment.dateCreated)}  ${comment.author.name}${comment.file ? ` on ${comment.file}` : ""}${comment.visibility === "reviewers" ? " (reviewers only)" : ""}, turn ${comment.turn}:\n  ${comment.text.replace(/\n/g, "\n  ")}`,
        )
        .join("\n");

/** One line per request, for lists. */
export const requestLine = (view: RequestView): string => {
  const request = view.airlockRequest;
  return `${request.workspaceId}/${request.id}  ${request.type.padEnd(6)}  ${request.status.padEnd(22)}  ${request.title}`;
};

export const auditLine = (entry: AuditEntry): string =>
  [
    String(entry.seq).padStart(5),
    new Date(entry.at > 1e12 ? entry.at : entry.at * 1000).toISOString(),
    entry.actor.name,
    entry.action,
    entry.outcome,
    entry.fromStatus || entry.toStatus ? `${entry.fromStatus ?? "-"} → ${entry.toStatus ?? "-"}` : "",
    entry.reason ?? "",
  ]
    .filter(Boolean)
    .join("  ");
