import type { PublicRequest, UserAction } from "@airlock/core";
import {
  Badge,
  Button,
  Card,
  CardHeader,
  Field,
  makeStyles,
  Text,
  Textarea,
  Title3,
  tokens,
} from "@fluentui/react-components";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import type { RequestView } from "../api/client";
import { useApi, useSession } from "../session";
import { FilePreview } from "./FilePreview";
import { ProblemMessage } from "./States";

const useStyles = makeStyles({
  files: { display: "flex", flexDirection: "column", gap: tokens.spacingVerticalL },
  row: { display: "flex", gap: tokens.spacingHorizontalM, flexWrap: "wrap", alignItems: "center" },
  decide: {
    display: "flex",
    flexDirection: "column",
    gap: tokens.spacingVerticalM,
    maxWidth: "640px",
    marginTop: tokens.spacingVerticalXL,
  },
});

/**
 * What a reviewer works with: each active file with its preview, the gates' findings and the
 * votes the API shows; a vote per file; a return for changes; an approval or rejection of the
 * whole request; a revocation. Only the actions the API allows the caller now are offered.
 */
export const ReviewPanel = ({
  workspace,
  request,
  allowed,
}: {
  workspace: string;
  request: PublicRequest;
  allowed: readonly UserAction[];
}) => {
  const styles = useStyles();
  const api = useApi();
  const { identity } = useSession();
  const queryClient = useQueryClient();
  const key = ["request", workspace, request.id];
  const [text, setText] = useState("");
  const [open, setOpen] = useState<string | undefined>(undefined);
  const link = useQuery({
    queryKey: ["review-link", workspace, request.id, request.turn],
    enabled: request.status === "in_review",
    queryFn: async () => (await api.link(workspace, request.id)).containerUrl,
  });
  const settle = (view: RequestView) => {
    queryClient.setQueryData(key, view);
    void queryClient.invalidateQueries({ queryKey: ["comments", workspace, request.id] });
  };
  const vote = useMutation({
    mutationFn: (input: { file: string; vote: "approve" | "request_changes" }) =>
      api.vote(workspace, request.id, input.file, {
        vote: input.vote,
        ...(text.trim() ? { comment: text.trim() } : {}),
      }),
    onSuccess: (view) => {
      setText("");
      settle(view);
    },
  });
  const decide = useMutation({
    mutationFn: (action: "return" | "approve" | "reject" | "revoke") => {
      const words = text.trim();
      if (action === "return")
        return api.returnForChanges(workspace, request.id, { comments: [{ text: words }] });
      if (action === "revoke") return api.revoke(workspace, request.id, { reason: words });
      return api.review(workspace, request.id, {
        approval: action === "approve",
        decisionExplanation: words,
      });
    },
    onSuccess: (view) => {
      setText("");
      settle(view);
    },
  });
  const active = request.files.filter((file) => file.state === "active");
  const votesOf = (file: string) =>
    request.votes.filter((entry) => entry.file === file && entry.turn === request.turn);
  const findingsOf = (file: string) =>
    request.findings.filter((finding) => finding.file === file && finding.turn === request.turn);
  const canVote = allowed.includes("vote");
  const wordsNeeded = text.trim() === "";

  return (
    <>
      <div className={styles.files}>
        {active.map((file) => {
          const votes = votesOf(file.name);
          const findings = findingsOf(file.name);
          const mine = votes.find((entry) => entry.reviewer.id === identity?.userId);
          return (
            <Card key={file.name}>
              <CardHeader
                header={<Title3 as="h3">{file.name}</Title3>}
                description={<Text>{file.size} bytes</Text>}
              />
              {findings.length > 0 && (
                <ul aria-label={`Findings on ${file.name}`}>
                  {findings.map((finding) => (
                    <li key={`${finding.gate}:${finding.location ?? ""}:${finding.message}`}>
                      <Badge appearance="tint" color={finding.verdict === "fail" ? "danger" : "warning"}>
                        {finding.gate}: {finding.verdict}
                      </Badge>{" "}
                      {finding.message}
                      {finding.location ? ` (at ${finding.location})` : ""}
                    </li>
                  ))}
                </ul>
              )}
              <Text>
                Votes this turn:{" "}
                {votes.length === 0
                  ? "none you may see"
                  : votes
                      .map((entry) => `${entry.reviewer.name}: ${entry.vote.replace("_", " ")}`)
                      .join("; ")}
              </Text>
              <div className={styles.row}>
                {link.data && (
                  <Button
                    aria-expanded={open === file.name}
                    onClick={() => setOpen(open === file.name ? undefined : file.name)}
                  >
                    {open === file.name ? `Hide ${file.name}` : `Preview ${file.name}`}
                  </Button>
                )}
                {canVote && (
                  <>
                    <Button
                      disabled={vote.isPending}
                      appearance={mine?.vote === "approve" ? "primary" : "secondary"}
                      onClick={() => vote.mutate({ file: file.name, vote: "approve" })}
                    >
                      Approve {file.name}
                    </Button>
                    <Button
                      disabled={vote.isPending}
                      appearance={mine?.vote === "request_changes" ? "primary" : "secondary"}
                      onClick={() => vote.mutate({ file: file.name, vote: "request_changes" })}
                    >
                      Request changes to {file.name}
                    </Button>
                  </>
                )}
              </div>
              {open === file.name && link.data && (
                <FilePreview containerUrl={link.data} name={file.name} findings={findings} />
              )}
            </Card>
          );
        })}
      </div>
      {link.isError && <ProblemMessage error={link.error} />}
      {vote.isError && <ProblemMessage error={vote.error} />}
      <div className={styles.decide}>
        <Field
          label="Note for the other reviewers, or your words to the requester"
          hint="With a vote, the note is for reviewers only. A return, an approval, a rejection or a revocation shows it to the requester."
        >
          <Textarea value={text} onChange={(_, data) => setText(data.value)} />
        </Field>
        <div className={styles.row}>
          {allowed.includes("return") && (
            <Button disabled={decide.isPending || wordsNeeded} onClick={() => decide.mutate("return")}>
              Return for changes
            </Button>
          )}
          {allowed.includes("review") && (
            <>
              <Button
                appearance="primary"
                disabled={decide.isPending || wordsNeeded}
                onClick={() => decide.mutate("approve")}
              >
                Approve request
              </Button>
              <Button disabled={decide.isPending || wordsNeeded} onClick={() => decide.mutate("reject")}>
                Reject request
              </Button>
            </>
          )}
          {allowed.includes("revoke") && (
            <Button disabled={decide.isPending || wordsNeeded} onClick={() => decide.mutate("revoke")}>
              Revoke approval
            </Button>
          )}
        </div>
        {decide.isError && <ProblemMessage error={decide.error} />}
      </div>
    </>
  );
};
