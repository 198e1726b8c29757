import { checkPortalUrl, emailRecipients, type Notification, notificationEmail } from "@airlock/core";
import { createTransport, type SMTPTransportOptions } from "nodemailer";
import type { SendOutcome } from "./webhook-sender.js";

export interface SmtpOptions {
  /** nodemailer's SMTP transport options, or a URL such as `smtps://user:pass@smtp.example.org:465`. */
  readonly transport: SMTPTransportOptions | string;
  /** The sender, e.g. `Airlock <airlock@tre.example.org>`. */
  readonly from: string;
  /** The portal's base URL (http or https): emails then link to the request. */
  readonly portalUrl?: string;
}

interface SmtpError {
  readonly code?: unknown;
  readonly responseCode?: unknown;
}

/** The SMTP reply code or the error code, never the server's text (it may echo addresses). */
const smtpFailure = (error: unknown): SendOutcome => {
  const { code, responseCode } = (error ?? {}) as SmtpError;
  const reply = typeof responseCode === "number" ? responseCode : undefined;
  const what = [
    reply === undefined ? undefined : `SMTP ${reply}`,
    typeof code === "string" ? code : undefined,
  ].filter((part) => part !== undefined);
  return {
    delivered: false,
    error: what.length === 0 ? "the SMTP server could not be used" : what.join(" "),
    // A permanent (5xx) reply means a setting or an address is wrong; anything else usually passes.
    level: reply !== undefined && reply >= 500 ? "error" : "warn",
  };
};

/** The domain of the sender's address, for Message-IDs. */
const domainOf = (from: string): string => /@([^\s>@]+)>?\s*$/.exec(from)?.[1] ?? "airlock.invalid";

/**
 * Emails notifications through one SMTP server with nodemailer: one message per notification,
 * every recipient (each address once) in `To`, the same subject, plain text and HTML as the Azure
 * notifier. The Message-ID is made from the notification's id, so a message sent twice after a
 * crash carries the same Message-ID and mail clients can show it once.
 */
export const createEmailSender = (options: SmtpOptions) => {
  const transporter = createTransport(options.transport);
  const messageDomain = domainOf(options.from);
  const contentOptions = options.portalUrl === undefined ? {} : { portalUrl: options.portalUrl };
  if (options.portalUrl !== undefined) checkPortalUrl(options.portalUrl);

  return {
    /** `skipped` counts people without an address, or whose address the server refused. */
    send: async (notification: Notification): Promise<SendOutcome & { skipped?: number }> => {
      const to = emailRecipients(notification);
      const skipped = notification.recipients.length - to.length;
      if (to.length === 0) return { delivered: true, skipped };
      const content = notificationEmail(notification, contentOptions);
      try {
        const info = await transporter.sendMail({
          from: options.from,
          to: to.map(({ address, name }) => ({ address, name })),
          subject: content.subject,
          text: content.plainText,
          html: content.html,
          messageId: `<airlock.${notification.id}@${messageDomain}>`,
        });
        const refused = Array.isArray(info.rejected) ? info.rejected.length : 0;
        return { delivered: true, skipped: skipped + refused };
      } catch (error) {
        return smtpFailure(error);
      }
    },
    close: () => transporter.close(),
  };
};
