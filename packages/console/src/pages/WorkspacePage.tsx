import type { RequestStatus, RequestType } from "@airlock/core";
import { Button, Field, makeStyles, Select, Title1, tokens } from "@fluentui/react-components";
import { useInfiniteQuery } from "@tanstack/react-query";
import { useState } from "react";
import { Link, useParams } from "react-router";
import { RequestTable } from "../components/RequestTable";
import { Empty, Loading, ProblemMessage } from "../components/States";
import { statusText } from "../components/StatusBadge";
import { useApi } from "../session";

/** The statuses a list can be filtered by, in the order a request meets them. */
const STATUSES: readonly RequestStatus[] = [
  "draft",
  "submitted",
  "in_review",
  "changes_requested",
  "approved",
  "rejected",
  "blocked_by_scan",
  "revoked",
  "cancelled",
  "failed",
];

const useStyles = makeStyles({
  bar: {
    display: "flex",
    alignItems: "flex-end",
    gap: tokens.spacingHorizontalM,
    margin: `${tokens.spacingVerticalL} 0`,
  },
  spacer: { flexGrow: 1 },
  more: { marginTop: tokens.spacingVerticalM },
});

/** A workspace's requests the caller may see, filtered by status and type, a page at a time. */
export const WorkspacePage = () => {
  const styles = useStyles();
  const { ws = "" } = useParams();
  const api = useApi();
  const [status, setStatus] = useState<RequestStatus | "">("");
  const [type, setType] = useState<RequestType | "">("");
  const list = useInfiniteQuery({
    queryKey: ["requests", ws, status, type],
    queryFn: ({ pageParam }) =>
      api.listRequests(ws, { status: status || undefined, type: type || undefined }, pageParam),
    initialPageParam: null as string | null,
    getNextPageParam: (page) => page.continuation,
  });
  const views = list.data?.pages.flatMap((page) => page.airlockRequests) ?? [];

  return (
    <>
      <Title1 as="h1">Workspace {ws}</Title1>
      <div className={styles.bar}>
        <Field label="Status">
          <Select value={status} onChange={(_, data) => setStatus(data.value as RequestStatus | "")}>
            <option value="">Any status</option>
            {STATUSES.map((value) => (
              <option key={value} value={value}>
                {statusText(value)}
              </option>
            ))}
          </Select>
        </Field>
        <Field label="Type">
          <Select value={type} onChange={(_, data) => setType(data.value as RequestType | "")}>
            <option value="">Imports and exports</option>
            <option value="import">Imports</option>
            <option value="export">Exports</option>
          </Select>
        </Field>
        <span className={styles.spacer} />
        <Link to={`/workspaces/${encodeURIComponent(ws)}/new`}>New request</Link>
      </div>
      {list.isPending ? (
        <Loading label="Loading requests" />
      ) : list.isError ? (
        <ProblemMessage error={list.error} retry={() => void list.refetch()} />
      ) : views.length === 0 ? (
        <Empty
          title={status || type ? "No request matches these filters" : "No requests in this workspace yet"}
        />
      ) : (
        <>
          <RequestTable views={views} />
          {list.hasNextPage && (
            <Button
              className={styles.more}
              onClick={() => void list.fetchNextPage()}
              disabled={list.isFetchingNextPage}
            >
              Show more
            </Button>
          )}
        </>
      )}
    </>
  );
};
