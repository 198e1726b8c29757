import { createContext, type ReactNode, useContext, useMemo, useState } from "react";
import { type ApiClient, createApiClient } from "./api/client";
import { type DevIdentity, devTokenSource, storedIdentity, storeIdentity } from "./auth/session";
import type { ConsoleConfig } from "./config";

export interface Session {
  readonly config: ConsoleConfig;
  readonly identity: DevIdentity | undefined;
  readonly api: ApiClient | undefined;
  signIn(identity: DevIdentity): void;
  signOut(): void;
}

const SessionContext = createContext<Session | undefined>(undefined);

export const SessionProvider = ({ config, children }: { config: ConsoleConfig; children: ReactNode }) => {
  const [identity, setIdentity] = useState<DevIdentity | undefined>(storedIdentity);
  const session = useMemo<Session>(
    () => ({
      config,
      identity,
      api: identity ? createApiClient(devTokenSource(identity)) : undefined,
      signIn: (next) => {
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
