import type { Role } from "@airlock/core";
import {
  Button,
  Checkbox,
  Field,
  Input,
  MessageBar,
  MessageBarBody,
  MessageBarTitle,
  makeStyles,
  Text,
  Title1,
  tokens,
} from "@fluentui/react-components";
import { type FormEvent, useState } from "react";
import { Navigate, useLocation, useNavigate } from "react-router";
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

/** Where the person was going when they were sent here: a path of the console, else the start page. */
const returnPathOf = (state: unknown): string => {
  const from = (state as { from?: unknown } | null)?.from;
  return typeof from === "string" && from.startsWith("/") && !from.startsWith("//") ? from : "/";
};

/**
 * Entra ID: the authority signs the person in (MSAL, authorization code with PKCE) and sends them
 * back to the page they were going to.
 */
const EntraSignIn = ({ returnTo }: { returnTo: string }) => {
  const styles = useStyles();
  const { identity, signIn, signInProblem } = useSession();
  if (identity) return <Navigate to={returnTo} replace />;
  return (
    <main className={styles.page}>
      <Title1 as="h1">Sign in</Title1>
      {signInProblem && (
        <MessageBar intent="error" role="alert">
          <MessageBarBody>
            <MessageBarTitle>The sign-in did not finish</MessageBarTitle>
            {signInProblem}
          </MessageBarBody>
        </MessageBar>
      )}
      <Text>This airlock signs you in with your organisation's Microsoft Entra ID account.</Text>
      <Button appearance="primary" onClick={() => signIn(undefined, returnTo)}>
        Sign in with Microsoft Entra ID
      </Button>
    </main>
  );
};

/**
 * Development authentication: the person says who they are and which roles they hold, and the
 * server's development token endpoint mints their tokens. Only a development server offers it.
 */
export const SignInPage = () => {
  const styles = useStyles();
  const { config, signIn } = useSession();
  const navigate = useNavigate();
  const returnTo = returnPathOf(useLocation().state);
  const [userId, setUserId] = useState("");
  const [name, setName] = useState("");
  const [roles, setRoles] = useState<Role[]>(["WorkspaceResearcher"]);
  const [tried, setTried] = useState(false);

  if (config.authMode === "entra") return <EntraSignIn returnTo={returnTo} />;

  const idValid = USER_ID.test(userId);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setTried(true);
    if (!idValid || roles.length === 0) return;
    signIn({ userId, name: name.trim() || userId, roles });
    navigate(returnTo);
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
