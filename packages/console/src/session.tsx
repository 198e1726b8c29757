import { Spinner } from "@fluentui/react-components";
import { createContext, lazy, type ReactNode, Suspense, useContext, useMemo, useState } from "react";
import { type ApiClient, createApiClient } from "./api/client";
import { devTokenSource, type Identity, storedIdentity, storeIdentity } from "./auth/session";
import type { ConsoleConfig } from "./config";

export type { Identity } from "./auth/session";

/** Who is signed in and how to call the API as them, the same in development and Entra mode. */
export interface Session {
  readonly config: ConsoleConfig;
  readonly identity: Identity | undefined;
  readonly api: ApiClient | undefined;
  /** Why the last sign-in did not finish, in the authority's words (Entra ID only). */
  readonly signInProblem?: string | undefined;
  /**
   * Development: signs in as `identity`. Entra ID: leaves for the authority's sign-in and comes
   * back to `returnTo` (a path of the console; the start page when absent).
   */
  signIn(identity?: Identity, returnTo?: string): void;
  signOut(): void;
}

export const SessionContext = createContext<Session | undefined>(undefined);

/** MSAL is loaded only when the server uses Entra ID: development mode never downloads it. */
const EntraSessionProvider = lazy(() =>
  import("./auth/entra-session").then((module) => ({ default: module.EntraSessionProvider })),
);

const DevelopmentSessionProvider = ({ config, children }: { config: ConsoleConfig; children: ReactNode }) => {
  const [identity, setIdentity] = useState<Identity | undefined>(storedIdentity);
  const session = useMemo<Session>(
    () => ({
      config,
      identity,
      api: identity ? createApiClient(devTokenSource(identity)) : undefined,
      signIn: (next) => {
        if (!next) return;
        storeIdentity(next);
        setIdentity(next);
      },
      signOut: () => {
        storeIdentity(undefined);
        setIdentity(undefined);
      },
    }),
    [config, identity],
  );
  return <SessionContext.Provider value={session}>{children}</SessionContext.Provider>;
};

export const SessionProvider = ({ config, children }: { config: ConsoleConfig; children: ReactNode }) =>
  config.authMode === "entra" ? (
    <Suspense fallback={<Spinner label="Loading the sign-in" />}>
      <EntraSessionProvider config={config}>{children}</EntraSessionProvider>
    </Suspense>
  ) : (
    <DevelopmentSessionProvider config={config}>{children}</DevelopmentSessionProvider>
  );

export const useSession = (): Session => {
  const session = useContext(SessionContext);
  if (!session) throw new Error("useSession outside SessionProvider");
  return session;
};

/** The API client of the signed-in person; pages under the signed-in layout always have one. */
export const useApi = (): ApiClient => {
  const { api } = useSession();
  if (!api) throw new Error("useApi without a signed-in person");
  return api;
};
