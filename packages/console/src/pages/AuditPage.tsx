import { MAX_AUDIT_PAGE } from "@airlock/core";
import { Body1, Button, Field, makeStyles, Select, Text, Title1, tokens } from "@fluentui/react-components";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { Link, useParams } from "react-router";
import { requestAuditAudience } from "../admin/audience";
import { adminWorkspacePath } from "../admin/paths";
import type { Audience } from "../auth/session";
import { AuditTable, VerificationResult } from "../components/AuditTrail";
import { Section } from "../components/Section";
import { Empty, Loading, ProblemMessage } from "../components/States";
import { useApi, useSession } from "../session";

const PAGE_SIZES = [10, 25, 50, 100].filter((size) => size <= MAX_AUDIT_PAGE);

const useStyles = makeStyles({
  bar: {
    display: "flex",
    alignItems: "flex-end",
    gap: tokens.spacingHorizontalM,
    margin: `${tokens.spacingVerticalM} 0`,
  },
  spacer: { flexGrow: 1 },
  verify: {
    display: "flex",
    flexDirection: "column",
    gap: tokens.spacingVerticalS,
    alignItems: "flex-start",
  },
});

/**
 * An audit trail, a page at a time in the order it was written, with the verification of the whole
 * trail: a request's (its owners, airlock managers and TRE admins), or with no request id the
 * workspace's own (TRE admins).
 */
export const AuditPage = () => {
  const styles = useStyles();
  const { ws = "", id } = useParams();
  const api = useApi();
  const { identity } = useSession();
  const requestId = id ?? null;
  const audience: Audience =
    requestId === null ? { kind: "api" } : requestAuditAudience(identity?.roles ?? [], ws);
  const [pageSize, setPageSize] = useState(PAGE_SIZES[1] ?? 25);
  // Where each page read so far starts: the API pages forward with a continuation.
  const [starts, setStarts] = useState<readonly (string | null)[]>([null]);
  const start = starts[starts.length - 1] ?? null;
  const page = useQuery({
    queryKey: ["audit", ws, requestId, audience.kind, pageSize, start],
    queryFn: () => api.auditTrail(audience, ws, requestId, { pageSize, continuation: start }),
    placeholderData: keepPreviousData,
  });
  const verification = useQuery({
    queryKey: ["audit-verification", ws, requestId, audience.kind],
    queryFn: () => api.auditVerification(audience, ws, requestId),
  });

  return (
    <>
      <Title1 as="h1">
        {requestId === null ? `Audit trail of workspace ${ws}` : `Audit trail of request ${requestId}`}
      </Title1>
      <Body1 block>
        {requestId === null ? (
          <Link to={adminWorkspacePath(ws)}>The workspace</Link>
        ) : audience.kind === "workspace" ? (
          <Link to={`/workspaces/${encodeURIComponent(ws)}/requests/${encodeURIComponent(requestId)}`}>
            The request
          </Link>
        ) : (
          <Link to={adminWorkspacePath(ws)}>Workspace {ws}</Link>
        )}
      </Body1>

      <Section title="Verification">
        <div className={styles.verify}>
          {verification.isPending ? (
            <Loading label="Verifying the whole trail" />
          ) : verification.isError ? (
            <ProblemMessage error={verification.error} retry={() => void verification.refetch()} />
          ) : (
            <>
              <VerificationResult result={verification.data} />
              <Button onClick={() => void verification.refetch()} disabled={verification.isFetching}>
                Verify again
              </Button>
            </>
          )}
        </div>
      </Section>

      <Section title="Entries">
        <div className={styles.bar}>
          <Field label="Entries per page">
            <Select
              value={String(pageSize)}
              onChange={(_, data) => {
                setPageSize(Number(data.value));
                setStarts([null]);
              }}
            >
              {PAGE_SIZES.map((size) => (
                <option key={size} value={size}>
                  {size}
                </option>
              ))}
            </Select>
          </Field>
          <span className={styles.spacer} />
          <Text aria-live="polite">Page {starts.length}</Text>
          <Button disabled={starts.length === 1} onClick={() => setStarts(starts.slice(0, -1))}>
            Previous page
          </Button>
          <Button
            disabled={!page.data?.continuation || page.isPlaceholderData}
            onClick={() => page.data?.continuation && setStarts([...starts, page.data.continuation])}
          >
            Next page
          </Button>
        </div>
        {page.isPending ? (
          <Loading label="Loading the audit trail" />
        ) : page.isError ? (
          <ProblemMessage error={page.error} retry={() => void page.refetch()} />
        ) : page.data.entries.length === 0 ? (
          <Empty title="No entries yet">
            {requestId === null
              ? "The workspace's own trail records refusals made before any request was read."
              : "Nothing was recorded for this request yet."}
          </Empty>
        ) : (
          <AuditTable entries={page.data.entries} />
        )}
      </Section>
    </>
  );
};
