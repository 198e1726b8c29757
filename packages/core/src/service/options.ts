import { DEFAULT_NOTIFICATIONS } from "./announcements.js";
import type { AirlockOptions, BackgroundError, NotificationMatrix, RoleSource } from "./types.js";

export interface ResolvedOptions {
  readonly linkTtlSeconds: number;
  readonly linkReuseSeconds: number;
  readonly scanRetrySeconds: number;
  readonly scanDeadlineSeconds: number;
  readonly gateTimeoutSeconds: number;
  readonly processingDeadlineSeconds: number;
  readonly recoveryWindowSeconds: number;
  readonly notifications: NotificationMatrix;
  readonly processing: "inline" | "manual";
  readonly roles: RoleSource;
  readonly onBackgroundError: (error: BackgroundError) => void;
}

export const resolveOptions = (options: AirlockOptions): ResolvedOptions => ({
  linkTtlSeconds: options.linkTtlSeconds ?? 3600,
  linkReuseSeconds: options.linkReuseSeconds ?? 60,
  scanRetrySeconds: options.scanRetrySeconds ?? 300,
  scanDeadlineSeconds: options.scanDeadlineSeconds ?? 86_400,
  gateTimeoutSeconds: options.gateTimeoutSeconds ?? 600,
  processingDeadlineSeconds: options.processingDeadlineSeconds ?? 86_400,
  recoveryWindowSeconds: options.recoveryWindowSeconds ?? 86_400,
  notifications: options.notifications ?? DEFAULT_NOTIFICATIONS,
  processing: options.processing ?? "inline",
  roles: options.roles ?? "actor",
  onBackgroundError: options.onBackgroundError ?? (() => {}),
});
