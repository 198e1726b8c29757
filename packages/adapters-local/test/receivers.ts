import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import type { AirlockEvent } from "@airlock/core";
import { type AddressObject, simpleParser } from "mailparser";
import { SMTPServer } from "smtp-server";

export interface ReceivedRequest {
  readonly method: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  /** The status the receiver answered. */
  readonly status: number;
}

export interface Answer {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
}

/**
 * A real HTTP webhook receiver on 127.0.0.1. It takes part in the CloudEvents handshake (answers
 * OPTIONS with `WebHook-Allowed-Origin` echoing the origin asked for, unless told to refuse), and
 * answers POSTs 200 unless answers were queued with `answerNext`.
 */
export const startWebhookReceiver = async () => {
  const requests: ReceivedRequest[] = [];
  const queued: Answer[] = [];
  let handshake: "allow" | "refuse" = "allow";
  let hold: { arrived: () => void; released: Promise<void> } | undefined;
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", async () => {
      if (request.method === "POST" && hold !== undefined) {
        const { arrived, released } = hold;
        hold = undefined;
        arrived();
        await released;
      }
      const method = request.method ?? "";
      let answer: Answer;
      if (method === "OPTIONS") {
        const origin = request.headers["webhook-request-origin"];
        answer =
          handshake === "allow" && typeof origin === "string"
            ? { status: 200, headers: { "WebHook-Allowed-Origin": origin, Allow: "POST" } }
            : { status: 200, headers: { Allow: "GET" } };
      } else {
        answer = queued.shift() ?? { status: 200 };
      }
      requests.push({
        method,
        headers: request.headers,
        body: Buffer.concat(chunks).toString("utf8"),
        status: answer.status,
      });
      response.writeHead(answer.status, answer.headers);
      response.end(answer.status >= 400 ? "a body the sender must not log" : "");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks/airlock`,
    requests: () => [...requests],
    posts: () => requests.filter((request) => request.method === "POST"),
    /** Events the receiver accepted (answered 2xx), in arrival order. */
    accepted: (): AirlockEvent[] =>
      requests
        .filter((request) => request.method === "POST" && request.status < 300)
        .map((request) => JSON.parse(request.body) as AirlockEvent),
    answerNext: (answer: Answer, times = 1) => {
      for (let i = 0; i < times; i++) queued.push(answer);
    },
    /** Holds the answer to the next POST until `release()`; `arrived` resolves when it came in. */
    holdNextPost: () => {
      let arrived!: () => void;
      let release!: () => void;
      const arrival = new Promise<void>((resolve) => {
        arrived = resolve;
      });
      hold = {
        arrived,
        released: new Promise<void>((resolve) => {
          release = resolve;
        }),
      };
      return { arrived: arrival, release };
    },
    setHandshake: (mode: "allow" | "refuse") => {
      handshake = mode;
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
};
export type WebhookReceiver = Awaited<ReturnType<typeof startWebhookReceiver>>;

export interface ReceivedEmail {
  /** The addresses given in RCPT TO, in order. */
  readonly envelopeTo: readonly string[];
  readonly envelopeFrom: string;
  readonly to: readonly { readonly address: string; readonly name: string }[];
  readonly subject: string;
  readonly text: string;
  readonly html: string;
  readonly messageId: string;
  readonly attachments: number;
  readonly raw: string;
}

const addressesOf = (header: AddressObject | AddressObject[] | undefined) =>
  (Array.isArray(header) ? header : header === undefined ? [] : [header]).flatMap((object) =>
    object.value.map((entry) => ({ address: entry.address ?? "", name: entry.name })),
  );

/**
 * A real SMTP server (smtp-server) on 127.0.0.1, no TLS or login, keeping every message it
 * accepted, parsed. `refuseNext` makes it answer the next messages with a reply code.
 */
export const startSmtpReceiver = async () => {
  const received: ReceivedEmail[] = [];
  const refusals: number[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS", "AUTH"],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (chunk: Buffer) => chunks.push(chunk));
      stream.on("end", () => {
        const code = refusals.shift();
        if (code !== undefined) {
          callback(Object.assign(new Error("not now"), { responseCode: code }));
          return;
        }
        const raw = Buffer.concat(chunks).toString("utf8");
        simpleParser(raw).then(
          (parsed) => {
            received.push({
              envelopeTo: session.envelope.rcptTo.map((to) => to.address),
              envelopeFrom: session.envelope.mailFrom === false ? "" : session.envelope.mailFrom.address,
              to: addressesOf(parsed.to),
              subject: parsed.subject ?? "",
              text: parsed.text ?? "",
              html: typeof parsed.html === "string" ? parsed.html : "",
              messageId: parsed.messageId ?? "",
              attachments: parsed.attachments.length,
              raw,
            });
            callback();
          },
          (error: unknown) => callback(error as Error),
        );
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.server.address() as AddressInfo;
  return {
    transport: { host: "127.0.0.1", port, secure: false, ignoreTLS: true },
    received: () => [...received],
    refuseNext: (code: number, times = 1) => {
      for (let i = 0; i < times; i++) refusals.push(code);
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
};
export type SmtpReceiver = Awaited<ReturnType<typeof startSmtpReceiver>>;
