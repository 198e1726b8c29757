import type { WorkspaceDirectory } from "@airlock/core";
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { sendAirlockError } from "../problem.js";
import { HealthSchema, problemResponses } from "../schemas.js";

/** `/health`: the process answers. `/ready`: the backing services answer too. */
export const registerHealthRoutes = (
  root: FastifyInstance,
  deps: { readonly workspaces: WorkspaceDirectory },
): void => {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const tags = ["health"];
  // Probes carry no credentials.
  const security: never[] = [];

  app.get(
    "/health",
    {
      logLevel: "warn",
      schema: {
        tags,
        security,
        operationId: "getLiveness",
        summary: "Liveness",
        response: { 200: HealthSchema },
      },
    },
    async () => ({ status: "ok" }),
  );

  app.get(
    "/ready",
    {
      logLevel: "warn",
      schema: {
        tags,
        security,
        operationId: "getReadiness",
        summary: "Readiness: 503 while a backing service is unavailable",
        response: { 200: HealthSchema, ...problemResponses },
      },
    },
    async (request, reply) => {
      const listed = await deps.workspaces.list();
      if (listed.isErr()) {
        return sendAirlockError(request, reply, {
          kind: "Unavailable",
          message: listed.error.message,
          cause: listed.error.kind === "Unavailable" ? listed.error.cause : listed.error,
        });
      }
      return reply.send({ status: "ready" });
    },
  );
};
