import { Button, Field, Input, makeStyles, Text, Title1, tokens } from "@fluentui/react-components";
import { useInfiniteQuery, useQuery } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { Link, useNavigate } from "react-router";
import { RequestTable } from "../components/RequestTable";
import { Section } from "../components/Section";
import { Empty, Loading, ProblemMessage } from "../components/States";
import { useApi, useSession } from "../session";

const useStyles = makeStyles({
  open: {
    display: "flex",
    alignItems: "flex-end",
    gap: tokens.spacingHorizontalM,
    marginBottom: tokens.spacingVerticalL,
  },
  workspaces: {
    display: "flex",
    gap: tokens.spacingHorizontalM,
    flexWrap: "wrap",
    listStyleType: "none",
    padding: 0,
  },
  workspace: {
    display: "flex",
    flexDirection: "column",
    padding: tokens.spacingVerticalM,
    minWidth: "200px",
    border: `1px solid ${tokens.colorNeutralStroke1}`,
    borderRadius: tokens.borderRadiusMedium,
  },
});

/**
 * Where a person starts: the workspaces whose members list names them (or one opened by its id,
 * where roles come from tokens alone), and their own requests in every workspace.
 */
export const HomePage = () => {
  const styles = useStyles();
  const api = useApi();
  const { identity } = useSession();
  const navigate = useNavigate();
  const [workspace, setWorkspace] = useState("");
  const workspaces = useQuery({
    queryKey: ["my-workspaces", identity?.userId],
    queryFn: () => api.myWorkspaces(),
  });
  const mine = useInfiniteQuery({
    queryKey: ["my-requests", identity?.userId],
    queryFn: ({ pageParam }) => api.myRequests(pageParam),
    initialPageParam: null as string | null,
    getNextPageParam: (page) => page.continuation,
  });
  const open = (event: FormEvent) => {
    event.preventDefault();
    const id = workspace.trim();
    if (id) navigate(`/workspaces/${encodeURIComponent(id)}`);
  };
  const views = mine.data?.pages.flatMap((page) => page.airlockRequests) ?? [];

  return (
    <>
      <Title1 as="h1">Airlock</Title1>
      <Section title="My workspaces">
        {workspaces.isPending ? (
          <Loading label="Loading your workspaces" />
        ) : workspaces.isError ? (
          <ProblemMessage error={workspaces.error} retry={() => void workspaces.refetch()} />
        ) : workspaces.data.workspaces.length === 0 ? (
          <Empty title="No workspace lists you as a member">
            Ask a workspace owner to add you, or open a workspace by its id below.
          </Empty>
        ) : (
          <ul className={styles.workspaces}>
            {workspaces.data.workspaces.map((entry) => (
              <li key={entry.id} className={styles.workspace}>
                <Link to={`/workspaces/${encodeURIComponent(entry.id)}`}>{entry.displayName}</Link>
                <Text size={200}>
                  {entry.id}
                  {entry.roles.length > 0 ? ` · ${entry.roles.join(", ")}` : ""}
                </Text>
              </li>
            ))}
          </ul>
        )}
      </Section>
      <form className={styles.open} onSubmit={open}>
        <Field label="Workspace id">
          <Input value={workspace} onChange={(_, data) => setWorkspace(data.value)} />
        </Field>
        <Button type="submit">Open workspace</Button>
      </form>
      <Section title="My requests">
        {mine.isPending ? (
          <Loading label="Loading your requests" />
        ) : mine.isError ? (
          <ProblemMessage error={mine.error} retry={() => void mine.refetch()} />
        ) : views.length === 0 ? (
          <Empty title="You have no requests yet">Open a workspace to start an import or an export.</Empty>
        ) : (
          <>
            <RequestTable views={views} showWorkspace />
            {mine.hasNextPage && (
              <Button onClick={() => void mine.fetchNextPage()} disabled={mine.isFetchingNextPage}>
                Show more
              </Button>
            )}
          </>
        )}
      </Section>
    </>
  );
};
