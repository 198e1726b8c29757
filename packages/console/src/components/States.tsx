import {
  Button,
  MessageBar,
  MessageBarBody,
  MessageBarTitle,
  makeStyles,
  Spinner,
  Text,
  tokens,
} from "@fluentui/react-components";
import type { ReactNode } from "react";
import { asProblem } from "../api/problem";

const useStyles = makeStyles({
  empty: {
    padding: tokens.spacingVerticalXXL,
    textAlign: "center",
    border: `1px dashed ${tokens.colorNeutralStroke1}`,
    borderRadius: tokens.borderRadiusMedium,
  },
  errors: { margin: 0, paddingLeft: tokens.spacingHorizontalXL },
});

/** What the API refused or why a call failed, in its own words, with the fields it names. */
export const ProblemMessage = ({ error, retry }: { error: unknown; retry?: () => void }) => {
  const styles = useStyles();
  const problem = asProblem(error);
  return (
    <MessageBar intent="error" role="alert">
      <MessageBarBody>
        <MessageBarTitle>{problem.title}</MessageBarTitle>
        {problem.detail}
        {problem.errors && problem.errors.length > 0 && (
          <ul className={styles.errors}>
            {problem.errors.map((issue) => (
              <li key={`${issue.path}:${issue.message}`}>
                {issue.path ? `${issue.path}: ` : ""}
                {issue.message}
              </li>
            ))}
          </ul>
        )}
      </MessageBarBody>
      {retry && (
        <Button appearance="transparent" onClick={retry}>
          Try again
        </Button>
      )}
    </MessageBar>
  );
};

export const Loading = ({ label }: { label: string }) => <Spinner label={label} />;

export const Empty = ({ title, children }: { title: string; children?: ReactNode }) => {
  const styles = useStyles();
  return (
    <div className={styles.empty}>
      <Text weight="semibold" block>
        {title}
      </Text>
      {children}
    </div>
  );
};
