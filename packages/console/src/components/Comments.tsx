import { type CommentVisibility, mayAttempt } from "@airlock/core";
import {
  Button,
  Field,
  makeStyles,
  Radio,
  RadioGroup,
  Text,
  Textarea,
  tokens,
} from "@fluentui/react-components";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { useApi, useSession } from "../session";
import { dateOf } from "./RequestTable";
import { Empty, Loading, ProblemMessage } from "./States";

const useStyles = makeStyles({
  list: { listStyle: "none", padding: 0 },
  item: { padding: tokens.spacingVerticalS, borderBottom: `1px solid ${tokens.colorNeutralStroke2}` },
  form: { display: "flex", flexDirection: "column", gap: tokens.spacingVerticalS, maxWidth: "640px" },
});

/** The comments the API lets this person read, oldest first, and a comment for everyone. */
export const Comments = ({
  workspace,
  requestId,
  canComment,
  turn,
}: {
  workspace: string;
  requestId: string;
  canComment: boolean;
  turn: number;
}) => {
  const styles = useStyles();
  const api = useApi();
  const queryClient = useQueryClient();
  const key = ["comments", workspace, requestId, turn];
  const comments = useQuery({ queryKey: key, queryFn: () => api.comments(workspace, requestId) });
  const [text, setText] = useState("");
  // Only those who may review may write for reviewers alone; the API refuses anyone else.
  const reviewer = mayAttempt("review", useSession().identity?.roles ?? []);
  const [visibility, setVisibility] = useState<CommentVisibility>("everyone");
  const add = useMutation({
    mutationFn: () => api.addComment(workspace, requestId, { text, visibility }),
    onSuccess: () => {
      setText("");
      void queryClient.invalidateQueries({ queryKey: key });
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (text.trim()) add.mutate();
  };

  return (
    <>
      {comments.isPending ? (
        <Loading label="Loading comments" />
      ) : comments.isError ? (
        <ProblemMessage error={comments.error} retry={() => void comments.refetch()} />
      ) : comments.data.comments.length === 0 ? (
        <Empty title="No comments yet" />
      ) : (
        <ul className={styles.list} aria-label="Comments">
          {comments.data.comments.map((comment) => (
            <li key={comment.id} className={styles.item}>
              <Text weight="semibold">{comment.author.name}</Text>{" "}
              <Text size={200}>
                {dateOf(comment.dateCreated)}
                {comment.file ? `, on ${comment.file}` : ""}
                {comment.visibility === "reviewers" ? ", reviewers only" : ""}
              </Text>
              <Text block>{comment.text}</Text>
            </li>
          ))}
        </ul>
      )}
      {canComment && (
        <form className={styles.form} onSubmit={submit}>
          <Field label={reviewer ? "Add a comment" : "Add a comment (everyone on the request can read it)"}>
            <Textarea value={text} onChange={(_, data) => setText(data.value)} />
          </Field>
          {reviewer && (
            <Field label="Who may read it">
              <RadioGroup
                layout="horizontal"
                value={visibility}
                onChange={(_, data) => setVisibility(data.value as CommentVisibility)}
              >
                <Radio value="everyone" label="Everyone on the request" />
                <Radio value="reviewers" label="Reviewers only" />
              </RadioGroup>
            </Field>
          )}
          {add.isError && <ProblemMessage error={add.error} />}
          <div>
            <Button type="submit" disabled={add.isPending || !text.trim()}>
              Add comment
            </Button>
          </div>
        </form>
      )}
    </>
  );
};
