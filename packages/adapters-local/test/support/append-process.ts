// Run as a child process by the audit log tests: appends records to one stream of a database file
// through its own connection, many at once, and prints how many landed.
import { sampleAuditRecord } from "../../../core/src/testing/fixtures.ts";
import { createFileAuditCheckpoints } from "../../src/file-audit-checkpoints.ts";
import { createSqliteAuditLog } from "../../src/sqlite-audit-log.ts";
import { openAirlockDatabase } from "../../src/sqlite-database.ts";

const [path, dir, stream, tag, count, keysJson] = process.argv.slice(2) as [
  string,
  string,
  string,
  string,
  string,
  string,
];
const exported = JSON.parse(keysJson) as { chainKey: string; signingKey: string; verifyKey: string };
const keys = {
  chainKey: new Uint8Array(Buffer.from(exported.chainKey, "base64")),
  signingKey: await crypto.subtle.importKey(
    "pkcs8",
    Buffer.from(exported.signingKey, "base64"),
    "Ed25519",
    false,
    ["sign"],
  ),
  verifyKey: await crypto.subtle.importKey(
    "raw",
    Buffer.from(exported.verifyKey, "base64"),
    "Ed25519",
    false,
    ["verify"],
  ),
};
const db = openAirlockDatabase(path);
const audit = createSqliteAuditLog(db, { keys, checkpoints: createFileAuditCheckpoints({ dir }) });
const results = await Promise.all(
  Array.from({ length: Number(count) }, (_, index) =>
    audit.append(sampleAuditRecord(stream, { reason: `${tag} ${index}` })),
  ),
);
db.close();
const failed = results.filter((result) => result.isErr());
if (failed.length > 0) {
  console.error(JSON.stringify(failed.map((result) => result._unsafeUnwrapErr())));
  process.exit(1);
}
console.log(results.length);
