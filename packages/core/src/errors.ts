import type { Refusal } from "./machine/airlock-machine.js";

/**
 * Every way a command can fail, as the API reports it. `kind` is stable; `message` is for people.
 *
 * | kind | meaning | HTTP |
 * |---|---|---|
 * | NotFound | unknown workspace or request, or a request of another workspace | 404 |
 * | Forbidden | role, ownership, self-review or a repeated decision | 403 |
 * | IllegalTransition | the status does not allow the step | 400 |
 * | PolicyViolation | the workspace policy refuses it (file count) | 400 |
 * | InvalidFile | a file the request's container holds is not accepted (its name, its size, a name twice); `issues` name each file | 400 |
 * | QuotaExceeded | a quota of the workspace policy is used up (open drafts per person) | 409 |
 * | Busy | the workspace has its policy's bytes in flight (uploads under way); try again shortly | 429 |
 * | NoLink | no link now: asking for one in a status without links, or a call while the request is being processed | 400 |
 * | AirlockDisabled | the airlock is disabled for the workspace | 405 |
 * | InvalidInput | a body or query that does not validate | 422 |
 * | Conflict | a concurrent change won, or a submit while an upload is under way | 409 |
 * | TooLarge | a file over the size limit | 413 |
 * | Unavailable | a backing service failed | 503 |
 */
export type AirlockError =
  | { readonly kind: "NotFound"; readonly message: string }
  | { readonly kind: "Forbidden"; readonly message: string }
  | { readonly kind: "IllegalTransition"; readonly message: string }
  | { readonly kind: "PolicyViolation"; readonly message: string }
  | { readonly kind: "NoLink"; readonly message: string }
  | { readonly kind: "AirlockDisabled"; readonly message: string }
  | {
      readonly kind: "InvalidInput";
      readonly message: string;
      readonly issues: readonly { readonly path: string; readonly message: string }[];
    }
  | { readonly kind: "Conflict"; readonly message: string }
  | {
      readonly kind: "InvalidFile";
      readonly message: string;
      /** `path`: the file's name as storage holds it. */
      readonly issues: readonly { readonly path: string; readonly message: string }[];
    }
  | { readonly kind: "QuotaExceeded"; readonly message: string }
  | { readonly kind: "Busy"; readonly message: string }
  | { readonly kind: "TooLarge"; readonly message: string; readonly limit: number }
  | { readonly kind: "Unavailable"; readonly message: string; readonly cause?: unknown };

export type AirlockErrorKind = AirlockError["kind"];

export const airlockError = <
  K extends Exclude<AirlockErrorKind, "InvalidInput" | "InvalidFile" | "TooLarge" | "Unavailable">,
>(
  kind: K,
  message: string,
): AirlockError => ({ kind, message }) as AirlockError;

/** A refusal of the machine as the API reports it. */
export const refusalError = (refusal: Refusal): AirlockError =>
  refusal.kind === "InvalidFile"
    ? {
        kind: "InvalidFile",
        message: refusal.message,
        issues: (refusal.files ?? []).map((file) => ({ path: file.name, message: file.message })),
      }
    : airlockError(refusal.kind, refusal.message);
