import {
  type AccountInfo,
  AuthError,
  BrowserCacheLocation,
  CacheLookupPolicy,
  type EventMessage,
  EventType,
  InteractionRequiredAuthError,
  InteractionStatus,
  InteractionType,
  type IPublicClientApplication,
  ProtocolMode,
  PublicClientApplication,
} from "@azure/msal-browser";
import { MsalProvider, useMsal } from "@azure/msal-react";
import { type ReactNode, useEffect, useMemo, useState } from "react";
import { createApiClient, type TokenSource } from "../api/client";
import { ProblemError } from "../api/problem";
import { Loading } from "../components/States";
import type { ConsoleConfig } from "../config";
import { type Session, SessionContext } from "../session";
import { identityOfClaims, workspaceScopeOf } from "./entra-claims";
import { workspaceClientIds } from "./workspace-client-ids";

export type EntraConfig = Extract<ConsoleConfig, { authMode: "entra" }>;

/** The console's path (and query) to come back to, as MSAL wants it: a full URL of this origin. */
const pageUrl = (path: string): string => new URL(path, window.location.origin).href;

/**
 * MSAL for the console's app registration: authorization code with PKCE through redirects, its
 * cache in the tab's sessionStorage (closing the tab signs out), the server's origin as redirect
 * URI. A non-Microsoft OpenID provider (`protocolMode: "OIDC"`) is trusted by its host, since
 * MSAL's instance discovery only knows Microsoft's clouds.
 */
const createClient = (config: EntraConfig): PublicClientApplication => {
  const oidc = config.protocolMode === "OIDC";
  return new PublicClientApplication({
    auth: {
      clientId: config.clientId,
      authority: config.authority,
      redirectUri: pageUrl("/"),
      postLogoutRedirectUri: pageUrl("/sign-in"),
      ...(oidc ? { knownAuthorities: [new URL(config.authority).host] } : {}),
    },
    cache: { cacheLocation: BrowserCacheLocation.SessionStorage },
    ...(oidc ? { system: { protocolMode: ProtocolMode.OIDC } } : {}),
  });
};

/**
 * The authority wants the person back: MSAL says so, or the refresh token was refused
 * (`invalid_grant`: expired or revoked), which without a hidden frame only a new sign-in mends.
 */
const needsInteraction = (error: unknown): boolean =>
  error instanceof InteractionRequiredAuthError ||
  (error instanceof AuthError && error.errorCode === "invalid_grant");

/**
 * Tokens for the API's routes, asked of MSAL without a window: from its cache, else with its
 * refresh token, never from a hidden frame (the console's pages may not be framed). When the
 * authority wants the person back (consent, an expired sign-in), the tab goes to sign in again and
 * returns to the page it was on; the call that asked never settles, as the page is left.
 */
const entraTokenSource = (
  instance: IPublicClientApplication,
  account: AccountInfo,
  config: EntraConfig,
): TokenSource => {
  const tokenFor = async (scope: string): Promise<string> => {
    try {
      const result = await instance.acquireTokenSilent({
        scopes: [scope],
        account,
        cacheLookupPolicy: CacheLookupPolicy.AccessTokenAndRefreshToken,
      });
      return result.accessToken;
    } catch (error) {
      if (needsInteraction(error)) {
        const here = `${window.location.pathname}${window.location.search}`;
        await instance.acquireTokenRedirect({ scopes: [scope], account, redirectStartPage: pageUrl(here) });
        return new Promise<string>(() => {});
      }
      throw new ProblemError({
        title: "The sign-in could not give a token for this call",
        status: 0,
        detail: `${scope}: ${error instanceof Error ? error.message : String(error)}`,
      });
    }
  };
  const apiToken = () => tokenFor(config.apiScope);
  const clientIdOf = workspaceClientIds(apiToken);
  return async (audience) =>
    audience.kind === "api"
      ? apiToken()
      : tokenFor(workspaceScopeOf(config.workspaceScope, await clientIdOf(audience.workspace)));
};

/** Why a redirect back from the authority brought no sign-in, in the authority's words. */
const problemOf = (error: unknown): string =>
  error instanceof AuthError
    ? error.errorMessage || error.errorCode
    : error instanceof Error
      ? error.message
      : String(error);

/**
 * The account a sign-in just gave becomes the one calls are made as; an answer of the authority
 * that was an error is kept for the sign-in page to show.
 */
const useSignInEvents = (instance: IPublicClientApplication) => {
  const [problem, setProblem] = useState<string | undefined>(undefined);
  useEffect(() => {
    // Registered before MsalProvider handles the redirect: a child's effects run before its parent's.
    const id = instance.addEventCallback((message: EventMessage) => {
      const payload = message.payload as { account?: AccountInfo } | null;
      if (
        (message.eventType === EventType.LOGIN_SUCCESS ||
          message.eventType === EventType.ACQUIRE_TOKEN_SUCCESS) &&
        payload?.account
      ) {
        instance.setActiveAccount(payload.account);
        setProblem(undefined);
      } else if (
        message.eventType === EventType.ACQUIRE_TOKEN_FAILURE &&
        message.interactionType === InteractionType.Redirect
      ) {
        setProblem(problemOf(message.error));
      }
    });
    return () => {
      if (id) instance.removeEventCallback(id);
    };
  }, [instance]);
  return [problem, setProblem] as const;
};

/** The session as MSAL knows it, once it has handled a redirect back from the authority. */
const EntraSession = ({ config, children }: { config: EntraConfig; children: ReactNode }) => {
  const { instance, accounts, inProgress } = useMsal();
  const [signInProblem, setSignInProblem] = useSignInEvents(instance);
  // MSAL answers a new object on every read: the session (and its API client, with the
  // workspaces' clientIds it has read) changes only with the sign-in, that is with the ID token.
  const current = instance.getActiveAccount() ?? accounts[0];
  const signedIn = current ? `${current.homeAccountId} ${current.idToken ?? ""}` : undefined;
  const session = useMemo<Session>(() => {
    const account = signedIn ? (instance.getActiveAccount() ?? instance.getAllAccounts()[0]) : undefined;
    const identity = identityOfClaims(account?.idTokenClaims);
    return {
      config,
      identity,
      signInProblem,
      api: account && identity ? createApiClient(entraTokenSource(instance, account, config)) : undefined,
      signIn: (_identity, returnTo) => {
        setSignInProblem(undefined);
        instance
          .loginRedirect({ scopes: [config.apiScope], redirectStartPage: pageUrl(returnTo ?? "/") })
          // The authority could not be reached or read: the tab stays, and says so.
          .catch((error: unknown) => setSignInProblem(problemOf(error)));
      },
      signOut: () => {
        instance
          .logoutRedirect(account ? { account } : {})
          // An authority that cannot end sessions: forget the account here at least.
          .catch(() => instance.clearCache(account ? { account } : {}));
      },
    };
  }, [config, instance, signedIn, signInProblem, setSignInProblem]);
  // Until MSAL has read the authority's answer, nobody is signed in yet nor out.
  if (inProgress === InteractionStatus.Startup || inProgress === InteractionStatus.HandleRedirect) {
    return <Loading label="Signing in" />;
  }
  return <SessionContext.Provider value={session}>{children}</SessionContext.Provider>;
};

export const EntraSessionProvider = ({ config, children }: { config: EntraConfig; children: ReactNode }) => {
  const [instance] = useState(() => createClient(config));
  return (
    <MsalProvider instance={instance}>
      <EntraSession config={config}>{children}</EntraSession>
    </MsalProvider>
  );
};
