import type { StorageAccountResolver } from "@airlock/adapters-azure";
import type { AirlockError, RequestRepository } from "@airlock/core";
import type { ScanBlobLocator } from "@airlock/http";

export type ScanBlobLocatorOptions = {
  readonly accounts: StorageAccountResolver;
  readonly requests: Pick<RequestRepository, "get">;
} & (
  | { readonly layout: "accounts" }
  | {
      readonly layout: "single-account-prefixes";
      /** The one real account whose containers are `{stage account}-{requestId}`. */
      readonly accountName: string;
    }
);

/** `{stage account}-{requestId}`: account names have no hyphen, request ids may. */
const PREFIXED = /^[a-z0-9]{3,24}-(.+)$/;

/** A storage layout's request containers, as scanned blob URLs name them. */
export interface RequestContainers extends ScanBlobLocator {
  /** The request id a container name stands for, or undefined when the container is not a request's. */
  containerToRequestId(container: string): string | undefined;
}

/**
 * Reads Defender's blob URLs the way `createBlobStorage` names containers: by request id in each
 * stage's own account, or prefixed by the stage's account name inside one account.
 */
export const createScanBlobLocator = (options: ScanBlobLocatorOptions): RequestContainers => ({
  containerToRequestId: (container) =>
    options.layout === "accounts" ? container : PREFIXED.exec(container)?.[1],

  inProgressLocationOf: (requestId) =>
    options.requests
      .get(requestId)
      .mapErr(
        (error): AirlockError =>
          error.kind === "NotFound" || error.kind === "InvalidInput"
            ? { kind: "NotFound", message: `request ${requestId} not found` }
            : error.kind === "Conflict"
              ? { kind: "Conflict", message: error.message }
              : { kind: "Unavailable", message: error.message, cause: error.cause },
      )
      .map((request) => {
        const stage = options.accounts(request.type, "in_progress", request.workspaceId);
        return options.layout === "accounts"
          ? { accountName: stage.accountName, container: request.id }
          : { accountName: options.accountName, container: `${stage.accountName}-${request.id}` };
      }),
});
