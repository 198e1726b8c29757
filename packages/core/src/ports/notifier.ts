import type { ResultAsync } from "neverthrow";
import type { Notification } from "../model/notification.js";
import type { Unavailable } from "./errors.js";

export type NotifierError = Unavailable;

/**
 * Tells people about a request. Content never includes file contents.
 * Delivery is at least once: a notification may be sent again with the same `id`.
 * A failure is reported, never thrown; the engine never holds a transition back for it.
 */
export interface Notifier {
  notify(notification: Notification): ResultAsync<void, NotifierError>;
}
