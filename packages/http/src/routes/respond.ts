import type { AirlockError } from "@airlock/core";
import type { FastifyReply, FastifyRequest } from "fastify";
import type { ResultAsync } from "neverthrow";
import { problem, sendAirlockError, sendProblem } from "../problem.js";

/**
 * What the JSON parser leaves as the body when the text is not JSON. The body goes to the service
 * like any other, so the role and the request are still checked first; only the answer to the
 * invalid input is reworded.
 */
export const MALFORMED_JSON: unique symbol = Symbol("malformed JSON");

/**
 * Sends a command's answer, or its error as problem+json. The promise settles once the response is
 * written, so fastify never mistakes the handler for one that sent nothing: at once when the reply
 * went out in the same turn (no hook of ours waits), otherwise through the reply's own thenable.
 */
export const respond = <T, R extends FastifyReply>(
  request: FastifyRequest,
  reply: R,
  result: ResultAsync<T, AirlockError>,
  answer: (value: T) => unknown,
  status = 200,
): Promise<void> =>
  // One promise for the whole answer (`match` and a `then` after it cost every call two more).
  // `ResultAsync.then` is its inner promise's `then`, so what comes back is a Promise.
  result.then((outcome): PromiseLike<void> | undefined => {
    if (outcome.isOk()) {
      reply.code(status).send(answer(outcome.value));
    } else if (outcome.error.kind === "InvalidInput" && request.body === MALFORMED_JSON) {
      sendProblem(
        request,
        reply,
        problem("InvalidInput", "the body is not valid JSON", {
          errors: [{ path: "", message: "malformed JSON" }],
        }),
      );
    } else {
      sendAirlockError(request, reply, outcome.error);
    }
    // A reply is a thenable that settles once the response is written.
    return reply.sent ? undefined : (reply as unknown as PromiseLike<void>);
  }) as Promise<void>;
