import { requestRepositoryContract } from "@airlock/core/testing";
import { describe, it } from "vitest";
import { createMemoryRequestRepository } from "../src/index.js";

requestRepositoryContract({ describe, it }, () => createMemoryRequestRepository());
