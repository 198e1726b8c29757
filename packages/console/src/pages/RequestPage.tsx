import { mayAttempt, type RequestStatus } from "@airlock/core";
import { Body1, Button, makeStyles, Text, Title1, tokens } from "@fluentui/react-components";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Link, useParams } from "react-router";
import { requestAuditPath } from "../admin/paths";
import { ApprovedFiles } from "../components/ApprovedFiles";
import { Comments } from "../components/Comments";
import { DraftFiles } from "../components/DraftFiles";
import { RecordedFiles } from "../components/RecordedFiles";
import { ReviewPanel } from "../components/ReviewPanel";
import { Section } from "../components/Section";
import { Loading, ProblemMessage } from "../components/States";
import { StatusBadge } from "../components/StatusBadge";
import { Timeline } from "../components/Timeline";
import { useApi, useSession } from "../session";

/** Statuses the processor moves on by itself: the page asks again until the request settles. */
const MOVING: ReadonlySet<RequestStatus> = new Set([
  "submitted",
  "returning_in_progress",
  "approval_in_progress",
  "rejection_in_progress",
  "blocking_in_progress",
]);

const useStyles = makeStyles({
  heading: { display: "flex", alignItems: "center", gap: tokens.spacingHorizontalM },
  actions: { display: "flex", gap: tokens.spacingHorizontalM, margin: `${tokens.spacingVerticalL} 0` },
});

/** One request: what it is, its files, what the caller may do, its timeline and comments. */
export const RequestPage = () => {
  const styles = useStyles();
  const { ws = "", id = "" } = useParams();
  const api = useApi();
  const { identity } = useSession();
  const queryClient = useQueryClient();
  const key = ["request", ws, id];
  const view = useQuery({
    queryKey: key,
    queryFn: () => api.getRequest(ws, id),
    refetchInterval: (query) =>
      query.state.data && MOVING.has(query.state.data.airlockRequest.status) ? 1000 : false,
  });
  const refresh = () => void queryClient.invalidateQueries({ queryKey: ["request", ws, id] });
  const command = useMutation({
    mutationFn: (name: "submit" | "cancel") => api.command(ws, id, name),
    onSuccess: (next) => queryClient.setQueryData(key, next),
  });

  if (view.isPending) return <Loading label="Loading the request" />;
  if (view.isError) return <ProblemMessage error={view.error} retry={() => void view.refetch()} />;
  const { airlockRequest: request, allowedUserActions: allowed } = view.data;
  const editable = request.status === "draft" || request.status === "changes_requested";

  return (
    <>
      <div className={styles.heading}>
        <Title1 as="h1">{request.title}</Title1>
        <StatusBadge status={request.status} />
      </div>
      <Body1 block>
        {request.type === "import" ? "Import into" : "Export from"} workspace {request.workspaceId}, by{" "}
        {request.createdBy.name}
      </Body1>
      <Text block>{request.businessJustification}</Text>
      {mayAttempt("audit", identity?.roles ?? []) && <Link to={requestAuditPath(ws, id)}>Audit trail</Link>}
      {request.statusMessage && (
        <Text block italic>
          {request.statusMessage}
        </Text>
      )}
      <div className={styles.actions}>
        {allowed.includes("submit") && (
          <Button appearance="primary" disabled={command.isPending} onClick={() => command.mutate("submit")}>
            {request.turn > 0 ? "Resubmit" : "Submit"}
          </Button>
        )}
        {allowed.includes("cancel") && (
          <Button disabled={command.isPending} onClick={() => command.mutate("cancel")}>
            Cancel request
          </Button>
        )}
      </div>
      {command.isError && <ProblemMessage error={command.error} />}

      <Section title="Files">
        {/* Only the requester holds a link to the draft: withdrawing is theirs alone, as uploading is. */}
        {editable && allowed.includes("withdraw") && (
          <DraftFiles workspace={ws} request={request} onChange={refresh} />
        )}
        {request.status === "approved" && <ApprovedFiles workspace={ws} requestId={id} />}
        <RecordedFiles request={request} />
      </Section>

      {(["vote", "review", "return", "revoke"] as const).some((action) => allowed.includes(action)) && (
        <Section title="Review">
          <ReviewPanel workspace={ws} request={request} allowed={allowed} />
        </Section>
      )}

      <Section title="Timeline">
        <Timeline request={request} />
      </Section>

      <Section title="Comments">
        <Comments
          workspace={ws}
          requestId={id}
          canComment={allowed.includes("comment")}
          turn={request.turn}
        />
      </Section>
    </>
  );
};
