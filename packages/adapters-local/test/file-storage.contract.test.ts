import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { storageContract } from "@airlock/core/testing";
import { afterAll, describe, it } from "vitest";
import { createFileStorage } from "../src/index.js";

const roots: string[] = [];

afterAll(async () => {
  await Promise.all(roots.map((root) => rm(root, { recursive: true, force: true })));
});

storageContract({ describe, it }, async () => {
  const root = await mkdtemp(join(tmpdir(), "airlock-files-"));
  roots.push(root);
  return createFileStorage({ root });
});
