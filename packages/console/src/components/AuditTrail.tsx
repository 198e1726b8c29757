import type { AuditEntry, AuditVerification } from "@airlock/core";
import {
  Badge,
  MessageBar,
  MessageBarBody,
  MessageBarTitle,
  Table,
  TableBody,
  TableCell,
  TableHeader,
  TableHeaderCell,
  TableRow,
} from "@fluentui/react-components";
import { dateOf } from "./RequestTable";
import { statusText } from "./StatusBadge";

/** What each way of failing verification means, for a person reading the result. */
const TAMPER_TEXT: Readonly<Record<Extract<AuditVerification, { ok: false }>["reason"], string>> = {
  "sequence gap": "an entry is missing or was renumbered",
  "broken link": "an entry does not follow the one before it",
  "content changed": "an entry's content was changed, or written without the chain's key",
  truncated: "entries were removed from the end, after the last signed checkpoint",
  "checkpoint mismatch": "the entry a signed checkpoint names was rewritten",
  "checkpoint forged": "a checkpoint's signature does not verify",
};

/** The result of verifying a whole trail: intact (how far, against which checkpoint), or where it breaks. */
export const VerificationResult = ({ result }: { result: AuditVerification }) =>
  result.ok ? (
    <MessageBar intent="success" role="status">
      <MessageBarBody>
        <MessageBarTitle>Verified</MessageBarTitle>
        All {result.entries} {result.entries === 1 ? "entry is" : "entries are"} intact and in order
        {result.checkpointSeq === null
          ? "; no signed checkpoint yet."
          : `, up to the signed checkpoint at entry ${result.checkpointSeq}.`}
      </MessageBarBody>
    </MessageBar>
  ) : (
    <MessageBar intent="error" role="alert">
      <MessageBarBody>
        <MessageBarTitle>Broken</MessageBarTitle>
        The trail does not verify from entry {result.firstTampered} on:{" "}
        {TAMPER_TEXT[result.reason] ?? result.reason}.
      </MessageBarBody>
    </MessageBar>
  );

const OUTCOME_COLOR = { allowed: "success", denied: "danger", transition: "brand" } as const;

const statusChange = (entry: AuditEntry): string =>
  entry.fromStatus === null && entry.toStatus === null
    ? ""
    : `${entry.fromStatus ? statusText(entry.fromStatus) : "none"} → ${entry.toStatus ? statusText(entry.toStatus) : "none"}`;

/** A page of a trail's entries, in the order they were written. */
export const AuditTable = ({ entries }: { entries: readonly AuditEntry[] }) => (
  <Table aria-label="Audit entries">
    <TableHeader>
      <TableRow>
        <TableHeaderCell>Entry</TableHeaderCell>
        <TableHeaderCell>When</TableHeaderCell>
        <TableHeaderCell>Who</TableHeaderCell>
        <TableHeaderCell>Action</TableHeaderCell>
        <TableHeaderCell>Outcome</TableHeaderCell>
        <TableHeaderCell>Status</TableHeaderCell>
        <TableHeaderCell>Reason</TableHeaderCell>
      </TableRow>
    </TableHeader>
    <TableBody>
      {entries.map((entry) => (
        <TableRow key={entry.seq}>
          <TableCell>{entry.seq}</TableCell>
          <TableCell>{dateOf(entry.at)}</TableCell>
          <TableCell>
            {entry.actor.name} ({entry.actor.id})
          </TableCell>
          <TableCell>{entry.action}</TableCell>
          <TableCell>
            <Badge appearance="tint" color={OUTCOME_COLOR[entry.outcome]}>
              {entry.outcome}
            </Badge>
          </TableCell>
          <TableCell>{statusChange(entry)}</TableCell>
          <TableCell>{entry.reason ?? ""}</TableCell>
        </TableRow>
      ))}
    </TableBody>
  </Table>
);
