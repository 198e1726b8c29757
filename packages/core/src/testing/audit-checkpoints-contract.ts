import type { AuditCheckpoint } from "../model/audit.js";
import type { AuditCheckpoints } from "../ports/audit-checkpoints.js";
import { assertEqual, assertOk } from "./assert.js";
import { assertStreamsPaged } from "./audit-stream-pages.js";
import { type ContractOptions, type ContractRunner, defineContract, fresh } from "./contract.js";

const newStream = () => crypto.randomUUID();

/** Stores check no signatures, so a fixed fake one keeps the checkpoint under test plain data. */
const checkpoint = (stream: string, seq: number, at = 1_700_000_000 + seq): AuditCheckpoint => ({
  stream,
  seq,
  hash: seq.toString(16).padStart(64, "0"),
  at,
  signature: `signature-${seq}`,
});

/** The `AuditCheckpoints` contract (see its JSDoc). */
export function auditCheckpointsContract(
  t: ContractRunner,
  make: () => Promise<AuditCheckpoints> | AuditCheckpoints,
  options?: ContractOptions,
): void {
  defineContract(t, "AuditCheckpoints contract", options, (test) => {
    test("latest of a stream without checkpoints is null", async () => {
      const checkpoints = await fresh(make);
      assertEqual(assertOk(await checkpoints.latest(newStream()), "latest"), null, "latest");
    });

    test("latest answers the stored checkpoint with the highest seq, unchanged", async () => {
      const checkpoints = await fresh(make);
      const stream = `workspace:${newStream()}`;
      for (const seq of [0, 1, 2]) assertOk(await checkpoints.put(checkpoint(stream, seq)), `put ${seq}`);
      assertEqual(assertOk(await checkpoints.latest(stream), "latest"), checkpoint(stream, 2), "latest");
    });

    test("a checkpoint arriving late never hides a later one", async () => {
      const checkpoints = await fresh(make);
      const stream = newStream();
      for (const seq of [0, 3, 1, 2]) assertOk(await checkpoints.put(checkpoint(stream, seq)), `put ${seq}`);
      assertEqual(assertOk(await checkpoints.latest(stream), "latest")?.seq, 3, "latest seq");
      assertOk(await checkpoints.put(checkpoint(stream, 3)), "repeated put");
      assertEqual(
        assertOk(await checkpoints.latest(stream), "latest"),
        checkpoint(stream, 3),
        "after a repeat",
      );
    });

    test("concurrent puts to one stream all land; latest is the highest", async () => {
      const checkpoints = await fresh(make);
      const stream = newStream();
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, seq) => checkpoints.put(checkpoint(stream, seq))),
      );
      for (const result of results) assertOk(result, "put");
      assertEqual(assertOk(await checkpoints.latest(stream), "latest"), checkpoint(stream, 19), "latest");
    });

    test("streams are independent", async () => {
      const checkpoints = await fresh(make);
      const [a, b] = [newStream(), newStream()];
      assertOk(await checkpoints.put(checkpoint(a, 5)), "put a");
      assertOk(await checkpoints.put(checkpoint(b, 1)), "put b");
      assertEqual(assertOk(await checkpoints.latest(a), "latest a")?.seq, 5, "latest of a");
      assertEqual(assertOk(await checkpoints.latest(b), "latest b")?.seq, 1, "latest of b");
    });

    test("a stream name with characters a path or an id would refuse still stores", async () => {
      const checkpoints = await fresh(make);
      const stream = `odd/stream?with#chars\\%2F ${newStream()}`;
      assertOk(await checkpoints.put(checkpoint(stream, 4)), "put");
      assertEqual(assertOk(await checkpoints.latest(stream), "latest"), checkpoint(stream, 4), "latest");
    });

    test("streams lists every stream with checkpoints once, in name order, a page at a time", async () => {
      const checkpoints = await fresh(make);
      const prefix = `contract-${newStream()}`;
      const mine = [`${prefix}:b`, `${prefix}:a/x`, `${prefix}:c`];
      for (const stream of mine) {
        assertOk(await checkpoints.put(checkpoint(stream, 0)), "put 0");
        assertOk(await checkpoints.put(checkpoint(stream, 1)), "put 1");
      }
      await assertStreamsPaged((page) => checkpoints.streams(page), prefix, mine);
    });
  });
}
