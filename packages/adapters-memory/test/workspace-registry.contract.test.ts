import { workspaceRegistryContract } from "@airlock/core/testing";
import { describe, it } from "vitest";
import { createMemoryWorkspaceRegistry } from "../src/index.js";

workspaceRegistryContract({ describe, it }, () => createMemoryWorkspaceRegistry());
