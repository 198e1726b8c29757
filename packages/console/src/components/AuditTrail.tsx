import type { AuditEntry, AuditVerification } from "@airlock/core";
import {
  Badge,
  MessageBar,
  MessageBarBody,
  MessageBarTitle,
  makeStyles,
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

/** The status an entry left the request in: a change as "from → to", else the status it found. */
const statusChange = ({ fromStatus, toStatus }: AuditEntry): string => {
  if (toStatus === null || toStatus === fromStatus) return fromStatus ? statusText(fromStatus) : "";
  return fromStatus ? `${statusText(fromStatus)} → ${statusText(toStatus)}` : `new → ${statusText(toStatus)}`;
};

const useStyles = makeStyles({
  // Columns as wide as their content: a reason is often a sentence, an entry number a few digits.
  table: { tableLayout: "auto" },
  nowrap: { whiteSpace: "nowrap" },
});

/** A page of a trail's entries, in the order they were written. */
export const AuditTable = ({ entries }: { entries: readonly AuditEntry[] }) => {
  const styles = useStyles();
  return (
    <Table aria-label="Audit entries" className={styles.table}>
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
            <TableCell className={styles.nowrap}>{dateOf(entry.at)}</TableCell>
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
};
