import {
  Body1,
  Button,
  Field,
  Input,
  MessageBar,
  MessageBarBody,
  makeStyles,
  Title1,
  tokens,
} from "@fluentui/react-components";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { Link, useLocation, useNavigate, useParams } from "react-router";
import { requestAuditPath, workspaceAuditPath } from "../admin/paths";
import { draftOfView, type RegistrationDraft, registrationOf } from "../admin/registration";
import type { WorkspaceView } from "../api/client";
import { Section } from "../components/Section";
import { Loading, ProblemMessage } from "../components/States";
import { WorkspaceForm } from "../components/WorkspaceForm";
import { useApi } from "../session";

const useStyles = makeStyles({
  audit: {
    display: "flex",
    flexDirection: "column",
    gap: tokens.spacingVerticalM,
    margin: `${tokens.spacingVerticalL} 0 ${tokens.spacingVerticalXXL}`,
  },
  open: { display: "flex", alignItems: "flex-end", gap: tokens.spacingHorizontalM },
  saved: { marginTop: tokens.spacingVerticalL },
});

/** Where a TRE admin reads the workspace's audit trails: its own, and one request's by its id. */
const AuditLinks = ({ workspace }: { workspace: string }) => {
  const styles = useStyles();
  const navigate = useNavigate();
  const [requestId, setRequestId] = useState("");
  const open = (event: FormEvent) => {
    event.preventDefault();
    const id = requestId.trim();
    if (id) navigate(requestAuditPath(workspace, id));
  };
  return (
    <Section title="Audit" className={styles.audit}>
      <Link to={workspaceAuditPath(workspace)}>The workspace's own audit trail</Link>
      <form className={styles.open} onSubmit={open}>
        <Field label="Request id">
          <Input value={requestId} onChange={(_, data) => setRequestId(data.value)} />
        </Field>
        <Button type="submit">Open the request's audit trail</Button>
      </form>
    </Section>
  );
};

/** One registered workspace (TRE admins): its registration, policy, gates and members, edited. */
export const WorkspaceAdminPage = () => {
  const styles = useStyles();
  const { ws = "" } = useParams();
  const api = useApi();
  const queryClient = useQueryClient();
  const location = useLocation();
  const created = (location.state as { created?: boolean } | null)?.created === true;
  const view = useQuery({ queryKey: ["workspace", ws], queryFn: () => api.workspace(ws) });
  // Each save that went through starts the form again from what the API stored.
  const [saves, setSaves] = useState(0);
  const save = useMutation({
    mutationFn: (draft: RegistrationDraft) => api.registerWorkspace(ws, registrationOf(draft)),
    onSuccess: (saved: WorkspaceView) => {
      queryClient.setQueryData(["workspace", ws], saved);
      setSaves((count) => count + 1);
      void queryClient.invalidateQueries({ queryKey: ["workspaces"] });
      void queryClient.invalidateQueries({ queryKey: ["my-workspaces"] });
    },
  });

  if (view.isPending) return <Loading label="Loading the workspace" />;
  if (view.isError) return <ProblemMessage error={view.error} retry={() => void view.refetch()} />;

  return (
    <>
      <Title1 as="h1">{view.data.displayName}</Title1>
      <Body1 block>
        Workspace {view.data.id}. <Link to="/admin/workspaces">All workspaces</Link>
      </Body1>
      {created && save.isIdle && (
        <MessageBar className={styles.saved} intent="success" role="status">
          <MessageBarBody>The workspace is registered.</MessageBarBody>
        </MessageBar>
      )}
      <AuditLinks workspace={ws} />
      <WorkspaceForm
        key={saves}
        initial={draftOfView(view.data)}
        isNew={false}
        saving={save.isPending}
        error={save.error}
        saved={save.isSuccess}
        onSave={(draft) => save.mutate(draft)}
      />
    </>
  );
};
