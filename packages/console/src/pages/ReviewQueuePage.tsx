import { Button, Title1 } from "@fluentui/react-components";
import { useInfiniteQuery } from "@tanstack/react-query";
import { RequestTable } from "../components/RequestTable";
import { Empty, Loading, ProblemMessage } from "../components/States";
import { useApi, useSession } from "../session";

/** Requests in review, in every workspace that names the caller an AirlockManager, that they may still decide. */
export const ReviewQueuePage = () => {
  const api = useApi();
  const { identity } = useSession();
  const queue = useInfiniteQuery({
    queryKey: ["awaiting-review", identity?.userId],
    queryFn: ({ pageParam }) => api.awaitingReview(pageParam),
    initialPageParam: null as string | null,
    getNextPageParam: (page) => page.continuation,
  });
  const views = queue.data?.pages.flatMap((page) => page.airlockRequests) ?? [];
  return (
    <>
      <Title1 as="h1">Awaiting my review</Title1>
      {queue.isPending ? (
        <Loading label="Loading the requests awaiting your review" />
      ) : queue.isError ? (
        <ProblemMessage error={queue.error} retry={() => void queue.refetch()} />
      ) : views.length === 0 ? (
        <Empty title="Nothing awaits your review" />
      ) : (
        <>
          <RequestTable views={views} showWorkspace />
          {queue.hasNextPage && (
            <Button onClick={() => void queue.fetchNextPage()} disabled={queue.isFetchingNextPage}>
              Show more
            </Button>
          )}
        </>
      )}
    </>
  );
};
