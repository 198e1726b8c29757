import { JUSTIFICATION_MAX, NewRequestInputSchema, type RequestType, TITLE_MAX } from "@airlock/core";
import {
  Button,
  Field,
  Input,
  makeStyles,
  Radio,
  RadioGroup,
  Textarea,
  Title1,
  tokens,
} from "@fluentui/react-components";
import { useMutation } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { useNavigate, useParams } from "react-router";
import { ProblemMessage } from "../components/States";
import { useApi } from "../session";

const FIELD_NAMES = { title: "title", businessJustification: "business justification" } as const;
const LIMITS = { title: TITLE_MAX, businessJustification: JUSTIFICATION_MAX } as const;

const useStyles = makeStyles({
  form: { display: "flex", flexDirection: "column", gap: tokens.spacingVerticalL, maxWidth: "640px" },
});

/** A new import or export: a draft the requester then uploads files into. */
export const NewRequestPage = () => {
  const styles = useStyles();
  const { ws = "" } = useParams();
  const api = useApi();
  const navigate = useNavigate();
  const [type, setType] = useState<RequestType>("export");
  const [title, setTitle] = useState("");
  const [justification, setJustification] = useState("");
  const [tried, setTried] = useState(false);
  // The API's own schema: the form refuses what the API would refuse, with the same limits.
  const parsed = NewRequestInputSchema.safeParse({ type, title, businessJustification: justification });
  const issueOf = (field: "title" | "businessJustification") => {
    const issue = tried && !parsed.success ? parsed.error.issues.find((i) => i.path[0] === field) : undefined;
    if (!issue) return undefined;
    if (issue.code === "too_small") return `Write a ${FIELD_NAMES[field]}`;
    if (issue.code === "too_big")
      return `The ${FIELD_NAMES[field]} is too long (at most ${LIMITS[field]} characters)`;
    return `The ${FIELD_NAMES[field]} ${issue.message}`;
  };
  const create = useMutation({
    mutationFn: () => api.createRequest(ws, { type, title, businessJustification: justification }),
    onSuccess: (view) =>
      navigate(
        `/workspaces/${encodeURIComponent(ws)}/requests/${encodeURIComponent(view.airlockRequest.id)}`,
      ),
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setTried(true);
    if (parsed.success) create.mutate();
  };

  return (
    <>
      <Title1 as="h1">New request in {ws}</Title1>
      <form className={styles.form} onSubmit={submit} noValidate>
        <Field label="Type">
          <RadioGroup
            value={type}
            onChange={(_, data) => setType(data.value as RequestType)}
            layout="horizontal"
          >
            <Radio value="export" label="Export (data leaves the workspace)" />
            <Radio value="import" label="Import (data enters the workspace)" />
          </RadioGroup>
        </Field>
        <Field label="Title" required validationMessage={issueOf("title")}>
          <Input value={title} onChange={(_, data) => setTitle(data.value)} />
        </Field>
        <Field label="Business justification" required validationMessage={issueOf("businessJustification")}>
          <Textarea value={justification} onChange={(_, data) => setJustification(data.value)} rows={4} />
        </Field>
        {create.isError && <ProblemMessage error={create.error} />}
        <Button appearance="primary" type="submit" disabled={create.isPending}>
          Create draft
        </Button>
      </form>
    </>
  );
};
