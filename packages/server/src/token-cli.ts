import { parseArgs } from "node:util";
import { DEFAULT_API_AUDIENCE, DEV_SECRET_DEFAULT, mintDevToken } from "@airlock/http";

/**
 * `pnpm -s dev-token`: mints a development token and prints only the token, so it can be captured:
 * `TOKEN=$(pnpm -s dev-token --user alice --role WorkspaceResearcher --workspace ws1)`.
 */

const usage = `Usage: pnpm -s dev-token --user ID [--name NAME] [--email EMAIL] [--role ROLE]... [--workspace ID | --audience AUD] [--ttl SECONDS]

  --workspace ID   a token for that workspace's routes (audience = the workspace's clientId,
                   which defaults to its id; pass --audience when it differs)
  (neither)        a token for TRE-wide routes (audience "${DEFAULT_API_AUDIENCE}", or AIRLOCK_API_AUDIENCE)
  --role           WorkspaceResearcher, WorkspaceOwner, AirlockManager, TREUser, TREAdmin (repeatable)
  --ttl            lifetime in seconds (default 3600)

Signs with AIRLOCK_DEV_SECRET (default: the documented development secret).`;

const fail = (message: string): never => {
  process.stderr.write(`${message}\n\n${usage}\n`);
  process.exit(2);
};

const { values } = (() => {
  try {
    return parseArgs({
      options: {
        user: { type: "string" },
        name: { type: "string" },
        email: { type: "string" },
        role: { type: "string", multiple: true },
        workspace: { type: "string" },
        audience: { type: "string" },
        ttl: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
    });
  } catch (error) {
    return fail(error instanceof Error ? error.message : String(error));
  }
})();

if (values.help) {
  process.stdout.write(`${usage}\n`);
  process.exit(0);
}
if (process.env.AIRLOCK_AUTH_MODE === "entra")
  fail("with AIRLOCK_AUTH_MODE=entra, tokens come from Entra ID");
const user = values.user ?? fail("--user is required");
const ttl = Number(values.ttl ?? "3600");
if (!Number.isInteger(ttl) || ttl <= 0) fail("--ttl must be a positive whole number of seconds");

const token = await mintDevToken({
  secret: process.env.AIRLOCK_DEV_SECRET ?? DEV_SECRET_DEFAULT,
  userId: user,
  ...(values.name ? { name: values.name } : {}),
  ...(values.email ? { email: values.email } : {}),
  roles: values.role ?? [],
  audience: values.audience ?? values.workspace ?? process.env.AIRLOCK_API_AUDIENCE ?? DEFAULT_API_AUDIENCE,
  ttlSeconds: ttl,
});
process.stdout.write(`${token}\n`);
