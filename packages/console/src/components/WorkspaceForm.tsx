import {
  Button,
  Field,
  Input,
  MessageBar,
  MessageBarBody,
  makeStyles,
  tokens,
} from "@fluentui/react-components";
import { type FormEvent, useState } from "react";
import {
  type FieldIssue,
  fieldPaths,
  POLICY_FIELDS,
  placeIssues,
  type RegistrationDraft,
  validate,
} from "../admin/registration";
import { ProblemError } from "../api/problem";
import { GatesEditor } from "./GatesEditor";
import { MembersEditor } from "./MembersEditor";
import { Section } from "./Section";
import { messageOf, SettingField } from "./SettingField";
import { ProblemMessage } from "./States";

const useStyles = makeStyles({
  form: { display: "flex", flexDirection: "column", gap: tokens.spacingVerticalL, maxWidth: "760px" },
  section: { display: "flex", flexDirection: "column", gap: tokens.spacingVerticalM },
  policy: {
    display: "grid",
    gridTemplateColumns: "repeat(auto-fill, minmax(320px, 1fr))",
    gap: tokens.spacingVerticalM,
  },
  save: { alignSelf: "flex-start" },
});

/** A conflict the API answers without naming a field: two workspaces never share a client id. */
const isClientIdClash = (error: unknown): error is ProblemError =>
  error instanceof ProblemError &&
  error.problem.status === 409 &&
  error.problem.detail !== undefined &&
  (error.problem.errors ?? []).length === 0;

/** A refusal the form shows next to its fields: the API's `errors`, and a clash of client ids. */
export const fieldIssuesOf = (error: unknown): FieldIssue[] => {
  if (isClientIdClash(error)) return [{ path: "clientId", message: error.problem.detail ?? "" }];
  return error instanceof ProblemError ? [...(error.problem.errors ?? [])] : [];
};

/**
 * A workspace's registration as a form: checked with the API's own schema before anything is sent
 * (messages at their fields once Save was pressed), then the API's refusals at the same fields.
 */
export const WorkspaceForm = ({
  initial,
  isNew,
  saving,
  error,
  saved = false,
  onSave,
}: {
  initial: RegistrationDraft;
  isNew: boolean;
  saving: boolean;
  /** What the last save ended with, when it was refused or failed. */
  error: unknown;
  /** Whether the last save went through: said next to the button that made it. */
  saved?: boolean;
  onSave: (draft: RegistrationDraft) => void;
}) => {
  const styles = useStyles();
  const [draft, setDraft] = useState(initial);
  const [tried, setTried] = useState(false);
  const clientIssues = tried ? validate(draft, isNew) : [];
  const serverIssues = fieldIssuesOf(error);
  const { byField, elsewhere } = placeIssues([...clientIssues, ...serverIssues], fieldPaths(draft, isNew));
  const messageAt = (path: string) => byField.get(path);
  const edit = (change: Partial<RegistrationDraft>) => setDraft((current) => ({ ...current, ...change }));

  const submit = (event: FormEvent) => {
    event.preventDefault();
    setTried(true);
    if (validate(draft, isNew).length === 0) onSave(draft);
  };
  // The banner says what the API refused; its field messages are at their fields already.
  const banner =
    error instanceof ProblemError
      ? new ProblemError({
          ...error.problem,
          ...(isClientIdClash(error) ? { detail: "See the client id above." } : {}),
          errors: elsewhere.filter((issue) => serverIssues.includes(issue)),
        })
      : error;

  return (
    <form
      className={styles.form}
      onSubmit={submit}
      noValidate
      aria-label={isNew ? "New workspace" : "Workspace registration"}
    >
      <Section title="Registration" className={styles.section}>
        {isNew && (
          <Field
            label="Workspace id"
            required
            hint="Letters, digits, dot, dash or underscore; it cannot be changed later"
            validationMessage={messageOf(messageAt("id"))}
          >
            <Input value={draft.id} onChange={(_, data) => edit({ id: data.value })} />
          </Field>
        )}
        <Field label="Display name" required validationMessage={messageOf(messageAt("displayName"))}>
          <Input value={draft.displayName} onChange={(_, data) => edit({ displayName: data.value })} />
        </Field>
        <Field
          label="Client id"
          hint="The audience of the workspace's tokens (its app registration). Empty: the workspace id"
          validationMessage={messageOf(messageAt("clientId"))}
        >
          <Input value={draft.clientId} onChange={(_, data) => edit({ clientId: data.value })} />
        </Field>
      </Section>

      <Section title="Airlock policy" className={styles.section}>
        <div className={styles.policy}>
          {POLICY_FIELDS.map((spec) => (
            <SettingField
              key={spec.name}
              spec={spec}
              value={draft.policy[spec.name] ?? ""}
              messages={messageAt(`airlock.${spec.name}`)}
              onChange={(value) => edit({ policy: { ...draft.policy, [spec.name]: value } })}
            />
          ))}
        </div>
      </Section>

      <Section title="Gates" className={styles.section}>
        <GatesEditor gates={draft.gates} messageAt={messageAt} onChange={(gates) => edit({ gates })} />
      </Section>

      <Section title="Members" className={styles.section}>
        <MembersEditor
          members={draft.members}
          messageAt={messageAt}
          onChange={(members) => edit({ members })}
        />
      </Section>

      {clientIssues.length > 0 && (
        <MessageBar intent="warning" role="alert">
          <MessageBarBody>
            Nothing was sent: correct the fields marked above.
            {elsewhere
              .filter((issue) => clientIssues.includes(issue))
              .map((issue) => ` ${issue.path}: ${issue.message}.`)}
          </MessageBarBody>
        </MessageBar>
      )}
      {error !== null && error !== undefined && clientIssues.length === 0 && (
        <ProblemMessage error={banner} />
      )}
      {saved && (
        <MessageBar intent="success" role="status">
          <MessageBarBody>Saved.</MessageBarBody>
        </MessageBar>
      )}
      <Button className={styles.save} appearance="primary" type="submit" disabled={saving}>
        {isNew ? "Create workspace" : "Save changes"}
      </Button>
    </form>
  );
};
