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
 * written (a reply is a thenable), so fastify never mistakes the handler for one that sent nothing.
 */
export const respond = <T, R extends FastifyReply>(
  request: FastifyRequest,
  reply: R,
  result: ResultAsync<T, AirlockError>,
  answer: (value: T) => unknown,
  status = 200,
): Promise<void> =>
  result
    .match(
      (value) => {
        reply.code(status).send(answer(value));
        return reply;
      },
      (error) =>
        error.kind === "InvalidInput" && request.body === MALFORMED_JSON
          ? sendProblem(
              request,
              reply,
              problem("InvalidInput", "the body is not valid JSON", {
                errors: [{ path: "", message: "malformed JSON" }],
              }),
            )
          : sendAirlockError(request, reply, error),
    )
    .then(() => undefined);
