import { storageContract } from "@airlock/core/testing";
import { describe, it } from "vitest";
import { createMemoryStorage } from "../src/index.js";

storageContract({ describe, it }, () => createMemoryStorage());
