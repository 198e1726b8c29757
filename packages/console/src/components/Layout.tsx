import { mayAttempt } from "@airlock/core";
import { Button, makeStyles, Text, tokens } from "@fluentui/react-components";
import type { ReactNode } from "react";
import { Link as RouterLink } from "react-router";
import { useSession } from "../session";

const useStyles = makeStyles({
  header: {
    display: "flex",
    alignItems: "center",
    gap: tokens.spacingHorizontalL,
    padding: `${tokens.spacingVerticalM} ${tokens.spacingHorizontalXL}`,
    backgroundColor: tokens.colorBrandBackground,
    color: tokens.colorNeutralForegroundOnBrand,
  },
  home: {
    color: tokens.colorNeutralForegroundOnBrand,
    fontWeight: tokens.fontWeightSemibold,
    fontSize: tokens.fontSizeBase400,
  },
  nav: { color: tokens.colorNeutralForegroundOnBrand },
  spacer: { flexGrow: 1 },
  main: { padding: tokens.spacingHorizontalXL, maxWidth: "1100px", margin: "0 auto" },
});

/** The frame of every signed-in page: who is signed in, a way home, a way out. */
export const Layout = ({ children }: { children: ReactNode }) => {
  const styles = useStyles();
  const { identity, signOut } = useSession();
  return (
    <>
      <header className={styles.header}>
        <RouterLink className={styles.home} to="/">
          Airlock
        </RouterLink>
        {mayAttempt("reviewQueue", identity?.roles ?? []) && (
          <RouterLink className={styles.nav} to="/review">
            Awaiting my review
          </RouterLink>
        )}
        {/* Registering workspaces is the TRE admins' (the API's workspace routes ask for the role). */}
        {identity?.roles.includes("TREAdmin") && (
          <RouterLink className={styles.nav} to="/admin/workspaces">
            Workspaces
          </RouterLink>
        )}
        <span className={styles.spacer} />
        {identity && (
          <Text>
            {identity.name} ({identity.roles.join(", ")})
          </Text>
        )}
        <Button appearance="secondary" onClick={signOut}>
          Sign out
        </Button>
      </header>
      <main className={styles.main}>{children}</main>
    </>
  );
};
