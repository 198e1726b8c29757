import type { PublicRequest } from "@airlock/core";
import { makeStyles, Text, tokens } from "@fluentui/react-components";
import { dateOf } from "./RequestTable";
import { statusText } from "./StatusBadge";

const useStyles = makeStyles({
  list: { listStyle: "none", padding: 0, margin: 0, borderLeft: `2px solid ${tokens.colorBrandStroke1}` },
  item: { padding: `${tokens.spacingVerticalS} ${tokens.spacingHorizontalL}` },
});

interface Moment {
  readonly when: number;
  readonly key: string;
  readonly text: string;
}

/** Status changes and decisions in the order they happened, as far as the API shows them. */
export const Timeline = ({ request }: { request: PublicRequest }) => {
  const styles = useStyles();
  const moments: Moment[] = [
    { when: request.createdWhen, key: "created", text: `Created by ${request.createdBy.name}` },
    ...request.history.map((entry, index) => ({
      when: entry.updatedWhen,
      key: `history-${index}`,
      text: `${entry.previousStatus ? `${statusText(entry.previousStatus)} → ` : ""}${statusText(entry.status)}, by ${entry.updatedBy.name}`,
    })),
    ...request.reviews.map((review) => ({
      when: review.dateCreated,
      key: `review-${review.id}`,
      text: `${review.reviewer.name} ${review.reviewDecision} the request: ${review.decisionExplanation}`,
    })),
    ...request.fileDecisions.map((decision) => ({
      when: request.updatedWhen,
      key: `decision-${decision.turn}-${decision.file}`,
      text: `Turn ${decision.turn}: ${decision.file} ${statusText(decision.decision)}`,
    })),
  ].sort((a, b) => a.when - b.when);
  return (
    <ol className={styles.list}>
      {moments.map((moment) => (
        <li key={moment.key} className={styles.item}>
          <Text size={200} block>
            {dateOf(moment.when)}
          </Text>
          <Text>{moment.text}</Text>
        </li>
      ))}
    </ol>
  );
};
