/**
 * The error kinds ports may answer. Each port picks the subset that fits its contract; unknown
 * failures of a backing service are always `Unavailable`, with the original `cause` kept.
 */
export type NotFound = { readonly kind: "NotFound"; readonly message: string };
export type Conflict = { readonly kind: "Conflict"; readonly message: string };
export type Unavailable = {
  readonly kind: "Unavailable";
  readonly message: string;
  readonly cause?: unknown;
};
export type TooLarge = { readonly kind: "TooLarge"; readonly message: string; readonly limit: number };
export type InvalidInput = { readonly kind: "InvalidInput"; readonly message: string };

export const notFound = (message: string): NotFound => ({ kind: "NotFound", message });
export const conflict = (message: string): Conflict => ({ kind: "Conflict", message });
export const unavailable = (message: string, cause?: unknown): Unavailable =>
  cause === undefined ? { kind: "Unavailable", message } : { kind: "Unavailable", message, cause };
export const tooLarge = (message: string, limit: number): TooLarge => ({ kind: "TooLarge", message, limit });
export const invalidInput = (message: string): InvalidInput => ({ kind: "InvalidInput", message });
