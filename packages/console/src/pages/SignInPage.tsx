import type { Role } from "@airlock/core";
import {
  Button,
  Checkbox,
  Field,
  Input,
  MessageBar,
  MessageBarBody,
  makeStyles,
  Title1,
  tokens,
} from "@fluentui/react-components";
import { type FormEvent, useState } from "react";
import { useNavigate } from "react-router";
import { useSession } from "../session";

/** The roles a development token may carry: the workspace roles and the TRE-wide ones. */
const ROLES: readonly Role[] = [
  "WorkspaceResearcher",
  "WorkspaceOwner",
  "AirlockManager",
  "TREUser",
  "TREAdmin",
];
const USER_ID = /^[A-Za-z0-9._-]{1,128}$/;

const useStyles = makeStyles({
  page: {
    maxWidth: "480px",
    margin: "64px auto",
    display: "flex",
    flexDirection: "column",
    gap: tokens.spacingVerticalL,
  },
  form: { display: "flex", flexDirection: "column", gap: tokens.spacingVerticalL },
  roles: { display: "flex", flexDirection: "column" },
});

/**
 * Development authentication: the person says who they are and which roles they hold, and the
 * server's development token endpoint mints their tokens. Only a development server offers it.
 */
export const SignInPage = () => {
  const styles = useStyles();
  const { config, signIn } = useSession();
  const navigate = useNavigate();
  const [userId, setUserId] = useState("");
  const [name, setName] = useState("");
  const [roles, setRoles] = useState<Role[]>(["WorkspaceResearcher"]);
  const [tried, setTried] = useState(false);

  if (config.authMode !== "development") {
    return (
      <main className={styles.page}>
        <Title1 as="h1">Sign in</Title1>
        <MessageBar intent="warning">
          <MessageBarBody>
            This server uses Entra ID. Sign-in with Entra ID is not available in this version of the console;
            use the API with an Entra access token.
          </MessageBarBody>
        </MessageBar>
      </main>
    );
  }

  const idValid = USER_ID.test(userId);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setTried(true);
    if (!idValid || roles.length === 0) return;
    signIn({ userId, name: name.trim() || userId, roles });
    navigate("/");
  };
  const toggle = (role: Role, on: boolean) =>
    setRoles((current) => (on ? [...current, role] : current.filter((r) => r !== role)));

  return (
    <main className={styles.page}>
      <Title1 as="h1">Sign in (development)</Title1>
      <MessageBar intent="info">
        <MessageBarBody>
          This server runs with development authentication: anyone can act as anyone. Never use it for real
          data.
        </MessageBarBody>
      </MessageBar>
      <form onSubmit={submit} className={styles.form} noValidate>
        <Field
          label="User id"
          required
          validationMessage={
            tried && !idValid ? "Letters, digits, dot, dash or underscore; up to 128" : undefined
          }
        >
          <Input value={userId} onChange={(_, data) => setUserId(data.value)} />
        </Field>
        <Field label="Display name">
          <Input value={name} onChange={(_, data) => setName(data.value)} />
        </Field>
        <fieldset className={styles.roles}>
          <legend>Roles</legend>
          {ROLES.map((role) => (
            <Checkbox
              key={role}
              label={role}
              checked={roles.includes(role)}
              onChange={(_, data) => toggle(role, data.checked === true)}
            />
          ))}
          {tried && roles.length === 0 && <span role="alert">Choose at least one role</span>}
        </fieldset>
        <Button appearance="primary" type="submit">
          Sign in
        </Button>
      </form>
    </main>
  );
};
