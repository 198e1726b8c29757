import { Button, Field, Input, makeStyles, Title1, Title2, tokens } from "@fluentui/react-components";
import { useInfiniteQuery } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { Link, useNavigate } from "react-router";
import { RequestTable } from "../components/RequestTable";
import { Empty, Loading, ProblemMessage } from "../components/States";
import { recentWorkspaces } from "../recent";
import { useApi, useSession } from "../session";

const useStyles = makeStyles({
  open: {
    display: "flex",
    alignItems: "flex-end",
    gap: tokens.spacingHorizontalM,
    marginBottom: tokens.spacingVerticalL,
  },
  recent: { display: "flex", gap: tokens.spacingHorizontalM, flexWrap: "wrap" },
  section: { marginTop: tokens.spacingVerticalXXL },
});

/** Where a person starts: a workspace to open, and their own requests in every workspace. */
export const HomePage = () => {
  const styles = useStyles();
  const api = useApi();
  const { identity } = useSession();
  const navigate = useNavigate();
  const [workspace, setWorkspace] = useState("");
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
  const recent = recentWorkspaces();
  const views = mine.data?.pages.flatMap((page) => page.airlockRequests) ?? [];

  return (
    <>
      <Title1 as="h1">Airlock</Title1>
      <form className={styles.open} onSubmit={open}>
        <Field label="Workspace id">
          <Input value={workspace} onChange={(_, data) => setWorkspace(data.value)} />
        </Field>
        <Button type="submit" appearance="primary">
          Open workspace
        </Button>
      </form>
      {recent.length > 0 && (
        <nav aria-label="Recent workspaces" className={styles.recent}>
          {recent.map((id) => (
            <Link key={id} to={`/workspaces/${encodeURIComponent(id)}`}>
              {id}
            </Link>
          ))}
        </nav>
      )}
      <section className={styles.section}>
        <Title2 as="h2">My requests</Title2>
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
      </section>
    </>
  );
};
