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
 * Sends a command's answer, or its error as problem+json; settles once the reply is handed over,
 * so the handler answers nothing itself (fastify then waits for the reply it was given).
 */
export const respond = async <T>(
  request: FastifyRequest,
  reply: FastifyReply,
  result: ResultAsync<T, AirlockError>,
  answer: (value: T) => unknown,
  status = 200,
): Promise<void> => {
  const outcome = await result;
  if (outcome.isOk()) {
    await reply.code(status).send(answer(outcome.value));
  } else if (outcome.error.kind === "InvalidInput" && request.body === MALFORMED_JSON) {
    await sendProblem(
      request,
      reply,
      problem("InvalidInput", "the body is not valid JSON", {
        errors: [{ path: "", message: "malformed JSON" }],
      }),
    );
  } else {
    await sendAirlockError(request, reply, outcome.error);
  }
};
